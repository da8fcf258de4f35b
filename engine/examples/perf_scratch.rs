use std::time::Instant;
use vigil::{Frame, PixelFormat};
fn main() {
    for (w, h, f) in [
        (1920u32, 1080u32, PixelFormat::Rgb8),
        (640, 360, PixelFormat::Rgb8),
        (512, 512, PixelFormat::Luma8),
    ] {
        let n = (w * h) as usize * f.bytes_per_pixel();
        let mut s = 1u64;
        let px: Vec<u8> = (0..n)
            .map(|i| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                ((i / 97) as u64 ^ (s & 15)) as u8
            })
            .collect();
        let frame = Frame::packed(&px, w, h, f).unwrap();
        let iters = if w > 1000 { 200 } else { 2000 };
        let mut best = f64::MAX;
        for _ in 0..3 {
            let t = Instant::now();
            for _ in 0..iters {
                std::hint::black_box(vigil::hash(&frame));
            }
            best = best.min(t.elapsed().as_secs_f64() / iters as f64);
        }
        println!("{w}x{h} {f:?}: {:.1} us/frame", best * 1e6);
    }
}
