//! `vigil bench`: hashing throughput on this machine's backends, for a sweep of frame sizes and
//! batch sizes, beside the adapter's host→device copy bandwidth (the ceiling when upload
//! dominates). Synthetic, photo-like RGB frames; no timing is asserted anywhere.

use std::io::{self, Write};
use std::time::{Duration, Instant};

use clap::Args;
use vigil::synthetic::synthetic_frame;
use vigil::{Backend, BatchHasher, Frame, PixelFormat};

use crate::Outcome;

const AFTER_HELP: &str = "\
Each row hashes batches of distinct synthetic RGB frames for about --seconds and reports frames/s,
the megabytes of pixels per second that implies (what a GPU must upload), and the time per batch.
For a GPU the adapter's host-to-device copy bandwidth is measured first: large batches should
approach it. Peak memory of the process (VmHWM) is printed at the end.

Examples:
  vigil bench
  vigil bench --backend gpu --batch 1,16,64,256 --json > gpu.jsonl";

/// Options of `vigil bench`.
#[derive(Debug, Args)]
#[command(after_help = AFTER_HELP)]
pub struct BenchArgs {
    /// Backends to measure: `all` (the CPU and, when one is found, the GPU), or one backend
    /// (`auto`: the one `vigil hash` would use).
    #[arg(long, value_name = "BACKEND", default_value = "all", value_parser = parse_backends)]
    pub backend: BenchBackends,

    /// Frame sizes, WIDTHxHEIGHT, comma separated.
    #[arg(long, value_delimiter = ',', default_value = "1920x1080,1280x720,640x360", value_parser = parse_size)]
    pub size: Vec<(u32, u32)>,

    /// Frames per batch, comma separated (1 to 65536).
    #[arg(long, value_delimiter = ',', default_value = "1,8,32,128", value_parser = parse_batch)]
    pub batch: Vec<usize>,

    /// Seconds to spend on each measurement, up to an hour (at least two batches are timed).
    #[arg(long, default_value_t = 1.0, value_parser = parse_seconds)]
    pub seconds: f64,

    /// Print JSON Lines instead of a table.
    #[arg(long)]
    pub json: bool,
}

fn parse_batch(value: &str) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(n @ 1..=65536) => Ok(n),
        _ => Err(format!(
            "expected a batch size from 1 to 65536, got {value:?}"
        )),
    }
}

fn parse_seconds(value: &str) -> Result<f64, String> {
    match value.parse::<f64>() {
        Ok(s) if s > 0.0 && s <= 3600.0 => Ok(s),
        _ => Err(format!(
            "expected seconds above 0 and up to 3600, got {value:?}"
        )),
    }
}

fn parse_size(value: &str) -> Result<(u32, u32), String> {
    let (w, h) = value
        .split_once('x')
        .ok_or_else(|| format!("size {value:?} is not WIDTHxHEIGHT"))?;
    let parse = |v: &str| {
        v.parse::<u32>()
            .map_err(|_| format!("size {value:?} is not WIDTHxHEIGHT"))
    };
    let (w, h) = (parse(w)?, parse(h)?);
    if w == 0 || h == 0 || w > vigil::MAX_SIDE || h > vigil::MAX_SIDE {
        return Err(format!(
            "size {value:?} must be 1..={} on each side",
            vigil::MAX_SIDE
        ));
    }
    Ok((w, h))
}

/// Distinct frames cycled through a batch: enough that no two neighbours share pixels, few
/// enough that a 128-frame 1080p batch does not need 800 MB.
const DISTINCT_FRAMES: usize = 16;

/// `--backend`: every backend, or one of the engine's.
#[derive(Clone, Copy, Debug)]
pub enum BenchBackends {
    All,
    One(Backend),
}

/// `all`, or a [`Backend`] by its own names.
fn parse_backends(value: &str) -> Result<BenchBackends, String> {
    match value {
        "all" => Ok(BenchBackends::All),
        name => name
            .parse::<Backend>()
            .map(BenchBackends::One)
            .map_err(|error| format!("{error}, or all")),
    }
}

