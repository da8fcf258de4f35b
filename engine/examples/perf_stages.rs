use std::time::Instant;
use vigil::{Frame, PixelFormat, plan::FramePlan, stages};
fn main() {
    for (w, h, f) in [
        (1920u32, 1080u32, PixelFormat::Rgb8),
        (640, 360, PixelFormat::Rgb8),
        (512, 512, PixelFormat::Luma8),
    ] {
        let n = (w * h) as usize * f.bytes_per_pixel();
        let px: Vec<u8> = (0..n).map(|i| (i * 7 % 251) as u8).collect();
        let frame = Frame::packed(&px, w, h, f).unwrap();
        let iters = if w > 1000 { 200 } else { 2000 };
        let t = Instant::now();
        let mut plan = None;
        for _ in 0..iters {
            plan = Some(std::hint::black_box(FramePlan::new(w, h)));
        }
        let tp = t.elapsed().as_secs_f64() / iters as f64;
        let plan = plan.unwrap();
        let mut cols = vec![0u32; 64 * frame.row_bytes()];
        let t = Instant::now();
        for _ in 0..iters {
            stages::tent_columns(&frame, &plan, &mut cols);
            std::hint::black_box(&cols);
        }
        let tc = t.elapsed().as_secs_f64() / iters as f64;
        let t = Instant::now();
        let mut a = [0u32; 4096];
        for _ in 0..iters {
            a = std::hint::black_box(stages::tent_rows(&cols, &plan, f));
        }
        let tr = t.elapsed().as_secs_f64() / iters as f64;
        let t = Instant::now();
        for _ in 0..iters {
            std::hint::black_box(stages::quality(&a, &plan));
        }
        let tq = t.elapsed().as_secs_f64() / iters as f64;
        let t = Instant::now();
        let mut b = [0i64; 256];
        for _ in 0..iters {
            b = std::hint::black_box(stages::dct(&a));
        }
        let td = t.elapsed().as_secs_f64() / iters as f64;
        let t = Instant::now();
        for _ in 0..iters {
            std::hint::black_box(stages::hash_from_dct(&b));
        }
        let tb = t.elapsed().as_secs_f64() / iters as f64;
        println!(
            "{w}x{h} {f:?}: plan {:.1} cols {:.1} rows {:.1} quality {:.1} dct {:.1} bits {:.1} us",
            tp * 1e6,
            tc * 1e6,
            tr * 1e6,
            tq * 1e6,
            td * 1e6,
            tb * 1e6
        );
    }
}
