//! The variants of a robust query, as `vigil match --robust`, `vigil hash --variants` and
//! `vigil robustness` take them.

use clap::Args;
use vigil::robust::RobustOptions;
use vigil::robust::resample::MAX_ROTATION_DEGREES;

/// Which variants a robust query hashes (defaults: the library's).
#[derive(Clone, Debug, Args)]
pub struct RobustArgs {
    /// Turns of the whole upload, in degrees, each tried both ways (at most 15; `none` for none).
    #[arg(long, value_name = "DEGREES", default_value_t = Numbers(RobustOptions::default().rotations), value_parser = parse_rotations)]
    pub rotations: Numbers<u8>,

    /// Zooms of the whole upload, in permille of its sides (1050 zooms out by 5%, finding a
    /// picture that was cropped by about 2.5% a side; `none` for none).
    #[arg(long, value_name = "PERMILLE", default_value_t = Numbers(RobustOptions::default().zooms), value_parser = parse_numbers::<u16>)]
    pub zooms: Numbers<u16>,

    /// Zooms of each content region besides the region itself, in permille (`none` for none).
    #[arg(long, value_name = "PERMILLE", default_value_t = Numbers(RobustOptions::default().region_zooms), value_parser = parse_numbers::<u16>)]
    pub region_zooms: Numbers<u16>,

    /// Most content regions (inside borders, bands, canvases, blurred backgrounds) tried; 0
    /// looks for none.
    #[arg(long, value_name = "N", default_value_t = RobustOptions::default().max_regions)]
    pub max_regions: usize,

    /// Gate uploads on PDQ's quality alone, not on the larger of it and the quality of the
    /// contrast-stretched upload (which dimming cannot lower).
    #[arg(long)]
    pub plain_quality_gate: bool,

    /// Do not also hash the upload with a bright overlay (white text or a logo stamped on it: a
    /// watermark) taken out.
    #[arg(long)]
    pub no_overlay_removal: bool,
}

/// A comma-separated list of numbers (its own type so clap takes the list as one value).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Numbers<T>(pub Vec<T>);

/// As the flag takes it (`--help` shows the library's defaults this way).
impl<T: std::fmt::Display> std::fmt::Display for Numbers<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            return f.write_str("none");
        }
        let texts: Vec<String> = self.0.iter().map(T::to_string).collect();
        f.write_str(&texts.join(","))
    }
}

fn parse_numbers<T: std::str::FromStr + Clone + Send + Sync + 'static>(
    value: &str,
) -> Result<Numbers<T>, String> {
    if value == "none" || value.is_empty() {
        return Ok(Numbers(Vec::new()));
    }
    value
        .split(',')
        .map(|n| {
            n.trim()
                .parse::<T>()
                .map_err(|_| format!("not a number: {n:?}"))
        })
        .collect::<Result<Vec<T>, String>>()
        .map(Numbers)
}

fn parse_rotations(value: &str) -> Result<Numbers<u8>, String> {
    let numbers = parse_numbers::<u8>(value)?;
    match numbers.0.iter().find(|&&d| d > MAX_ROTATION_DEGREES) {
        Some(d) => Err(format!(
            "turns go up to {MAX_ROTATION_DEGREES} degrees; got {d}"
        )),
        None => Ok(numbers),
    }
}

impl RobustArgs {
    /// Whether any variant flag differs from its default: the commands refuse such flags
    /// without the option that uses them.
    pub fn changed(&self) -> bool {
        self.options() != RobustOptions::default()
    }

    /// The library's options for these flags.
    pub fn options(&self) -> RobustOptions {
        RobustOptions::default()
            .rotations(self.rotations.0.clone())
            .zooms(self.zooms.0.clone())
            .region_zooms(self.region_zooms.0.clone())
            .regions(self.max_regions > 0)
            .max_regions(self.max_regions)
            .contrast_normalised_quality(!self.plain_quality_gate)
            .overlay_removal(!self.no_overlay_removal)
    }
}
