//! Money as integer cents: never floating point.
//!
//! A line total is quantity × unit price, computed exactly in `i64`; a
//! purchase total is the sum of the line totals as printed. Nothing here
//! rounds, so there is no rounding rule to disagree about.

use std::fmt;
use std::iter::Sum;
use std::ops::Add;

use serde::Serialize;

/// An amount of money in cents. Negative amounts (refunds) are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
#[serde(transparent)]
pub struct Cents(pub i64);

impl Cents {
    /// `quantity` × `self`, saturating instead of wrapping on absurd inputs.
    pub fn times(self, quantity: i64) -> Cents {
        Cents(self.0.saturating_mul(quantity))
    }
}

impl Add for Cents {
    type Output = Cents;

    fn add(self, other: Cents) -> Cents {
        Cents(self.0.saturating_add(other.0))
    }
}

impl Sum for Cents {
    fn sum<I: Iterator<Item = Cents>>(iter: I) -> Cents {
        iter.fold(Cents(0), Add::add)
    }
}

/// Formats as `59.97`, `1.00`, `0.00`, `-5.00`: a dot, always two decimals.
impl fmt::Display for Cents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let text = format!("{sign}{}.{:02}", abs / 100, abs % 100);
        f.pad(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::Cents;

    #[test]
    fn line_totals_are_exact() {
        assert_eq!(Cents(1999).times(3).to_string(), "59.97");
        assert_eq!(Cents(10).times(10).to_string(), "1.00");
        assert_eq!(Cents(500).times(0).to_string(), "0.00");
        assert_eq!(Cents(500).times(-1).to_string(), "-5.00");
    }

    #[test]
    fn small_and_negative_amounts_keep_two_decimals() {
        assert_eq!(Cents(5).to_string(), "0.05");
        assert_eq!(Cents(-5).to_string(), "-0.05");
        assert_eq!(Cents(i64::MIN).to_string(), "-92233720368547758.08");
    }

    #[test]
    fn a_total_is_the_sum_of_its_lines() {
        let total: Cents = [Cents(1999).times(3), Cents(10).times(10)]
            .into_iter()
            .sum();
        assert_eq!(total.to_string(), "60.97");
    }
}
