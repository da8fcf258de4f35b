//! What the host writes for a batch: per-frame parameters (`shaders/frame_info.wgsl`, field for
//! field), the integer tables of each frame size, and where each frame's bytes and intermediate
//! results live in the batch's buffers.

use std::collections::HashMap;

use bytemuck::{Pod, Zeroable};

use crate::frame::Frame;
use crate::plan::{AxisFilter, FramePlan, luma_taps};
use crate::stages::DOWNSAMPLED;

/// Mirrors `struct FrameInfo` in `shaders/frame_info.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
pub(crate) struct FrameInfo {
    pub pixel_byte_offset: u32,
    pub stride: u32,
    pub width: u32,
    pub height: u32,
    pub bytes_per_pixel: u32,
    pub row_bytes: u32,
    pub vertical_table: u32,
    pub horizontal_table: u32,
    pub columns_offset: u32,
    pub channel_shift: u32,
    pub luma_shift: u32,
    pub quality_reciprocal: u32,
    pub luma_channels: u32,
    pub luma_offset: [u32; 3],
    pub luma_weight: [u32; 3],
    pub padding: u32,
}

/// Words of stage 1 output per frame: 64 rows of the frame's bytes.
pub(crate) fn columns_words(frame: &Frame<'_>) -> u64 {
    DOWNSAMPLED as u64 * frame.row_bytes() as u64
}

/// Bytes of a frame's region as uploaded: every row, the last without padding.
pub(crate) fn region_bytes(frame: &Frame<'_>) -> u64 {
    frame.stride() as u64 * (frame.height() as u64 - 1) + frame.row_bytes() as u64
}

/// A batch laid out for upload.
pub(crate) struct PackedBatch {
    pub infos: Vec<FrameInfo>,
    pub tables: Vec<u32>,
    /// Total bytes of the pixel buffer (a multiple of 4).
    pub pixel_bytes: u64,
    /// Total words of the stage 1 output buffer.
    pub columns_words: u64,
    /// Widest row in bytes, for stage 1's dispatch.
    pub max_row_bytes: u32,
}

