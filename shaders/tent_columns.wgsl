// Stage 1, mirrored by engine/src/stages/tent_columns.rs: the vertical tent filter at the 64
// decimation rows. G[i][x] = sum_k wc_i[k] * p[start_i + k][x] for every byte x of a row.
// Bound: 255 * Dc < 2^29, so one u32 holds the sum.
// Dispatch: (ceil(max row_bytes / 64), 64 decimation rows, frames).

@group(0) @binding(0) var<storage, read> frames: array<FrameInfo>;
@group(0) @binding(1) var<storage, read> tables: array<u32>;
@group(0) @binding(2) var<storage, read> pixels: array<u32>;
@group(0) @binding(3) var<storage, read_write> columns: array<u32>;

// Byte `at` of the pixel buffer (little-endian words, as uploaded).
fn pixel_byte(at: u32) -> u32 {
    return (pixels[at >> 2u] >> ((at & 3u) * 8u)) & 0xffu;
}

@compute @workgroup_size(TENT_COLUMNS_LANES)
fn tent_columns(
    @builtin(workgroup_id) group: vec3<u32>,
    @builtin(local_invocation_index) lane: u32,
) {
    let frame = frames[group.z];
    let x = group.x * TENT_COLUMNS_LANES + lane;
    if (x >= frame.row_bytes) {
        return;
    }
    let i = group.y;
    let table = frame.vertical_table;
    let first_row = tables[table + TABLE_START + i];
    let tap_end = tables[table + TABLE_TAP_OFFSET + i + 1u];
    var at = frame.pixel_byte_offset + first_row * frame.stride + x;
    var sum = 0u;
    for (var tap = tables[table + TABLE_TAP_OFFSET + i]; tap < tap_end; tap++) {
        sum += tables[table + TABLE_WEIGHTS + tap] * pixel_byte(at);
        at += frame.stride;
    }
    columns[frame.columns_offset + i * frame.row_bytes + x] = sum;
}
