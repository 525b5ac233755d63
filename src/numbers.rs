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
//! The hosts differ in one case: when the number lies exactly halfway between the two closest
//! shortest digit strings, V8 picks the one ending in an even digit and Rust the larger (a review
//! on 2026-12-02 found 695 such ties among about 908,000 doubles, all of 15 to 17 digits, e.g.
//! `173682166315372.625`). [`tie_up`] finds such a tie with integer arithmetic and takes the
//! larger string, as `{}` does.

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
    let javascript = crate::wasm::number_exponential(x);
    tie_up(x, &javascript).unwrap_or(javascript)
}

/// When `x` lies exactly halfway between `exponential`'s digits and the next larger string of
/// as many digits, that larger string (what Rust's `{}` writes); `None` otherwise.
///
/// With `x = m·2^q` (`m` odd) and the digits `n·10^k`, the tie is `2x = (2n+1)·10^k`, that is
/// `m·2^(q+1) = (2n+1)·5^k·2^k`: both sides' odd parts and powers of two must match.
#[cfg_attr(not(all(target_arch = "wasm32", feature = "wasm")), allow(dead_code))]
fn tie_up(x: f64, exponential: &str) -> Option<String> {
    if !x.is_finite() || x <= 0.0 {
        return None;
    }
    let (mantissa, exponent) = exponential.split_once('e')?;
    let exponent: i32 = exponent.trim_start_matches('+').parse().ok()?;
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let n: u128 = digits.parse().ok()?;
    let k = exponent.checked_sub(i32::try_from(digits.len()).ok()?.checked_sub(1)?)?;
    let (mut m, mut q) = mantissa_and_exponent(x);
    while m % 2 == 0 {
        m /= 2;
        q += 1;
    }
    if q.checked_add(1)? != k {
        return None;
    }
    let five_k = 5u128.checked_pow(k.unsigned_abs())?;
    let odd = n.checked_mul(2)?.checked_add(1)?;
    let tie = if k >= 0 {
        odd.checked_mul(five_k)? == u128::from(m)
    } else {
        u128::from(m).checked_mul(five_k)? == odd
    };
    if !tie {
        return None;
    }
    // The larger string has the same number of digits: `n` ends in an even digit, so `n + 1`
    // ends in an odd one and nothing carries.
    let up = (n + 1).to_string();
    if up.len() != digits.len() {
        return None;
    }
    let (first, rest) = up.split_at(1);
    Some(if rest.is_empty() {
        format!("{first}e{exponent}")
    } else {
        format!("{first}.{rest}e{exponent}")
    })
}

/// `x`'s significand and power of two: `x = m·2^q` exactly, for a finite, positive `x`.
#[cfg_attr(not(all(target_arch = "wasm32", feature = "wasm")), allow(dead_code))]
fn mantissa_and_exponent(x: f64) -> (u64, i32) {
    let bits = x.to_bits();
    let fraction = bits & ((1u64 << 52) - 1);
    let biased = i32::try_from((bits >> 52) & 0x7ff).unwrap_or(0);
    if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1u64 << 52), biased - 1075)
    }
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
    fn breaks_an_exact_tie_upwards_as_display_does() {
        // Doubles exactly halfway between two shortest digit strings, with the even string V8's
        // `toExponential()` gives for each (found by the review of 2026-12-02).
        let ties = [
            (4_819_905_830_981_152_148_u64, "1.7368216631537262e+14"),
            (4_820_922_435_112_118_452, "2.0545104540806962e+14"),
            (4_834_986_932_580_081_341, "1.7820330097274072e+15"),
            (4_818_093_251_285_733_256, "1.2888826959443012e+14"),
            (4_814_775_343_968_063_496, "7.704596775584012e+13"),
            (4_817_035_749_244_879_464, "1.1236480020608962e+14"),
            (4_828_648_666_238_884_506, "6.616831656354112e+14"),
            (4_809_688_223_414_981_776, "3.4574299367316562e+13"),
        ];
        for (bits, javascript) in ties {
            let x = f64::from_bits(bits);
            let up = tie_up(x, javascript).expect("a tie");
            assert_eq!(up, format!("{x:e}"), "{x}");
            assert_eq!(Laid(up).to_string(), x.to_string());
        }
        // Not a tie: the digits are left as they are.
        for (x, javascript) in [
            (1.5, "1.5e+0"),
            (0.1, "1e-1"),
            (5e-324, "5e-324"),
            (1e21, "1e+21"),
            (123.456, "1.23456e+2"),
        ] {
            assert_eq!(tie_up(x, javascript), None, "{x}");
        }
    }

    /// `exponential` laid out, for the tests.
    struct Laid(String);

    impl fmt::Display for Laid {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write_positional(&self.0, f)
        }
    }

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
        for (js, rust) in [
            ("0e+0", "0"),
            ("1.5e+0", "1.5"),
            ("1e+21", "1000000000000000000000"),
            ("1.5e-7", "0.00000015"),
            ("5e-324", format!("{}", 5e-324).leak()),
            ("1.2345e+2", "123.45"),
            ("4.294967295e+9", "4294967295"),
        ] {
            assert_eq!(Laid(js.to_owned()).to_string(), rust, "{js}");
        }
    }

    proptest! {
        #[test]
        fn any_double_writes_as_display(bits in any::<u64>()) {
            let x = f64::from_bits(bits);
            prop_assert_eq!(Decimal(x).to_string(), format!("{}", x));
        }

        #[test]
        fn rusts_own_digits_are_never_raised(bits in any::<u64>()) {
            let x = f64::from_bits(bits).abs();
            prop_assert_eq!(tie_up(x, &format!("{x:e}")), None);
        }

        #[test]
        fn any_integer_writes_as_display(n in any::<i64>()) {
            let x = n as f64;
            prop_assert_eq!(Decimal(x).to_string(), format!("{}", x));
        }
    }
}
