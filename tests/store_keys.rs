//! The key codec against the documented key order, written out here independently of the
//! encoding: byte order of encodings equals that order, decoding inverts encoding, and no input
//! string makes the decoder panic. Every property holds for both key formats: V1 (what objects
//! stored before V2, which they keep reading and writing) and V2 (the current one).

use durable_core::error::ErrorCode;
use durable_core::store::{decode, format_of, BigIntKey, KeyFormat, KeyPart, KvRange, Range};
use proptest::prelude::*;
use std::cmp::Ordering;

/// The documented order: null < false < true < number < bigint < string < bytes < tuple;
/// within a type the natural order; tuples element by element, a prefix first.
fn documented_order(a: &KeyPart, b: &KeyPart) -> Ordering {
    fn rank(part: &KeyPart) -> u8 {
        match part {
            KeyPart::Null => 0,
            KeyPart::Bool(false) => 1,
            KeyPart::Bool(true) => 2,
            KeyPart::Number(_) => 3,
            KeyPart::BigInt(_) => 4,
            KeyPart::String(_) => 5,
            KeyPart::Bytes(_) => 6,
            KeyPart::Tuple(_) => 7,
        }
    }
    match (a, b) {
        (KeyPart::Number(x), KeyPart::Number(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
        (KeyPart::BigInt(x), KeyPart::BigInt(y)) => bigint_value_order(x, y),
        // Rust compares `str` by UTF-8 bytes, which is Unicode code point order.
        (KeyPart::String(x), KeyPart::String(y)) => x.chars().cmp(y.chars()),
        (KeyPart::Bytes(x), KeyPart::Bytes(y)) => x.cmp(y),
        (KeyPart::Tuple(x), KeyPart::Tuple(y)) => tuple_order(x, y),
        _ => rank(a).cmp(&rank(b)),
    }
}

fn tuple_order(a: &[KeyPart], b: &[KeyPart]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let order = documented_order(x, y);
        if order != Ordering::Equal {
            return order;
        }
    }
    a.len().cmp(&b.len())
}

fn bigint_value_order(a: &BigIntKey, b: &BigIntKey) -> Ordering {
    let magnitude = |k: &BigIntKey| (k.magnitude().len(), k.magnitude().to_vec());
    let sign = |k: &BigIntKey| {
        if k.is_negative() {
            -1
        } else if k.magnitude().is_empty() {
            0
        } else {
            1
        }
    };
    match sign(a).cmp(&sign(b)) {
        Ordering::Equal if sign(a) < 0 => magnitude(b).cmp(&magnitude(a)),
        Ordering::Equal => magnitude(a).cmp(&magnitude(b)),
        other => other,
    }
}

fn number() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>().prop_filter("finite", |n| n.is_finite()),
        (-1000i32..1000).prop_map(f64::from),
        (-100i32..100).prop_map(|n| f64::from(n) / 8.0),
        Just(-0.0),
        Just(f64::MIN_POSITIVE),
        Just(-f64::MIN_POSITIVE),
    ]
}

fn leaf() -> impl Strategy<Value = KeyPart> {
    prop_oneof![
        Just(KeyPart::Null),
        any::<bool>().prop_map(KeyPart::Bool),
        number().prop_map(KeyPart::Number),
        any::<i128>().prop_map(|n| KeyPart::BigInt(BigIntKey::from_i128(n))),
        (any::<bool>(), proptest::collection::vec(any::<u8>(), 0..40)).prop_map(
            |(negative, magnitude)| KeyPart::BigInt(BigIntKey::new(negative, &magnitude))
        ),
        // Short strings over a small alphabet (so prefixes and ties happen), plus any Unicode.
        "[\u{0}\u{1}\u{2}ab\u{7f}\u{e9}\u{ffff}\u{10000}]{0,4}".prop_map(KeyPart::String),
        any::<String>().prop_map(KeyPart::String),
        proptest::collection::vec(
            prop_oneof![Just(0u8), Just(1), Just(0xff), any::<u8>()],
            0..5
        )
        .prop_map(KeyPart::Bytes),
    ]
}

fn part() -> impl Strategy<Value = KeyPart> {
    leaf().prop_recursive(3, 24, 4, |inner| {
        proptest::collection::vec(inner, 1..4).prop_map(KeyPart::Tuple)
    })
}

fn key() -> impl Strategy<Value = Vec<KeyPart>> {
    proptest::collection::vec(part(), 1..5)
}

fn format() -> impl Strategy<Value = KeyFormat> {
    prop_oneof![Just(KeyFormat::V1), Just(KeyFormat::V2)]
}

