//! Hashes a stream of packed frames of one size from standard input, one after another on one
//! thread, and writes one line per frame, `hash quality`, to standard output: the same job as
//! `yume-pdq pipe`, for comparing CPU time per frame including the reading.
//!
//! ```text
//! cargo run -p vigil-benches --release --example write_frames -- 512 512 luma8 4000 > frames.raw
//! cargo run -p vigil-benches --release --example hash_stream -- 512 512 luma8 < frames.raw
//! ```

use std::io::{BufWriter, Read, Write};
use std::process::ExitCode;

use vigil::{Frame, PixelFormat};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() != 3 {
        eprintln!("usage: hash_stream WIDTH HEIGHT FORMAT < frames");
        return ExitCode::from(2);
    }
    let parse = |s: &str| s.parse::<u32>().map_err(|e| format!("{s:?}: {e}"));
    let run = || -> Result<u64, String> {
        let (w, h) = (parse(&args[0])?, parse(&args[1])?);
        let format = PixelFormat::from_name(&args[2])
            .ok_or_else(|| format!("unknown format {}", args[2]))?;
        let mut buf = vec![0u8; w as usize * h as usize * format.bytes_per_pixel()];
        let mut input = std::io::stdin().lock();
        let mut out = BufWriter::new(std::io::stdout().lock());
        let mut frames = 0u64;
        loop {
            match input.read_exact(&mut buf) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
                Err(e) => return Err(e.to_string()),
            }
            let frame = Frame::packed(&buf, w, h, format).map_err(|e| e.to_string())?;
            let pdq = vigil::hash(&frame);
            writeln!(out, "{} {}", pdq.hash, pdq.quality).map_err(|e| e.to_string())?;
            frames += 1;
        }
        out.flush().map_err(|e| e.to_string())?;
        Ok(frames)
    };
    match run() {
        Ok(frames) => {
            eprintln!("hash_stream: {frames} frames");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("hash_stream: {e}");
            ExitCode::from(2)
        }
    }
}
