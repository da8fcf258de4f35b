// Stage 5, mirrored by engine/src/stages/bits.rs: median, bits and the eight dihedral hashes.
// The median is the 128th smallest of the 256 oriented values; bit k is set where value k is
// strictly greater. Each invocation ranks its own value against all 256.
// Dispatch: (8 orientations, frames, 1); output 8 words of 32 bits per (frame, orientation),
// bit k of the hash in word k / 32, bit k % 32.

@group(0) @binding(0) var<storage, read> dct: array<vec2<u32>>;
@group(0) @binding(1) var<storage, read_write> hashes: array<u32>;

var<workgroup> values: array<vec2<u32>, DCT_CELLS>;
var<workgroup> median_index: atomic<u32>;
var<workgroup> words: array<atomic<u32>, HASH_WORDS>;

@compute @workgroup_size(DCT_CELLS)
fn bits(
    @builtin(workgroup_id) group: vec3<u32>,
    @builtin(local_invocation_index) lane: u32,
) {
    let orientation = group.x;
    let f = group.y;
    let u = lane / DCT_SIDE;
    let v = lane % DCT_SIDE;
    let odd_u = (u & 1u) == 1u;
    let odd_v = (v & 1u) == 1u;
    let odd_sum = ((u + v) & 1u) == 1u;
    // (transpose, negate) per the reference's dct16OriginalTo* sign tables, in Dihedral order.
    var transpose = false;
    var negate = false;
    switch orientation {
        case 1u: { transpose = true; negate = !odd_v; }
        case 2u: { negate = odd_sum; }
        case 3u: { transpose = true; negate = !odd_u; }
        case 4u: { negate = !odd_u; }
        case 5u: { negate = !odd_v; }
        case 6u: { transpose = true; }
        case 7u: { transpose = true; negate = odd_sum; }
        default: {}
    }
    let value = dct[f * DCT_CELLS + lane];
    values[select(lane, v * DCT_SIDE + u, transpose)] = select(value, negate_wide(value), negate);
    if (lane == 0u) {
        atomicStore(&median_index, DCT_CELLS);
    }
    if (lane < HASH_WORDS) {
        atomicStore(&words[lane], 0u);
    }
    workgroupBarrier();
    let mine = values[lane];
    var below = 0u;
    var at_most = 0u;
    for (var k = 0u; k < DCT_CELLS; k++) {
        let other = values[k];
        below += select(0u, 1u, less_signed_wide(other, mine));
        at_most += select(0u, 1u, !less_signed_wide(mine, other));
    }
    if (below < MEDIAN_RANK && at_most >= MEDIAN_RANK) {
        atomicMin(&median_index, lane);
    }
    workgroupBarrier();
    let median = values[atomicLoad(&median_index)];
    if (less_signed_wide(median, mine)) {
        atomicOr(&words[lane / 32u], 1u << (lane % 32u));
    }
    workgroupBarrier();
    if (lane < HASH_WORDS) {
        hashes[(f * ORIENTATIONS + orientation) * HASH_WORDS + lane] = atomicLoad(&words[lane]);
    }
}