/// -0 decodes as 0: compare keys as the codec promises to give them back.
fn normalized(parts: &[KeyPart]) -> Vec<KeyPart> {
    parts
        .iter()
        .map(|p| match p {
            KeyPart::Number(n) if *n == 0.0 => KeyPart::Number(0.0),
            KeyPart::Tuple(items) => KeyPart::Tuple(normalized(items)),
            other => other.clone(),
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn byte_order_of_encodings_is_the_documented_order(a in key(), b in key(), format in format()) {
        let (ea, eb) = (format.encode(&a).unwrap(), format.encode(&b).unwrap());
        prop_assert_eq!(ea.as_bytes().cmp(eb.as_bytes()), tuple_order(&a, &b), "{:?} vs {:?}", a, b);
    }

    #[test]
    fn decode_inverts_encode(k in key(), format in format()) {
        let encoded = format.encode(&k).unwrap();
        prop_assert!(!encoded.contains('\0'));
        prop_assert_eq!(format_of(&encoded), Some(format));
        prop_assert_eq!(decode(&encoded).unwrap(), normalized(&k));
    }

    #[test]
    fn a_prefix_range_holds_exactly_the_keys_that_extend_the_prefix(prefix in key(), k in key(), format in format()) {
        let plan = KvRange::plan_in(&Range { prefix: Some(prefix.clone()), ..Range::default() }, format).unwrap();
        let encode = |parts: &[KeyPart]| format.encode(parts);
        let extends = k.len() >= prefix.len()
            && tuple_order(&k[..prefix.len()], &prefix) == Ordering::Equal;
        prop_assert_eq!(plan.contains(&encode(&k).unwrap()), extends);
        let mut extended = prefix.clone();
        extended.extend(k);
        prop_assert!(plan.contains(&encode(&extended).unwrap()));
    }

    #[test]
    fn decode_never_panics_and_accepts_only_canonical_strings(text in any::<String>()) {
        if let Ok(parts) = decode(&text) {
            let format = format_of(&text).unwrap();
            prop_assert_eq!(format.encode(&parts).unwrap(), text);
        }
    }

    #[test]
    fn number_order_is_value_order_in_both_formats(a in number(), b in number(), format in format()) {
        let (ea, eb) = (format.encode(&[KeyPart::Number(a)]).unwrap(), format.encode(&[KeyPart::Number(b)]).unwrap());
        prop_assert_eq!(ea.cmp(&eb), a.partial_cmp(&b).unwrap(), "{} vs {}", a, b);
    }

    #[test]
    fn decode_never_panics_on_mangled_encodings(k in key(), cut in any::<prop::sample::Index>(), byte in 0u8..0x80, format in format()) {
        let mut bytes = format.encode(&k).unwrap().into_bytes();
        let at = cut.index(bytes.len());
        bytes[at] = byte;
        bytes.truncate(at + 1 + usize::from(byte % 3));
        if let Ok(text) = String::from_utf8(bytes) {
            if let Ok(parts) = decode(&text) {
                prop_assert_eq!(format_of(&text).unwrap().encode(&parts).unwrap(), text);
            }
        }
    }
}

#[test]
fn numbers_sort_numerically_across_signs_and_fractions() {
    let numbers = [
        -f64::MAX,
        -1e300,
        -2.5,
        -1.0,
        -0.5,
        -f64::MIN_POSITIVE,
        -5e-324,
        0.0,
        5e-324,
        f64::MIN_POSITIVE,
        0.25,
        1.0,
        2.0,
        10.0,
        42.0,
        420.0,
        2f64.powi(53),
        1e300,
        f64::MAX,
    ];
    for format in [KeyFormat::V1, KeyFormat::V2] {
        let encoded: Vec<String> = numbers
            .iter()
            .map(|n| format.encode(&[KeyPart::Number(*n)]).unwrap())
            .collect();
        assert!(encoded.windows(2).all(|w| w[0] < w[1]), "{encoded:?}");
        assert_eq!(
            format.encode(&[KeyPart::Number(-0.0)]),
            format.encode(&[KeyPart::Number(0.0)])
        );
        for refused in [f64::NAN, -f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(
                format
                    .encode(&[KeyPart::Number(refused)])
                    .unwrap_err()
                    .code(),
                "KEY_TYPE"
            );
        }
    }
}

/// Keys as the V1 codec writes them (the first is the encoding its unit test pinned): they still decode,
/// and V1 encodes them again byte for byte, so objects holding them keep reading and writing.
#[test]
fn keys_written_in_v1_still_read() {
    let fixture: [(&str, Vec<KeyPart>); 4] = [
        (
            "\u{1f}suser\u{1}fc045000000000000",
            vec![KeyPart::String("user".into()), KeyPart::Number(42.0)],
        ),
        (
            "\u{1f}sg\u{1}fc008000000000000fc0c3878000000000",
            vec![
                KeyPart::String("g".into()),
                KeyPart::Number(3.0),
                KeyPart::Number(9999.0),
            ],
        ),
        (
            "\u{1f}0FTf400fffffffffffff",
            vec![
                KeyPart::Null,
                KeyPart::Bool(false),
                KeyPart::Bool(true),
                KeyPart::Number(-1.0),
            ],
        ),
        (
            "\u{1f}i1000101{xab.i-fffefe)",
            vec![
                KeyPart::BigInt(BigIntKey::from_i128(1)),
                KeyPart::Tuple(vec![
                    KeyPart::Bytes(vec![0xab]),
                    KeyPart::BigInt(BigIntKey::from_i128(-1)),
                ]),
            ],
        ),
    ];
    for (stored, parts) in fixture {
        assert_eq!(decode(stored).unwrap(), parts, "{stored:?}");
        assert_eq!(format_of(stored), Some(KeyFormat::V1));
        assert_eq!(KeyFormat::V1.encode(&parts).unwrap(), stored);
        assert_ne!(KeyFormat::V2.encode(&parts).unwrap(), stored);
    }
}

#[test]
fn large_bigints_round_trip_through_hex() {
    let huge = format!("-{}", "f".repeat(1500));
    let key = [KeyPart::BigInt(BigIntKey::from_hex(&huge).unwrap())];
    let decoded = decode(&KeyFormat::CURRENT.encode(&key).unwrap()).unwrap();
    match decoded.as_slice() {
        [KeyPart::BigInt(big)] => assert_eq!(big.to_hex(), huge),
        other => panic!("{other:?}"),
    }
}
