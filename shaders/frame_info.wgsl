// Per-frame parameters of a batch, written by the host (engine/src/gpu/layout.rs mirrors this
// struct field for field; a test compares the two through naga). All offsets are in 32-bit words
// unless named *_byte*. Constants shared with the host (DOWNSAMPLED, TABLE_*, ...) are not
// written in WGSL: the host generates them from the Rust constants (engine/src/gpu/shaders.rs).
struct FrameInfo {
    pixel_byte_offset: u32,  // first byte of row 0 in `pixels`
    stride: u32,             // bytes from one row to the next
    width: u32,
    height: u32,
    bytes_per_pixel: u32,
    row_bytes: u32,          // width * bytes_per_pixel
    vertical_table: u32,     // vertical AxisFilter in `tables`: start[64], tap_offset[65], weights
    horizontal_table: u32,   // horizontal AxisFilter in `tables`
    columns_offset: u32,     // this frame's 64 x row_bytes block of stage 1 output
    channel_shift: u32,      // s1
    luma_shift: u32,         // s2
    quality_reciprocal: u32, // Rq
    luma_channels: u32,      // 1 or 3
    luma_offset_0: u32,
    luma_offset_1: u32,
    luma_offset_2: u32,
    luma_weight_0: u32,
    luma_weight_1: u32,
    luma_weight_2: u32,
    padding: u32,
}

