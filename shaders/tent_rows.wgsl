// Stage 2, mirrored by engine/src/stages/tent_rows.rs: the horizontal tent filter at the 64
// decimation columns per channel in 64 bits, then luma and the scale of the 64x64 image A.
//   V_c  = sum_k wr_j[k] * G[i][(start_j + k) * bpp + c]   < 2^50
//   V'_c = V_c >> s1                                       < 2^32
//   L    = sum_c luma_c * V'_c                             < 2^60
//   A    = (L + 2^(s2 - 1)) >> s2                          <= 2^27 + 2
// Dispatch: (1, 64 decimation rows, frames); one invocation per decimation column.

@group(0) @binding(0) var<storage, read> frames: array<FrameInfo>;
@group(0) @binding(1) var<storage, read> tables: array<u32>;
@group(0) @binding(2) var<storage, read> columns: array<u32>;
@group(0) @binding(3) var<storage, read_write> downsampled: array<u32>;

fn luma_offset(frame: FrameInfo, channel: u32) -> u32 {
    return select(select(frame.luma_offset_2, frame.luma_offset_1, channel == 1u), frame.luma_offset_0, channel == 0u);
}

fn luma_weight(frame: FrameInfo, channel: u32) -> u32 {
    return select(select(frame.luma_weight_2, frame.luma_weight_1, channel == 1u), frame.luma_weight_0, channel == 0u);
}

@compute @workgroup_size(DOWNSAMPLED)
fn tent_rows(
    @builtin(workgroup_id) group: vec3<u32>,
    @builtin(local_invocation_index) j: u32,
) {
    let frame = frames[group.z];
    let i = group.y;
    let table = frame.horizontal_table;
    let first_col = tables[table + TABLE_START + j];
    let tap_begin = tables[table + TABLE_TAP_OFFSET + j];
    let tap_end = tables[table + TABLE_TAP_OFFSET + j + 1u];
    let row = frame.columns_offset + i * frame.row_bytes + first_col * frame.bytes_per_pixel;
    var luma = vec2<u32>(0u, 0u);
    for (var channel = 0u; channel < frame.luma_channels; channel++) {
        var at = row + luma_offset(frame, channel);
        var sum = vec2<u32>(0u, 0u);
        for (var tap = tap_begin; tap < tap_end; tap++) {
            sum = add_wide(sum, mul_wide(tables[table + TABLE_WEIGHTS + tap], columns[at]));
            at += frame.bytes_per_pixel;
        }
        luma = add_wide(luma, mul_wide(luma_weight(frame, channel), shift_right_wide(sum, frame.channel_shift)));
    }
    let rounded = add_wide(luma, power_of_two_wide(frame.luma_shift - 1u));
    downsampled[group.z * DOWNSAMPLED_CELLS + i * DOWNSAMPLED + j] = shift_right_wide(rounded, frame.luma_shift);
}
