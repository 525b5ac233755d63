//! Topics and subscription patterns: parsing, validation and matching.
//!
//! A topic is a string of `/`-separated, non-empty segments, at most [`MAX_TOPIC_BYTES`] bytes.
//! A subscription pattern is a topic whose segments may also be
//! - `*`: exactly one segment, any value;
//! - `**`, as the last segment only: **one or more** further segments.
//!
//! So `room/**` matches `room/a` and `room/a/b` but not `room` itself (subscribe to both when
//! both are wanted), and `**` alone matches every topic. This is the NATS `>` rule rather than
//! MQTT's `#`: a pattern never matches a topic shorter than its own literal prefix plus one,
//! which keeps `a/**` and `a` two distinct, predictable subscriptions.
//!
//! A `*` anywhere else inside a segment (`a*`, `***`) is refused rather than taken literally,
//! so that a typo never silently becomes a subscription that matches nothing. Publish topics
//! may not contain wildcards at all. This module never touches the index or any connection.

use super::FanoutError;

/// The longest topic or pattern accepted, in UTF-8 bytes. It matches the platform's limit on a
/// hibernation tag (256), and keeps a connection's subscriptions small enough for its
/// attachment (16 KiB by default) to hold dozens of them.
pub const MAX_TOPIC_BYTES: usize = 256;

/// One segment of a subscription pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// Matches exactly this segment.
    Literal(String),
    /// `*`: matches any one segment.
    One,
    /// `**` (last only): matches one or more segments.
    Rest,
}

/// A validated subscription pattern holding at least one wildcard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    segments: Vec<Segment>,
}

/// What a subscription string turned out to be once validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// A concrete topic: served by one hash lookup on publish.
    Exact,
    /// A pattern with at least one wildcard: matched against each published topic.
    Wildcard(Pattern),
}

fn invalid(topic: &str, reason: &'static str) -> FanoutError {
    FanoutError::TopicInvalid {
        topic: topic.to_owned(),
        reason,
    }
}

fn check_length(topic: &str) -> Result<(), FanoutError> {
    if topic.is_empty() {
        return Err(invalid(topic, "a topic must not be empty"));
    }
    if topic.len() > MAX_TOPIC_BYTES {
        return Err(invalid(topic, "a topic must be at most 256 bytes"));
    }
    Ok(())
}

/// Validates a topic to publish to and splits it into its segments.
pub fn parse_topic(topic: &str) -> Result<Vec<&str>, FanoutError> {
    check_length(topic)?;
    let segments: Vec<&str> = topic.split('/').collect();
    for segment in &segments {
        if segment.is_empty() {
            return Err(invalid(
                topic,
                "a topic must not have an empty segment (no leading, trailing or doubled `/`)",
            ));
        }
        if segment.contains('*') {
            return Err(invalid(
                topic,
                "a published topic must not contain `*`: wildcards belong in subscriptions",
            ));
        }
    }
    Ok(segments)
}

/// Validates a subscription string: a concrete topic or a wildcard pattern.
pub fn parse_filter(filter: &str) -> Result<Filter, FanoutError> {
    check_length(filter)?;
    let mut segments = Vec::new();
    let mut has_wildcard = false;
    let mut pieces = filter.split('/').peekable();
    while let Some(piece) = pieces.next() {
        let is_last = pieces.peek().is_none();
        let segment =
            match piece {
                "" => return Err(invalid(
                    filter,
                    "a topic must not have an empty segment (no leading, trailing or doubled `/`)",
                )),
                "*" => Segment::One,
                "**" if is_last => Segment::Rest,
                "**" => return Err(invalid(filter, "`**` may only be the last segment")),
                _ if piece.contains('*') => {
                    return Err(invalid(
                        filter,
                        "a wildcard must be a whole segment (`*` or `**`), not part of one",
                    ))
                }
                _ => Segment::Literal(piece.to_owned()),
            };
        has_wildcard |= !matches!(segment, Segment::Literal(_));
        segments.push(segment);
    }
    Ok(if has_wildcard {
        Filter::Wildcard(Pattern { segments })
    } else {
        Filter::Exact
    })
}

/// Whether a validated subscription string is a wildcard pattern (cheaper than re-parsing).
pub fn is_wildcard(validated: &str) -> bool {
    validated
        .split('/')
        .any(|segment| segment == "*" || segment == "**")
}

impl Pattern {
    /// Whether a published topic (already split by [`parse_topic`]) matches this pattern.
    pub fn matches(&self, topic: &[&str]) -> bool {
        let mut remaining = topic.iter();
        for segment in &self.segments {
            match segment {
                Segment::Rest => return remaining.next().is_some(),
                Segment::One => {
                    if remaining.next().is_none() {
                        return false;
                    }
                }
                Segment::Literal(literal) => match remaining.next() {
                    Some(actual) if actual == literal => {}
                    _ => return false,
                },
            }
        }
        remaining.next().is_none()
    }

    /// Whether some topic matches both patterns: the rule behind `connections(pattern)`, which
    /// lists every connection that could receive a message published to a topic the pattern
    /// matches.
    pub fn overlaps(&self, other: &[Segment]) -> bool {
        segments_overlap(&self.segments, other)
    }

    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }
}

fn segments_overlap(left: &[Segment], right: &[Segment]) -> bool {
    let mut left = left.iter();
    let mut right = right.iter();
    loop {
        match (left.next(), right.next()) {
            (None, None) => return true,
            // `**` needs one or more segments, and the other side has at least this one.
            (Some(Segment::Rest), Some(_)) | (Some(_), Some(Segment::Rest)) => return true,
            (None, Some(_)) | (Some(_), None) => return false,
            (Some(Segment::Literal(a)), Some(Segment::Literal(b))) if a != b => return false,
            (Some(_), Some(_)) => {}
        }
    }
}

