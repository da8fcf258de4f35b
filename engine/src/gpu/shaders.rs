//! The WGSL sources of `shaders/`, one file per stage, and what the host must know of each: its
//! bindings (name, access) and entry points (workgroup size). Every module is prefixed with
//! declarations the host generates from the Rust constants ([`prelude`]: the decimated size, the
//! DCT block, the quality score's constants, the table layout, ...), then the shared WGSL
//! (`frame_info.wgsl`: the per-frame parameters; `wide_int.wgsl`: 64-bit integers as two words).
//! The shaders never spell those numbers, so a constant changed in Rust cannot diverge between
//! the backends; a test reads every module with naga and checks its bindings, workgroup sizes
//! and `FrameInfo` layout against these declarations, with no GPU.

use std::fmt::Write;

use super::layout::{TABLE_START, TABLE_TAP_OFFSET, TABLE_WEIGHTS};
use crate::stages::dct::DCT_MID_SHIFT;
use crate::stages::quality::{GRADIENT_DIVISOR, GRADIENT_SHIFT, QUALITY_MAX};
use crate::stages::{DCT_SIDE, DOWNSAMPLED};

const FRAME_INFO: &str = include_str!("../../../shaders/frame_info.wgsl");
const WIDE_INT: &str = include_str!("../../../shaders/wide_int.wgsl");

/// Invocations per workgroup of stage 1 (one per byte of a row).
pub(crate) const TENT_COLUMNS_LANES: u32 = 64;
/// Invocations per workgroup of stage 3 (each sums a share of the 64×64 image).
pub(crate) const QUALITY_LANES: u32 = 256;
/// 32-bit words of one 256-bit hash.
pub(crate) const HASH_WORDS: u32 = 8;
/// Dihedral orientations hashed per frame.
pub(crate) const ORIENTATIONS: u32 = 8;

/// The constants every module gets, as `(name, value)`.
fn shared_constants() -> [(&'static str, u32); 16] {
    let (side, dct) = (DOWNSAMPLED as u32, DCT_SIDE as u32);
    [
        ("DOWNSAMPLED", side),
        ("DOWNSAMPLED_CELLS", side * side),
        ("DCT_SIDE", dct),
        ("DCT_CELLS", dct * dct),
        ("MEDIAN_RANK", dct * dct / 2),
        ("DCT_MID_SHIFT", DCT_MID_SHIFT),
        ("GRADIENT_SHIFT", GRADIENT_SHIFT),
        ("GRADIENT_DIVISOR", GRADIENT_DIVISOR),
        ("QUALITY_MAX", QUALITY_MAX),
        ("TABLE_START", TABLE_START),
        ("TABLE_TAP_OFFSET", TABLE_TAP_OFFSET),
        ("TABLE_WEIGHTS", TABLE_WEIGHTS),
        ("TENT_COLUMNS_LANES", TENT_COLUMNS_LANES),
        ("QUALITY_LANES", QUALITY_LANES),
        ("HASH_WORDS", HASH_WORDS),
        ("ORIENTATIONS", ORIENTATIONS),
    ]
}

/// The generated WGSL declarations of [`shared_constants`].
pub(crate) fn prelude() -> String {
    let mut out =
        String::from("// Generated from the Rust constants by engine/src/gpu/shaders.rs.\n");
    for (name, value) in shared_constants() {
        let _ = writeln!(out, "const {name}: u32 = {value}u;");
    }
    out
}

/// How a shader uses a buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    Read,
    ReadWrite,
}

/// One `@group(0) @binding(index)` storage buffer, `index` being its place in
/// [`StageShader::bindings`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Binding {
    pub name: &'static str,
    pub access: Access,
}

const fn read(name: &'static str) -> Binding {
    Binding {
        name,
        access: Access::Read,
    }
}

const fn read_write(name: &'static str) -> Binding {
    Binding {
        name,
        access: Access::ReadWrite,
    }
}

/// An entry point, its workgroup size and what each axis of its dispatch grid counts (the host
/// sizes every dispatch from this, never from numbers of its own).
#[derive(Clone, Copy, Debug)]
pub(crate) struct EntryPoint {
    pub name: &'static str,
    pub workgroup_size: [u32; 3],
    pub grid: [GridAxis; 3],
}

