//! The one canonical text form of the estimate's numbers, shared by the estimate's sentences and every report.
//!
//! Everything is computed from integers, so the output cannot depend on the platform's float printing.

/// An integer with comma thousands separators: `1,137,000`.
#[expect(
    clippy::manual_is_multiple_of,
    reason = "`is_multiple_of` needs Rust 1.87 and the workspace supports 1.85"
)]
pub fn int(n: u64) -> String {
    let digits = n.to_string();
    let mut res = String::with_capacity(digits.len() + digits.len() / 3);
    for (idx, ch) in digits.chars().enumerate() {
        let remaining = digits.len() - idx;
        if idx > 0 && remaining % 3 == 0 {
            res.push(',');
        }
        res.push(ch);
    }
    res
}

/// Cents as dollars with two decimals and thousands separators: `$1,089.12`.
pub fn dollars(cents: u64) -> String {
    format!("${}.{:02}", int(cents / 100), cents % 100)
}

/// Hundredths as a decimal with two places: `248` gives `2.48`, `400` gives `4.00`.
pub fn hundredths(n: u64) -> String {
    format!("{}.{:02}", int(n / 100), n % 100)
}

/// Hundredths as a short decimal without trailing zeros: `400` gives `4`, `50` gives `0.5`.
pub fn hundredths_short(n: u64) -> String {
    let whole = int(n / 100);
    match n % 100 {
        0 => whole,
        frac if frac % 10 == 0 => format!("{whole}.{}", frac / 10),
        frac => format!("{whole}.{frac:02}"),
    }
}

/// Milli-CPUs as vCPUs with two decimals, rounded half up: `2479` gives `2.48`.
pub fn vcpu(millicpu: u64) -> String {
    hundredths(millicpu / 10 + u64::from(millicpu % 10 >= 5))
}

/// Whole vCPUs without decimals when exact: `4000` gives `4`, `2500` gives `2.5`.
pub fn vcpu_short(millicpu: u64) -> String {
    hundredths_short(millicpu / 10 + u64::from(millicpu % 10 >= 5))
}

/// MiB as GiB with two decimals, rounded half up: `5079` gives `4.96`.
pub fn gib(mib: u64) -> String {
    hundredths(mib_to_gib_hundredths(mib))
}

/// MiB as GiB without trailing zeros: `8192` gives `8`, `512` gives `0.5`.
pub fn gib_short(mib: u64) -> String {
    hundredths_short(mib_to_gib_hundredths(mib))
}

fn mib_to_gib_hundredths(mib: u64) -> u64 {
    let scaled = u128::from(mib) * 100 + 512;
    u64::try_from(scaled / 1024).unwrap_or(u64::MAX)
}

/// `x` rounded to three decimals, for JSON numbers that should not show float noise; NaN and infinities give 0.
pub fn round3(x: f64) -> f64 {
    if !x.is_finite() {
        return 0.0;
    }
    (x * 1000.0).round() / 1000.0
}
