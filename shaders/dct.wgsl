// Stage 4, mirrored by engine/src/stages/dct.rs: the 16x16 block of B = Dq * A * Dq^T.
//   T[u][j]  = sum_i Dq[u][i] * A[i][j]    |T|  < 2^60 (two words)
//   T'[u][j] = (T + 2^29) >> 30            |T'| < 2^30 (i32)
//   B[u][v]  = sum_j T'[u][j] * Dq[v][j]   |B|  < 2^63 (two words)
// Entry points: dct_columns, dispatch (1, 16, frames); then dct_rows, dispatch (1, 1, frames).

@group(0) @binding(0) var<storage, read> downsampled: array<u32>;
@group(0) @binding(1) var<storage, read> dct_matrix: array<i32>;
@group(0) @binding(2) var<storage, read_write> dct_mid: array<i32>;
@group(0) @binding(3) var<storage, read_write> dct: array<vec2<u32>>;

@compute @workgroup_size(DOWNSAMPLED)
fn dct_columns(
    @builtin(workgroup_id) group: vec3<u32>,
    @builtin(local_invocation_index) j: u32,
) {
    let f = group.z;
    let u = group.y;
    var sum = vec2<u32>(0u, 0u);
    for (var i = 0u; i < DOWNSAMPLED; i++) {
        // A <= 2^27 + 2 fits an i32.
        let a = bitcast<i32>(downsampled[f * DOWNSAMPLED_CELLS + i * DOWNSAMPLED + j]);
        sum = add_wide(sum, mul_wide_signed(dct_matrix[u * DOWNSAMPLED + i], a));
    }
    let rounded = add_wide(sum, vec2<u32>(1u << (DCT_MID_SHIFT - 1u), 0u));
    // Arithmetic shift by DCT_MID_SHIFT; the result fits 32 bits (|T'| < 2^30).
    let shifted = (rounded.x >> DCT_MID_SHIFT) | (rounded.y << (32u - DCT_MID_SHIFT));
    dct_mid[f * DCT_SIDE * DOWNSAMPLED + u * DOWNSAMPLED + j] = bitcast<i32>(shifted);
}

@compute @workgroup_size(DCT_CELLS)
fn dct_rows(
    @builtin(workgroup_id) group: vec3<u32>,
    @builtin(local_invocation_index) cell: u32,
) {
    let f = group.z;
    let u = cell / DCT_SIDE;
    let v = cell % DCT_SIDE;
    var sum = vec2<u32>(0u, 0u);
    for (var j = 0u; j < DOWNSAMPLED; j++) {
        let t = dct_mid[f * DCT_SIDE * DOWNSAMPLED + u * DOWNSAMPLED + j];
        sum = add_wide(sum, mul_wide_signed(t, dct_matrix[v * DOWNSAMPLED + j]));
    }
    dct[f * DCT_CELLS + cell] = sum;
}