/// What one axis of a dispatch grid counts, as the entry point reads its `workgroup_id`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GridAxis {
    /// A single workgroup.
    One,
    /// The batch's frames.
    Frames,
    /// Stage 1's shares of the widest row: [`TENT_COLUMNS_LANES`] bytes each.
    RowShares,
    /// The 64 rows of the downsampled image.
    DownsampledRows,
    /// The 16 rows of the DCT block.
    DctRows,
    /// The eight dihedral orientations.
    Orientations,
}

/// The sizes of one batch that grids are counted in.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BatchShape {
    pub frames: u32,
    pub row_shares: u32,
}

impl GridAxis {
    /// Workgroups along this axis for `batch`.
    pub fn workgroups(self, batch: BatchShape) -> u32 {
        match self {
            GridAxis::One => 1,
            GridAxis::Frames => batch.frames,
            GridAxis::RowShares => batch.row_shares,
            GridAxis::DownsampledRows => SIDE,
            GridAxis::DctRows => DCT_SIDE as u32,
            GridAxis::Orientations => ORIENTATIONS,
        }
    }
}

impl EntryPoint {
    /// The dispatch grid for `batch`.
    pub fn grid_for(&self, batch: BatchShape) -> [u32; 3] {
        self.grid.map(|axis| axis.workgroups(batch))
    }
}

/// A stage's shader file, its bindings in `@binding` order and its entry points in dispatch
/// order.
pub(crate) struct StageShader {
    pub file: &'static str,
    pub body: &'static str,
    pub bindings: &'static [Binding],
    pub entry_points: &'static [EntryPoint],
}

const fn entry(name: &'static str, lanes: u32, grid: [GridAxis; 3]) -> EntryPoint {
    EntryPoint {
        name,
        workgroup_size: [lanes, 1, 1],
        grid,
    }
}

use GridAxis::{DctRows, DownsampledRows, Frames, One, Orientations, RowShares};

const SIDE: u32 = DOWNSAMPLED as u32;
const DCT_CELLS: u32 = (DCT_SIDE * DCT_SIDE) as u32;

pub(crate) const TENT_COLUMNS: StageShader = StageShader {
    file: "tent_columns.wgsl",
    body: include_str!("../../../shaders/tent_columns.wgsl"),
    bindings: &[
        read("frames"),
        read("tables"),
        read("pixels"),
        read_write("columns"),
    ],
    entry_points: &[entry(
        "tent_columns",
        TENT_COLUMNS_LANES,
        [RowShares, DownsampledRows, Frames],
    )],
};
pub(crate) const TENT_ROWS: StageShader = StageShader {
    file: "tent_rows.wgsl",
    body: include_str!("../../../shaders/tent_rows.wgsl"),
    bindings: &[
        read("frames"),
        read("tables"),
        read("columns"),
        read_write("downsampled"),
    ],
    entry_points: &[entry("tent_rows", SIDE, [One, DownsampledRows, Frames])],
};
pub(crate) const QUALITY: StageShader = StageShader {
    file: "quality.wgsl",
    body: include_str!("../../../shaders/quality.wgsl"),
    bindings: &[read("frames"), read("downsampled"), read_write("quality")],
    entry_points: &[entry("quality_score", QUALITY_LANES, [Frames, One, One])],
};
pub(crate) const DCT: StageShader = StageShader {
    file: "dct.wgsl",
    body: include_str!("../../../shaders/dct.wgsl"),
    bindings: &[
        read("downsampled"),
        read("dct_matrix"),
        read_write("dct_mid"),
        read_write("dct"),
    ],
    entry_points: &[
        entry("dct_columns", SIDE, [One, DctRows, Frames]),
        entry("dct_rows", DCT_CELLS, [One, One, Frames]),
    ],
};
pub(crate) const BITS: StageShader = StageShader {
    file: "bits.wgsl",
    body: include_str!("../../../shaders/bits.wgsl"),
    bindings: &[read("dct"), read_write("hashes")],
    entry_points: &[entry("bits", DCT_CELLS, [Orientations, Frames, One])],
};

/// Every stage, in pipeline order.
#[cfg(test)]
pub(crate) const STAGES: [&StageShader; 5] = [&TENT_COLUMNS, &TENT_ROWS, &QUALITY, &DCT, &BITS];

impl StageShader {
    /// The complete module source: the generated constants, the shared declarations, the stage.
    pub fn source(&self) -> String {
        format!("{}\n{FRAME_INFO}\n{WIDE_INT}\n{}", prelude(), self.body)
    }

