//! Money as integer micro-dollars, with one explicit rounding rule.
//!
//! Prices arrive as decimal dollars (`0.08`, `20.85`, `0.0416`).
//! Each is converted once to an integer number of micro-dollars (millionths of a US dollar), rounding half up.
//! From then on every product and sum is exact integer arithmetic, so the same plan gives the same cents on every machine.
//! A line item's monthly cost is rounded half up to whole cents, and totals are sums of those rounded line items,
//! so every table in a report adds up to the cent.
//! Arithmetic saturates instead of overflowing: absurd inputs give absurd but finite amounts, never a panic.

use std::fmt;

use crate::estimate::format;

/// An amount of US dollars held as integer micro-dollars.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money {
    micros: u64,
}

/// Micro-dollars in one cent.
const MICROS_PER_CENT: u64 = 10_000;

impl Money {
    /// No money.
    pub const ZERO: Money = Money { micros: 0 };

    /// An amount given in micro-dollars.
    pub fn from_micros(micros: u64) -> Money {
        Money { micros }
    }

    /// An amount given in whole cents.
    pub fn from_cents(cents: u64) -> Money {
        Money {
            micros: cents.saturating_mul(MICROS_PER_CENT),
        }
    }

    /// Converts a decimal dollar price, rounding half up to the micro-dollar.
    ///
    /// Returns `None` for negative, NaN or infinite prices, which no price table should hold.
    pub fn from_dollars(dollars: f64) -> Option<Money> {
        if !dollars.is_finite() || dollars < 0.0 {
            return None;
        }
        // The `as` conversion saturates at `u64::MAX`, which is the behaviour wanted for huge prices.
        let micros = (dollars * 1_000_000.0 + 0.5).floor() as u64;
        Some(Money { micros })
    }

    /// The amount in micro-dollars.
    pub fn micros(self) -> u64 {
        self.micros
    }

    /// The amount in cents, rounded half up.
    pub fn cents(self) -> u64 {
        self.micros / MICROS_PER_CENT
            + u64::from(self.micros % MICROS_PER_CENT >= MICROS_PER_CENT / 2)
    }

    /// The amount rounded half up to whole cents.
    pub fn round_to_cents(self) -> Money {
        Money::from_cents(self.cents())
    }

    /// The price of `quantity` units at this unit price.
    pub fn times(self, quantity: u64) -> Money {
        Money {
            micros: self.micros.saturating_mul(quantity),
        }
    }

    /// This amount scaled by `basis_points` / 10,000 (10,000 is 100%), rounding half up to the micro-dollar.
    pub fn scale_basis_points(self, basis_points: u64) -> Money {
        let scaled = (u128::from(self.micros) * u128::from(basis_points) + 5_000) / 10_000;
        Money {
            micros: u64::try_from(scaled).unwrap_or(u64::MAX),
        }
    }

    /// The sum of two amounts.
    pub fn saturating_add(self, other: Money) -> Money {
        Money {
            micros: self.micros.saturating_add(other.micros),
        }
    }
}

impl fmt::Display for Money {
    /// Whole cents with thousands separators, as `$1,089.12`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format::dollars(self.cents()))
    }
}
