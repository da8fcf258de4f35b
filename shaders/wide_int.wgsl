// 64-bit integers as two 32-bit words (WGSL has no 64-bit integer type). A value is
// vec2<u32>(low word, high word), two's complement when signed. The CPU mirror uses Rust's
// u64/i64 directly: these helpers compute exactly the same values.

// a * b as an unsigned 64-bit product, from 16-bit halves.
fn mul_wide(a: u32, b: u32) -> vec2<u32> {
    let a_lo = a & 0xffffu;
    let a_hi = a >> 16u;
    let b_lo = b & 0xffffu;
    let b_hi = b >> 16u;
    let ll = a_lo * b_lo;
    let lh = a_lo * b_hi;
    let hl = a_hi * b_lo;
    let hh = a_hi * b_hi;
    // Each term is < 2^17 + 2^16: the middle column cannot overflow 32 bits.
    let mid = (ll >> 16u) + (lh & 0xffffu) + (hl & 0xffffu);
    let lo = (ll & 0xffffu) | (mid << 16u);
    let hi = hh + (lh >> 16u) + (hl >> 16u) + (mid >> 16u);
    return vec2<u32>(lo, hi);
}

// a + b modulo 2^64 (signed or unsigned alike).
fn add_wide(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    let lo = a.x + b.x;
    let carry = select(0u, 1u, lo < a.x);
    return vec2<u32>(lo, a.y + b.y + carry);
}

// -a modulo 2^64.
fn negate_wide(a: vec2<u32>) -> vec2<u32> {
    return add_wide(vec2<u32>(~a.x, ~a.y), vec2<u32>(1u, 0u));
}

// a (signed) * b (signed) as a signed 64-bit product.
fn mul_wide_signed(a: i32, b: i32) -> vec2<u32> {
    // |i32::MIN| is 2^31, which u32 holds; the tables never contain it.
    let magnitude = mul_wide(u32(abs(a)), u32(abs(b)));
    return select(magnitude, negate_wide(magnitude), (a < 0) != (b < 0));
}

// a >> s (logical) for 0 <= s <= 63, low 32 bits of the result.
fn shift_right_wide(a: vec2<u32>, s: u32) -> u32 {
    if (s == 0u) {
        return a.x;
    }
    if (s >= 32u) {
        return a.y >> (s - 32u);
    }
    return (a.x >> s) | (a.y << (32u - s));
}

// 2^s as a 64-bit value, 0 <= s <= 63.
fn power_of_two_wide(s: u32) -> vec2<u32> {
    if (s >= 32u) {
        return vec2<u32>(0u, 1u << (s - 32u));
    }
    return vec2<u32>(1u << s, 0u);
}

// a < b for signed 64-bit values.
fn less_signed_wide(a: vec2<u32>, b: vec2<u32>) -> bool {
    let a_hi = bitcast<i32>(a.y);
    let b_hi = bitcast<i32>(b.y);
    return a_hi < b_hi || (a_hi == b_hi && a.x < b.x);
}
