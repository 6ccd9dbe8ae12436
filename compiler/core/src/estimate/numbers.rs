//! Total numeric helpers: conversions and divisions that saturate or return zero instead of panicking.

/// Rounds up to a whole number; NaN and values at or below zero give 0, values above `u64::MAX` give `u64::MAX`.
pub(crate) fn ceil_u64(x: f64) -> u64 {
    if x.is_nan() || x <= 0.0 {
        return 0;
    }
    // Float to integer `as` casts saturate, which is the wanted behaviour for huge values.
    x.ceil() as u64
}

/// Rounds down to a whole number, with the same edge cases as [`ceil_u64`].
pub(crate) fn floor_u64(x: f64) -> u64 {
    if x.is_nan() || x <= 0.0 {
        return 0;
    }
    x.floor() as u64
}

/// Divides, giving 0 when the divisor is zero or not finite, as the calculator's guards do.
pub(crate) fn div(numerator: f64, denominator: f64) -> f64 {
    let usable = denominator.is_finite() && denominator != 0.0;
    if !usable {
        return 0.0;
    }
    numerator / denominator
}

/// Integer division rounding up; dividing by zero gives 0.
pub(crate) fn ceil_div(numerator: u64, denominator: u64) -> u64 {
    if denominator == 0 {
        return 0;
    }
    numerator.div_ceil(denominator)
}

/// Rounds `n` up to a multiple of `step`, saturating; a zero step leaves `n` unchanged.
pub(crate) fn round_up_to(n: u64, step: u64) -> u64 {
    if step == 0 {
        return n;
    }
    ceil_div(n, step).saturating_mul(step)
}

/// `n` x `basis_points` / 10,000, rounded up and saturated: the share of a count an environment serves.
pub(crate) fn scale_up(n: u64, basis_points: u64) -> u64 {
    let product = u128::from(n) * u128::from(basis_points);
    let scaled = product.div_ceil(10_000);
    u64::try_from(scaled).unwrap_or(u64::MAX)
}

/// A percentage as basis points, rounded half up; NaN and negative values give `None`.
pub(crate) fn percent_to_basis_points(percent: f64) -> Option<u64> {
    if !percent.is_finite() || percent < 0.0 {
        return None;
    }
    Some((percent * 100.0 + 0.5).floor() as u64)
}
