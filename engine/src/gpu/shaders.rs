//! The WGSL sources of `shaders/`, one file per stage, each prefixed with the shared declarations
//! (`frame_info.wgsl`: the per-frame parameters; `wide_int.wgsl`: 64-bit integers as two words).

const FRAME_INFO: &str = include_str!("../../../shaders/frame_info.wgsl");
const WIDE_INT: &str = include_str!("../../../shaders/wide_int.wgsl");

/// A stage's shader file and its entry points, in dispatch order.
pub(crate) struct StageShader {
    pub file: &'static str,
    pub body: &'static str,
    pub entry_points: &'static [&'static str],
}

pub(crate) const TENT_COLUMNS: StageShader = StageShader {
    file: "tent_columns.wgsl",
    body: include_str!("../../../shaders/tent_columns.wgsl"),
    entry_points: &["tent_columns"],
};
pub(crate) const TENT_ROWS: StageShader = StageShader {
    file: "tent_rows.wgsl",
    body: include_str!("../../../shaders/tent_rows.wgsl"),
    entry_points: &["tent_rows"],
};
pub(crate) const QUALITY: StageShader = StageShader {
    file: "quality.wgsl",
    body: include_str!("../../../shaders/quality.wgsl"),
    entry_points: &["quality_score"],
};
pub(crate) const DCT: StageShader = StageShader {
    file: "dct.wgsl",
    body: include_str!("../../../shaders/dct.wgsl"),
    entry_points: &["dct_columns", "dct_rows"],
};
pub(crate) const BITS: StageShader = StageShader {
    file: "bits.wgsl",
    body: include_str!("../../../shaders/bits.wgsl"),
    entry_points: &["bits"],
};

/// Every stage, in pipeline order.
#[cfg(test)]
pub(crate) const STAGES: [&StageShader; 5] = [&TENT_COLUMNS, &TENT_ROWS, &QUALITY, &DCT, &BITS];

impl StageShader {
    /// The complete module source: shared declarations, then the stage.
    pub fn source(&self) -> String {
        format!("{FRAME_INFO}\n{WIDE_INT}\n{}", self.body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every shader parses and validates with naga, no device needed.
    #[test]
    fn shaders_validate_with_naga() {
        for stage in STAGES {
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
            for entry in stage.entry_points {
                assert!(
                    module.entry_points.iter().any(|e| e.name == *entry),
                    "{}: no entry point {entry}",
                    stage.file
                );
            }
        }
    }
}