/// The segments of a concrete topic, as a pattern without wildcards (for overlap checks).
pub fn literal_segments(topic: &str) -> Vec<Segment> {
    topic
        .split('/')
        .map(|segment| Segment::Literal(segment.to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(text: &str) -> Pattern {
        match parse_filter(text) {
            Ok(Filter::Wildcard(pattern)) => pattern,
            other => panic!("{text:?} should be a wildcard pattern, got {other:?}"),
        }
    }

    fn matches(filter: &str, topic: &str) -> bool {
        let segments = parse_topic(topic).unwrap();
        match parse_filter(filter).unwrap() {
            Filter::Exact => filter == topic,
            Filter::Wildcard(pattern) => pattern.matches(&segments),
        }
    }

    #[test]
    fn wildcard_semantics() {
        // (pattern, topic, expected)
        let table: &[(&str, &str, bool)] = &[
            ("a", "a", true),
            ("a", "b", false),
            ("a/b", "a/b", true),
            ("a/b", "a", false),
            ("a", "a/b", false),
            ("*", "a", true),
            ("*", "a/b", false),
            ("a/*", "a/b", true),
            ("a/*", "a", false),
            ("a/*", "a/b/c", false),
            ("a/*", "b/c", false),
            ("*/b", "a/b", true),
            ("*/b", "a/c", false),
            ("a/*/c", "a/x/c", true),
            ("a/*/c", "a/x/d", false),
            ("a/*/c", "a/c", false),
            ("*/*", "a/b", true),
            ("*/*", "a", false),
            ("**", "a", true),
            ("**", "a/b/c", true),
            ("a/**", "a", false),
            ("a/**", "a/b", true),
            ("a/**", "a/b/c/d", true),
            ("a/**", "b/c", false),
            ("a/*/**", "a/b", false),
            ("a/*/**", "a/b/c", true),
            ("*/**", "a", false),
            ("*/**", "a/b", true),
            ("room/lobby", "room/lobby", true),
            ("room/*", "room/lobby", true),
            ("room/**", "room/lobby/presence", true),
            ("Room/*", "room/lobby", false),
            ("é/*", "é/ü", true),
        ];
        for (filter, topic, expected) in table {
            assert_eq!(matches(filter, topic), *expected, "{filter:?} vs {topic:?}");
        }
    }

    #[test]
    fn invalid_filters_are_refused_with_a_reason() {
        let long = "a".repeat(MAX_TOPIC_BYTES + 1);
        // (filter, words the reason must contain)
        let table: &[(&str, &str)] = &[
            ("", "empty"),
            ("/", "empty segment"),
            ("/a", "empty segment"),
            ("a/", "empty segment"),
            ("a//b", "empty segment"),
            ("**/a", "last"),
            ("a/**/b", "last"),
            ("a*", "whole segment"),
            ("*a", "whole segment"),
            ("a/b*c", "whole segment"),
            ("***", "whole segment"),
            (&long, "256 bytes"),
        ];
        for (filter, reason_part) in table {
            match parse_filter(filter) {
                Err(FanoutError::TopicInvalid { topic, reason }) => {
                    assert_eq!(&topic, filter);
                    assert!(reason.contains(reason_part), "{filter:?}: {reason}");
                }
                other => panic!("{filter:?} should be refused, got {other:?}"),
            }
        }
    }

    #[test]
    fn longest_allowed_topic_is_accepted() {
        let longest = "a".repeat(MAX_TOPIC_BYTES);
        assert_eq!(parse_filter(&longest), Ok(Filter::Exact));
        assert!(parse_topic(&longest).is_ok());
    }

    #[test]
    fn published_topics_refuse_wildcards_and_empty_segments() {
        for topic in ["a/*", "**", "a/b*", "", "a//b", "a/"] {
            assert!(parse_topic(topic).is_err(), "{topic:?}");
        }
        assert_eq!(parse_topic("a/b/c").unwrap(), vec!["a", "b", "c"]);
    }

    #[test]
    fn classification_and_is_wildcard_agree() {
        for filter in ["a", "a/b", "a/*", "*", "**", "a/**", "x/*/y"] {
            let parsed_as_wildcard = matches!(parse_filter(filter), Ok(Filter::Wildcard(_)));
            assert_eq!(is_wildcard(filter), parsed_as_wildcard, "{filter:?}");
        }
    }

    #[test]
    fn overlap_semantics() {
        // (pattern, other pattern or topic, expected): symmetric, checked both ways.
        let table: &[(&str, &str, bool)] = &[
            ("a/*", "a/b", true),
            ("a/*", "a/b/c", false),
            ("a/*", "*/b", true),
            ("a/*", "b/*", false),
            ("a/**", "a/*", true),
            ("a/**", "a", false),
            ("a/**", "a/b/c", true),
            ("a/**", "*/x/**", true),
            ("**", "a", true),
            ("*", "a/**", false),
            ("*/*", "a/**", true),
            ("a/*/c", "a/b/*", true),
            ("a/*/c", "a/b/d", false),
        ];
        for (left, right, expected) in table {
            let left_segments = pattern(left);
            let right_segments = match parse_filter(right).unwrap() {
                Filter::Exact => literal_segments(right),
                Filter::Wildcard(pattern) => pattern.segments().to_vec(),
            };
            assert_eq!(
                left_segments.overlaps(&right_segments),
                *expected,
                "{left:?} ~ {right:?}"
            );
            assert_eq!(
                segments_overlap(&right_segments, left_segments.segments()),
                *expected,
                "{right:?} ~ {left:?}"
            );
        }
    }
}
