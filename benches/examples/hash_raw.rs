//! Hashes a raw, packed frame file with vigil and prints `hash quality`.
//!
//! ```text
//! cargo run -p vigil-benches --release --example hash_raw -- FILE WIDTH HEIGHT FORMAT [INDEX]
//! ```
//!
//! `FORMAT` is a [`vigil::PixelFormat`] name (`rgb8`, `luma8`, ...). With `INDEX`, also prints on
//! stderr whether the file's bytes equal synthetic frame `INDEX` of the benches' generator (the
//! check `reference_pdqhash.py` uses to confirm it timed the same pixels).

use std::process::ExitCode;

use vigil::{Frame, PixelFormat};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 4 || args.len() > 5 {
        eprintln!("usage: hash_raw FILE WIDTH HEIGHT FORMAT [INDEX]");
        return ExitCode::from(2);
    }
    let parse = |s: &str| s.parse::<u32>().map_err(|e| format!("{s:?}: {e}"));
    let run = || -> Result<bool, String> {
        let bytes = std::fs::read(&args[0]).map_err(|e| format!("{}: {e}", args[0]))?;
        let (w, h) = (parse(&args[1])?, parse(&args[2])?);
        let format = PixelFormat::from_name(&args[3])
            .ok_or_else(|| format!("unknown format {}", args[3]))?;
        let frame = Frame::packed(&bytes, w, h, format).map_err(|e| e.to_string())?;
        let pdq = vigil::hash(&frame);
        println!("{} {}", pdq.hash, pdq.quality);
        if let Some(index) = args.get(4) {
            let expected = vigil_benches::synthetic_frame(w, h, format, parse(index)?);
            let same = expected == bytes;
            eprintln!(
                "synthetic frame {index}: {}",
                if same { "identical" } else { "DIFFERENT" }
            );
            return Ok(same);
        }
        Ok(true)
    };
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("hash_raw: {e}");
            ExitCode::from(2)
        }
    }
}
