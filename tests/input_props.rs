//! Arbitrary strings and bytes fed to the parsers that read user input: the key codec and the
//! topic parser never panic (a panic traps the wasm instance every object of the isolate
//! shares), refuse with their documented codes, and what they accept round-trips.

use durable_core::fanout::topic::{
    is_wildcard, parse_filter, parse_topic, Filter, MAX_TOPIC_BYTES,
};
use durable_core::store::{
    decode, encode, format_of, js_literal, KeyFormat, KeyPart, MAX_KEY_BYTES, MAX_KEY_DEPTH,
};
use durable_core::ErrorCode;
use proptest::prelude::*;

/// Strings over the codec's own tag alphabets (V1: hex numbers; V2: base-64 digits from `0` to
/// `o` between the number tags and their ends), so that decoding gets deep into malformed input.
fn codec_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "\u{1f}[{)0FTfisx.\u{1}\u{2}\u{3}0-9a-f\\-]{0,80}",
        "\u{1f}[1GUghjty|/p\u{1}\u{2}\u{3}0-9:-o]{0,80}",
    ]
}

/// Topics over the characters that matter to the parser.
fn topic_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a/*b\u{e9}]{0,12}",
        any::<String>(),
        (1usize..4, "[a-z]{1,100}").prop_map(|(n, s)| vec![s; n].join("/")),
    ]
}

fn nested(depth: usize) -> KeyPart {
    let mut part = KeyPart::Null;
    for _ in 0..depth {
        part = KeyPart::Tuple(vec![part]);
    }
    part
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn decoding_codec_shaped_text_never_panics_and_round_trips(text in codec_text()) {
        match decode(&text) {
            Ok(parts) => {
                // A key reads in the format its first tag names (V1 keys stay readable), and
                // writes back the same in that format.
                let format = format_of(&text).unwrap_or(KeyFormat::CURRENT);
                prop_assert_eq!(format.encode(&parts).unwrap(), text);
                let _ = js_literal(&parts);
            }
            Err(e) => prop_assert_eq!(e.code(), "KEY_MALFORMED"),
        }
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let text = format!("\u{1f}{}", String::from_utf8_lossy(&bytes));
        if let Ok(parts) = decode(&text) {
            let format = format_of(&text).unwrap_or(KeyFormat::CURRENT);
            prop_assert_eq!(format.encode(&parts).unwrap(), text);
        }
    }

    #[test]
    fn encoding_arbitrary_strings_and_bytes_is_a_key_or_a_coded_refusal(
        strings in proptest::collection::vec(any::<String>(), 1..4),
        bytes in proptest::collection::vec(any::<u8>(), 0..1200),
        long in 0usize..3000,
    ) {
        let mut parts: Vec<KeyPart> = strings.into_iter().map(KeyPart::String).collect();
        parts.push(KeyPart::Bytes(bytes));
        parts.push(KeyPart::String("x".repeat(long)));
        match encode(&parts) {
            Ok(encoded) => {
                prop_assert!(encoded.len() <= MAX_KEY_BYTES);
                prop_assert_eq!(decode(&encoded).unwrap(), parts);
            }
            Err(e) => prop_assert_eq!(e.code(), "KEY_TOO_LARGE"),
        }
    }

    #[test]
    fn nesting_beyond_the_depth_limit_is_a_key_type_error(depth in 0usize..200) {
        match encode(&[nested(depth)]) {
            Ok(encoded) => {
                prop_assert!(depth <= MAX_KEY_DEPTH);
                prop_assert_eq!(decode(&encoded).unwrap(), vec![nested(depth)]);
            }
            Err(e) => {
                prop_assert!(depth > MAX_KEY_DEPTH);
                prop_assert_eq!(e.code(), "KEY_TYPE");
            }
        }
    }

    #[test]
    fn a_topic_that_parses_round_trips_and_matches_itself(topic in topic_text()) {
        match parse_topic(&topic) {
            Ok(segments) => {
                prop_assert!(!topic.is_empty() && topic.len() <= MAX_TOPIC_BYTES);
                prop_assert_eq!(segments.join("/"), topic.clone());
                prop_assert!(segments.iter().all(|s| !s.is_empty() && !s.contains('*')));
                // A publishable topic is also a concrete subscription.
                prop_assert_eq!(parse_filter(&topic).unwrap(), Filter::Exact);
                prop_assert!(!is_wildcard(&topic));
            }
            Err(e) => prop_assert_eq!(e.code(), "TOPIC_INVALID"),
        }
    }

    #[test]
    fn a_pattern_that_parses_matches_the_topics_it_describes(pattern in topic_text(), fill in "[a-z]{1,4}") {
        match parse_filter(&pattern) {
            Ok(Filter::Wildcard(parsed)) => {
                prop_assert!(is_wildcard(&pattern));
                // Replace each wildcard by a concrete segment: the result must match.
                let concrete: Vec<&str> = pattern
                    .split('/')
                    .map(|s| if s == "*" || s == "**" { fill.as_str() } else { s })
                    .collect();
                prop_assert!(parsed.matches(&concrete), "{} should match {:?}", pattern, concrete);
            }
            Ok(Filter::Exact) => prop_assert!(parse_topic(&pattern).is_ok()),
            Err(e) => {
                prop_assert_eq!(e.code(), "TOPIC_INVALID");
                prop_assert!(parse_topic(&pattern).is_err());
            }
        }
    }
}

#[test]
fn a_topic_of_thirty_megabytes_is_refused_by_length() {
    let huge = "a".repeat(30 << 20);
    assert_eq!(parse_topic(&huge).unwrap_err().code(), "TOPIC_INVALID");
    assert_eq!(parse_filter(&huge).unwrap_err().code(), "TOPIC_INVALID");
}
