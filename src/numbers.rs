//! How a number reads in a message: [`Decimal`] writes an `f64` exactly as Rust's `{}` does
//! (`1.5`, `-0`, `NaN`, `inf`, `1000000000000000000000`), never with an exponent.
//!
//! Only messages print floats, and Rust's float formatting is a large part of the wasm
//! (docs/reports/wasm-size.md). So the shortest digits come from the host: in the wasm build
//! from JavaScript's `Number.prototype.toExponential()`, natively from Rust's `{:e}`. Both give
//! the shortest digits that read back as the same number (the closest such when there are
//! several), and this module lays them out; the tests compare the layout with `{}` natively.
//! This module never parses numbers and never rounds.
//!
//! One difference stays: when the number lies exactly halfway between the two closest shortest
//! digit strings, V8 picks the one ending in an even digit and Rust the larger, so the wasm build
//! writes `173682166315372.625` as `173682166315372.62` where `{}` writes `…63`. A review
//! (2026-12-02) found 695 such ties among about 908,000 doubles, all of 15 to 17 digits; the text
//! is only ever part of a message.

use std::fmt;

/// An `f64` as Rust's `Display` writes it; see the module doc.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decimal(pub f64);

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let x = self.0;
        if x.is_nan() {
            return f.write_str("NaN");
        }
        if x.is_sign_negative() {
            f.write_str("-")?;
        }
        if x.is_infinite() {
            return f.write_str("inf");
        }
        write_positional(&shortest_exponential(x.abs()), f)
    }
}

/// The shortest digits of a finite, non-negative `x` as `d[.ddd]e[+-]n`.
#[cfg(all(target_arch = "wasm32", feature = "wasm"))]
fn shortest_exponential(x: f64) -> String {
    crate::wasm::number_exponential(x)
}

/// The shortest digits of a finite, non-negative `x` as `d[.ddd]e[+-]n`.
#[cfg(not(all(target_arch = "wasm32", feature = "wasm")))]
fn shortest_exponential(x: f64) -> String {
    format!("{x:e}")
}

/// `exponential` (`1.5e0`, `1.5e+0`, `5e-324`) written out without an exponent.
fn write_positional(exponential: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let (mantissa, exponent) = exponential.split_once('e').unwrap_or((exponential, "0"));
    let exponent: i64 = exponent.trim_start_matches('+').parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let count = i64::try_from(digits.len()).unwrap_or(i64::MAX);
    // How many of the digits stand before the decimal point (none or fewer than none: a
    // fraction below 0.1; more than there are digits: zeros follow).
    let integral = exponent.saturating_add(1);
    let zeros = |n: i64| "0".repeat(usize::try_from(n).unwrap_or(0));
    if integral <= 0 {
        write!(f, "0.{}{digits}", zeros(-integral))
    } else if integral >= count {
        write!(f, "{digits}{}", zeros(integral - count))
    } else {
        let split = usize::try_from(integral).unwrap_or(0);
        let (whole, fraction) = (
            digits.get(..split).unwrap_or_default(),
            digits.get(split..).unwrap_or_default(),
        );
        write!(f, "{whole}.{fraction}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn writes_what_display_writes() {
        let cases = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            1.5,
            -1.5,
            0.1,
            0.3,
            1e-7,
            123.456,
            1e15,
            1e16,
            1e20,
            1e21,
            1e22,
            1e23,
            1.7976931348623157e308,
            5e-324,
            2.2250738585072014e-308,
            9007199254740993.0,
            4294967295.5,
            1000.0,
            86_400_000.0,
            8.64e15,
            8.64e15 + 1.0,
            f64::NAN,
            -f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MAX,
            f64::MIN,
            f64::EPSILON,
        ];
        for x in cases {
            assert_eq!(Decimal(x).to_string(), format!("{x}"), "{x:e}");
        }
    }

    #[test]
    fn reads_javascripts_exponential_form() {
        struct Laid(&'static str);
        impl fmt::Display for Laid {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write_positional(self.0, f)
            }
        }
        for (js, rust) in [
            ("0e+0", "0"),
            ("1.5e+0", "1.5"),
            ("1e+21", "1000000000000000000000"),
            ("1.5e-7", "0.00000015"),
            ("5e-324", format!("{}", 5e-324).leak()),
            ("1.2345e+2", "123.45"),
            ("4.294967295e+9", "4294967295"),
        ] {
            assert_eq!(Laid(js).to_string(), rust, "{js}");
        }
    }

    proptest! {
        #[test]
        fn any_double_writes_as_display(bits in any::<u64>()) {
            let x = f64::from_bits(bits);
            prop_assert_eq!(Decimal(x).to_string(), format!("{}", x));
        }

        #[test]
        fn any_integer_writes_as_display(n in any::<i64>()) {
            let x = n as f64;
            prop_assert_eq!(Decimal(x).to_string(), format!("{}", x));
        }
    }
}
