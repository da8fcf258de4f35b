// Stage 3, mirrored by engine/src/stages/quality.rs: the reference's gradient quality score.
//   d = (|A[p] - A[q]| * Rq) >> 47 over vertical and horizontal neighbours; min(100, sum d / 90)
// (GRADIENT_SHIFT, QUALITY_MAX and GRADIENT_DIVISOR in the prelude the host generates).
// Integer addition is associative, so the workgroup's atomic sum equals the CPU's loop.
// Dispatch: (frames, 1, 1).

@group(0) @binding(0) var<storage, read> frames: array<FrameInfo>;
@group(0) @binding(1) var<storage, read> downsampled: array<u32>;
@group(0) @binding(2) var<storage, read_write> quality: array<u32>;

var<workgroup> gradient_sum: atomic<u32>;

fn gradient(u: u32, v: u32, reciprocal: u32) -> u32 {
    let difference = select(v - u, u - v, u > v);
    return shift_right_wide(mul_wide(difference, reciprocal), GRADIENT_SHIFT);
}

@compute @workgroup_size(QUALITY_LANES)
fn quality_score(
    @builtin(workgroup_id) group: vec3<u32>,
    @builtin(local_invocation_index) lane: u32,
) {
    let f = group.x;
    let reciprocal = frames[f].quality_reciprocal;
    let base = f * DOWNSAMPLED_CELLS;
    if (lane == 0u) {
        atomicStore(&gradient_sum, 0u);
    }
    workgroupBarrier();
    var sum = 0u;
    for (var cell = lane; cell < DOWNSAMPLED_CELLS; cell += QUALITY_LANES) {
        let here = downsampled[base + cell];
        if (cell / DOWNSAMPLED < DOWNSAMPLED - 1u) {
            sum += gradient(here, downsampled[base + cell + DOWNSAMPLED], reciprocal);
        }
        if (cell % DOWNSAMPLED < DOWNSAMPLED - 1u) {
            sum += gradient(here, downsampled[base + cell + 1u], reciprocal);
        }
    }
    atomicAdd(&gradient_sum, sum);
    workgroupBarrier();
    if (lane == 0u) {
        quality[f] = min(QUALITY_MAX, atomicLoad(&gradient_sum) / GRADIENT_DIVISOR);
    }
}