/// Runs `vigil bench`.
pub fn run(args: &BenchArgs) -> Result<Outcome, String> {
    let mut hashers = Vec::new();
    match args.backend {
        BenchBackends::One(backend) => {
            hashers.push(BatchHasher::new(backend).map_err(|e| e.to_string())?);
        }
        BenchBackends::All => {
            hashers.push(BatchHasher::new(Backend::Cpu).map_err(|e| e.to_string())?);
            match BatchHasher::new(Backend::Gpu) {
                Ok(hasher) => hashers.push(hasher),
                Err(error) => crate::report_error(&format!("GPU not measured: {error}")),
            }
        }
    }
    let mut out = io::stdout().lock();
    let threads = rayon::current_num_threads();
    if !args.json {
        writeln!(
            out,
            "{:<44} {:>10} {:>6} {:>10} {:>10} {:>11}",
            "backend", "size", "batch", "frames/s", "MB/s", "ms/batch"
        )
        .map_err(write_error)?;
    }
    for hasher in &hashers {
        let backend = hasher.active().to_string();
        #[cfg(feature = "gpu")]
        if let Some(gpu) = hasher.gpu() {
            let bandwidth = gpu
                .upload_bandwidth(64 << 20, 16)
                .map_err(|e| e.to_string())?;
            let mb_s = bandwidth / 1e6;
            if args.json {
                let line = serde_json::json!({"backend": backend, "measure": "upload_bandwidth", "mb_per_s": mb_s});
                writeln!(out, "{line}").map_err(write_error)?;
            } else {
                writeln!(out, "{backend:<44} host->device copy: {mb_s:.0} MB/s")
                    .map_err(write_error)?;
            }
        }
        for &(width, height) in &args.size {
            // Fewer distinct frames for huge sizes: the pool stays within about 2 GiB.
            let frame_bytes = width as usize * height as usize * 3;
            let distinct = ((2usize << 30) / frame_bytes).clamp(1, DISTINCT_FRAMES);
            let pool: Vec<Vec<u8>> = (0..distinct as u32)
                .map(|index| synthetic_frame(width, height, PixelFormat::Rgb8, index))
                .collect();
            for &batch in &args.batch {
                let frames: Vec<Frame<'_>> = (0..batch.max(1))
                    .map(|k| Frame::packed(&pool[k % pool.len()], width, height, PixelFormat::Rgb8))
                    .collect::<Result<_, _>>()
                    .map_err(|e| e.to_string())?;
                let per_batch = time_batches(
                    hasher,
                    &frames,
                    Duration::from_secs_f64(args.seconds.max(0.01)),
                );
                let frames_s = frames.len() as f64 / per_batch.as_secs_f64();
                let mb_s = frames_s * (width as f64 * height as f64 * 3.0) / 1e6;
                let ms = per_batch.as_secs_f64() * 1e3;
                if args.json {
                    let line = serde_json::json!({
                        "backend": backend, "width": width, "height": height, "format": "rgb8",
                        "batch": frames.len(), "frames_per_s": frames_s, "mb_per_s": mb_s,
                        "ms_per_batch": ms, "cpu_threads": threads,
                    });
                    writeln!(out, "{line}").map_err(write_error)?;
                } else {
                    let size = format!("{width}x{height}");
                    writeln!(
                        out,
                        "{backend:<44} {size:>10} {:>6} {frames_s:>10.1} {mb_s:>10.1} {ms:>11.3}",
                        frames.len()
                    )
                    .map_err(write_error)?;
                }
            }
        }
    }
    // A GPU batch that failed was hashed on the CPU: its row would not be the GPU's speed.
    #[cfg(feature = "gpu")]
    for gpu in hashers.iter().filter_map(BatchHasher::gpu) {
        if gpu.cpu_fallbacks() > 0 {
            crate::report_error(&format!(
                "{} GPU batches failed and were hashed on the CPU: the GPU rows are not the GPU's \
                 speed (VIGIL_LOG=warn shows why)",
                gpu.cpu_fallbacks()
            ));
            return Ok(Outcome::SomeFailed);
        }
    }
    let peak = peak_memory_mb();
    if args.json {
        writeln!(
            out,
            "{}",
            serde_json::json!({"measure": "peak_memory", "mb": peak, "cpu_threads": threads})
        )
        .map_err(write_error)?;
    } else if let Some(peak) = peak {
        writeln!(
            out,
            "peak memory {peak:.0} MB; CPU backend on {threads} threads"
        )
        .map_err(write_error)?;
    }
    Ok(Outcome::Success)
}

/// Mean time per batch over at least two timed batches and about `budget` (after one warm-up).
fn time_batches(hasher: &BatchHasher, frames: &[Frame<'_>], budget: Duration) -> Duration {
    std::hint::black_box(hasher.hash_dihedral_batch(frames));
    let start = Instant::now();
    let mut batches = 0u32;
    while batches < 2 || start.elapsed() < budget {
        std::hint::black_box(hasher.hash_dihedral_batch(frames));
        batches += 1;
    }
    start.elapsed() / batches
}

/// The process's peak resident memory in megabytes (Linux: VmHWM), if known.
fn peak_memory_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn write_error(error: io::Error) -> String {
    format!("cannot write output: {error}")
}
