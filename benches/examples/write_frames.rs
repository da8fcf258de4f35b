//! Writes synthetic frames `0..COUNT` (cycling through `DISTINCT` of them), packed and back to
//! back, to standard output: input for other hashers' stream modes (e.g. `yume-pdq pipe`).
//!
//! ```text
//! cargo run -p vigil-benches --release --example write_frames -- WIDTH HEIGHT FORMAT COUNT [DISTINCT]
//! ```

use std::io::{BufWriter, Write};
use std::process::ExitCode;

use vigil::PixelFormat;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 4 || args.len() > 5 {
        eprintln!("usage: write_frames WIDTH HEIGHT FORMAT COUNT [DISTINCT]");
        return ExitCode::from(2);
    }
    let parse = |s: &str| s.parse::<u32>().map_err(|e| format!("{s:?}: {e}"));
    let run = || -> Result<(), String> {
        let (w, h, count) = (parse(&args[0])?, parse(&args[1])?, parse(&args[3])?);
        let format = PixelFormat::from_name(&args[2])
            .ok_or_else(|| format!("unknown format {}", args[2]))?;
        let distinct = args
            .get(4)
            .map(|s| parse(s))
            .transpose()?
            .unwrap_or(8)
            .max(1);
        let frames = vigil_benches::synthetic_frames(w, h, format, distinct.min(count.max(1)));
        let mut out = BufWriter::new(std::io::stdout().lock());
        for i in 0..count as usize {
            out.write_all(&frames[i % frames.len()])
                .map_err(|e| e.to_string())?;
        }
        out.flush().map_err(|e| e.to_string())
    };
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("write_frames: {e}");
            ExitCode::from(2)
        }
    }
}