    /// The `@binding` index of the buffer the shader calls `name`.
    pub fn binding(&self, name: &str) -> Option<u32> {
        self.bindings
            .iter()
            .position(|b| b.name == name)
            .map(|i| i as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(stage: &StageShader) -> naga::Module {
        let source = stage.source();
        let module = naga::front::wgsl::parse_str(&source)
            .unwrap_or_else(|e| panic!("{}: {}", stage.file, e.emit_to_string(&source)));
        let mut validator = naga::valid::Validator::new(
            naga::valid::ValidationFlags::all(),
            naga::valid::Capabilities::empty(),
        );
        validator
            .validate(&module)
            .unwrap_or_else(|e| panic!("{}: {}", stage.file, e.emit_to_string(&source)));
        module
    }

    /// Every shader validates with naga, and declares exactly the bindings (name, index, access)
    /// and entry points (workgroup size) the host uses: no device needed.
    #[test]
    fn shaders_match_what_the_host_declares() {
        for stage in STAGES {
            let module = module(stage);
            let mut seen = 0;
            for (_, global) in module.global_variables.iter() {
                let Some(binding) = &global.binding else {
                    continue;
                };
                seen += 1;
                let name = global.name.as_deref().unwrap_or("");
                assert_eq!(binding.group, 0, "{}: {name}", stage.file);
                let declared = stage
                    .bindings
                    .get(binding.binding as usize)
                    .unwrap_or_else(|| {
                        panic!(
                            "{}: {name} at binding {} is not declared",
                            stage.file, binding.binding
                        )
                    });
                assert_eq!(
                    declared.name, name,
                    "{}: binding {}",
                    stage.file, binding.binding
                );
                let access = match global.space {
                    naga::AddressSpace::Storage { access }
                        if access.contains(naga::StorageAccess::STORE) =>
                    {
                        Access::ReadWrite
                    }
                    naga::AddressSpace::Storage { .. } => Access::Read,
                    other => panic!("{}: {name} is {other:?}, not storage", stage.file),
                };
                assert_eq!(access, declared.access, "{}: {name}", stage.file);
            }
            assert_eq!(seen, stage.bindings.len(), "{}: binding count", stage.file);
            assert_eq!(
                module.entry_points.len(),
                stage.entry_points.len(),
                "{}",
                stage.file
            );
            for declared in stage.entry_points {
                let entry = module
                    .entry_points
                    .iter()
                    .find(|e| e.name == declared.name)
                    .unwrap_or_else(|| panic!("{}: no entry point {}", stage.file, declared.name));
                assert_eq!(
                    entry.workgroup_size, declared.workgroup_size,
                    "{}: {}",
                    stage.file, declared.name
                );
            }
        }
    }

    /// `struct FrameInfo` in `frame_info.wgsl` has the host's fields at the host's offsets, and
    /// its size.
    #[test]
    fn frame_info_layout_matches_the_host() {
        let module = module(&TENT_ROWS);
        let (_, ty) = module
            .types
            .iter()
            .find(|(_, t)| t.name.as_deref() == Some("FrameInfo"))
            .expect("struct FrameInfo");
        let naga::TypeInner::Struct { members, span } = &ty.inner else {
            panic!("FrameInfo is not a struct");
        };
        let shader: Vec<(String, usize)> = members
            .iter()
            .map(|m| (m.name.clone().unwrap_or_default(), m.offset as usize))
            .collect();
        assert_eq!(shader, super::super::layout::frame_info_fields());
        assert_eq!(
            *span as usize,
            std::mem::size_of::<super::super::layout::FrameInfo>()
        );
    }

    /// The prelude holds the values the CPU stages use.
    #[test]
    fn the_prelude_is_generated_from_the_rust_constants() {
        let prelude = prelude();
        assert!(prelude.contains("const DOWNSAMPLED: u32 = 64u;"));
        assert!(prelude.contains("const GRADIENT_SHIFT: u32 = 47u;"));
        assert!(prelude.contains(&format!(
            "const TABLE_WEIGHTS: u32 = {}u;",
            2 * DOWNSAMPLED + 1
        )));
        for stage in STAGES {
            for (name, _) in shared_constants() {
                assert!(
                    !stage.body.contains(&format!("const {name}")),
                    "{} redefines {name}",
                    stage.file
                );
            }
        }
    }
}
