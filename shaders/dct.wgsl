// Stage 4, mirrored by engine/src/stages/dct.rs: the 16x16 block of B = Dq * A * Dq^T.
//   T[u][j]  = sum_i Dq[u][i] * A[i][j]    |T|  < 2^60 (two words)
//   T'[u][j] = (T + 2^29) >> 30            |T'| < 2^30 (i32)
//   B[u][v]  = sum_j T'[u][j] * Dq[v][j]   |B|  < 2^63 (two words)
// Entry points: dct_columns, dispatch (1, 16, frames); then dct_rows, dispatch (1, 1, frames).

@group(0) @binding(0) var<storage, read> downsampled: array<u32>;
@group(0) @binding(1) var<storage, read> dct_matrix: array<i32>;
@group(0) @binding(2) var<storage, read_write> dct_mid: array<i32>;
@group(0) @binding(3) var<storage, read_write> dct: array<vec2<u32>>;

@compute @workgroup_size(64)
fn dct_columns(
    @builtin(workgroup_id) group: vec3<u32>,
    @builtin(local_invocation_index) j: u32,
) {
    let f = group.z;
    let u = group.y;
    var sum = vec2<u32>(0u, 0u);
    for (var i = 0u; i < 64u; i++) {
        // A <= 2^27 + 2 fits an i32.
        let a = bitcast<i32>(downsampled[f * 4096u + i * 64u + j]);
        sum = add_wide(sum, mul_wide_signed(dct_matrix[u * 64u + i], a));
    }
    let rounded = add_wide(sum, vec2<u32>(1u << 29u, 0u));
    // Arithmetic shift by 30; the result fits 32 bits (|T'| < 2^30).
    dct_mid[f * 1024u + u * 64u + j] = bitcast<i32>((rounded.x >> 30u) | (rounded.y << 2u));
}

@compute @workgroup_size(256)
fn dct_rows(
    @builtin(workgroup_id) group: vec3<u32>,
    @builtin(local_invocation_index) cell: u32,
) {
    let f = group.z;
    let u = cell / 16u;
    let v = cell % 16u;
    var sum = vec2<u32>(0u, 0u);
    for (var j = 0u; j < 64u; j++) {
        sum = add_wide(sum, mul_wide_signed(dct_mid[f * 1024u + u * 64u + j], dct_matrix[v * 64u + j]));
    }
    dct[f * 256u + cell] = sum;
}