impl PackedBatch {
    /// Lays out `frames` (all at least 5 pixels on a side). Pixel regions start on 4-byte
    /// boundaries; frames of one size share their tables.
    pub fn new(frames: &[Frame<'_>]) -> Self {
        let mut tables = Vec::new();
        let mut plans: HashMap<(u32, u32), (FramePlan, u32, u32)> = HashMap::new();
        let mut infos = Vec::with_capacity(frames.len());
        let (mut pixel_bytes, mut total_columns, mut max_row_bytes) = (0u64, 0u64, 0u32);
        for frame in frames {
            let (plan, vertical_table, horizontal_table) = plans
                .entry((frame.width(), frame.height()))
                .or_insert_with(|| {
                    let plan = FramePlan::new(frame.width(), frame.height());
                    let vertical_table = append_axis(&plan.vertical, &mut tables);
                    let horizontal_table = append_axis(&plan.horizontal, &mut tables);
                    (plan, vertical_table, horizontal_table)
                });
            let taps = luma_taps(frame.format());
            let mut luma_offset = [0u32; 3];
            let mut luma_weight = [0u32; 3];
            for (k, tap) in taps.iter().enumerate() {
                luma_offset[k] = tap.offset;
                luma_weight[k] = tap.weight;
            }
            infos.push(FrameInfo {
                pixel_byte_offset: pixel_bytes as u32,
                stride: frame.stride() as u32,
                width: frame.width(),
                height: frame.height(),
                bytes_per_pixel: frame.format().bytes_per_pixel() as u32,
                row_bytes: frame.row_bytes() as u32,
                vertical_table: *vertical_table,
                horizontal_table: *horizontal_table,
                columns_offset: total_columns as u32,
                channel_shift: plan.channel_shift,
                luma_shift: plan.luma_shift,
                quality_reciprocal: plan.quality_reciprocal,
                luma_channels: taps.len() as u32,
                luma_offset,
                luma_weight,
                padding: 0,
            });
            pixel_bytes += region_bytes(frame).next_multiple_of(4);
            total_columns += columns_words(frame);
            max_row_bytes = max_row_bytes.max(frame.row_bytes() as u32);
        }
        PackedBatch {
            infos,
            tables,
            pixel_bytes,
            columns_words: total_columns,
            max_row_bytes,
        }
    }

    /// Hands each frame's region to `write` with its byte offset in the pixel buffer.
    pub fn write_pixels(&self, frames: &[Frame<'_>], mut write: impl FnMut(usize, &[u8])) {
        for (frame, info) in frames.iter().zip(&self.infos) {
            let len = region_bytes(frame) as usize;
            write(info.pixel_byte_offset as usize, &frame.data()[..len]);
        }
    }
}

/// Where an axis's parts start in `tables`, from its base index (`TABLE_*` in the shaders).
pub(crate) const TABLE_START: u32 = 0;
pub(crate) const TABLE_TAP_OFFSET: u32 = TABLE_START + DOWNSAMPLED as u32;
pub(crate) const TABLE_WEIGHTS: u32 = TABLE_TAP_OFFSET + DOWNSAMPLED as u32 + 1;

/// Appends an axis's taps as `start[64], tap_offset[65], weights...` (at [`TABLE_START`],
/// [`TABLE_TAP_OFFSET`], [`TABLE_WEIGHTS`]); returns its base index.
fn append_axis(filter: &AxisFilter, tables: &mut Vec<u32>) -> u32 {
    let base = tables.len() as u32;
    tables.extend_from_slice(&filter.start);
    tables.extend_from_slice(&filter.tap_offset);
    tables.extend_from_slice(&filter.weights);
    base
}

/// Where each field of [`FrameInfo`] lies, in bytes, under the names `frame_info.wgsl` gives
/// them (the arrays are fields `_0`, `_1`, `_2` there), for the test that reads the shader's
/// struct with naga.
#[cfg(test)]
pub(crate) fn frame_info_fields() -> Vec<(String, usize)> {
    use std::mem::offset_of;
    let mut fields: Vec<(String, usize)> = [
        (
            "pixel_byte_offset",
            offset_of!(FrameInfo, pixel_byte_offset),
        ),
        ("stride", offset_of!(FrameInfo, stride)),
        ("width", offset_of!(FrameInfo, width)),
        ("height", offset_of!(FrameInfo, height)),
        ("bytes_per_pixel", offset_of!(FrameInfo, bytes_per_pixel)),
        ("row_bytes", offset_of!(FrameInfo, row_bytes)),
        ("vertical_table", offset_of!(FrameInfo, vertical_table)),
        ("horizontal_table", offset_of!(FrameInfo, horizontal_table)),
        ("columns_offset", offset_of!(FrameInfo, columns_offset)),
        ("channel_shift", offset_of!(FrameInfo, channel_shift)),
        ("luma_shift", offset_of!(FrameInfo, luma_shift)),
        (
            "quality_reciprocal",
            offset_of!(FrameInfo, quality_reciprocal),
        ),
        ("luma_channels", offset_of!(FrameInfo, luma_channels)),
    ]
    .into_iter()
    .map(|(name, offset)| (name.to_owned(), offset))
    .collect();
    for (array, base) in [
        ("luma_offset", offset_of!(FrameInfo, luma_offset)),
        ("luma_weight", offset_of!(FrameInfo, luma_weight)),
    ] {
        fields.extend((0..3).map(|k| (format!("{array}_{k}"), base + 4 * k)));
    }
    fields.push(("padding".to_owned(), offset_of!(FrameInfo, padding)));
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `append_axis` writes the parts where `TABLE_*` say they are.
    #[test]
    fn axis_tables_follow_the_table_offsets() {
        let plan = FramePlan::new(640, 480);
        let mut tables = vec![7u32; 3];
        let base = append_axis(&plan.vertical, &mut tables) as usize;
        let at = |offset: u32| base + offset as usize;
        assert_eq!(
            tables[at(TABLE_START)..at(TABLE_TAP_OFFSET)],
            plan.vertical.start[..]
        );
        assert_eq!(
            tables[at(TABLE_TAP_OFFSET)..at(TABLE_WEIGHTS)],
            plan.vertical.tap_offset[..]
        );
        assert_eq!(tables[at(TABLE_WEIGHTS)..], plan.vertical.weights[..]);
    }
}
