//! Behaviour of the fan-out index, through its public API.

use super::*;
use crate::error::ErrorCode;

fn sorted(mut slots: Vec<u32>) -> Vec<u32> {
    slots.sort_unstable();
    slots
}

/// An index with one connection per id, in slot order.
fn index_with(ids: &[&str]) -> FanoutIndex {
    let mut index = FanoutIndex::new(None, SeededState::default());
    for (expected_slot, id) in (0u32..).zip(ids) {
        assert_eq!(index.connect(id).unwrap(), expected_slot);
    }
    index
}

fn events_summary(events: &[PresenceEvent]) -> Vec<(String, &'static str, String, Vec<u32>)> {
    events
        .iter()
        .map(|event| {
            (
                event.topic.clone(),
                event.kind.as_str(),
                event.subject_id.clone(),
                sorted(event.recipients.clone()),
            )
        })
        .collect()
}

#[test]
fn slots_are_handed_out_in_order_and_holes_are_reused_latest_first() {
    let mut index = index_with(&["a", "b", "c", "d"]);
    index.disconnect(1).unwrap();
    index.disconnect(2).unwrap();
    assert_eq!(index.connect("e").unwrap(), 2);
    assert_eq!(index.connect("f").unwrap(), 1);
    assert_eq!(index.connect("g").unwrap(), 4);
    assert_eq!(index.slot_capacity(), 5);
    assert_eq!(index.len(), 5);
    assert_eq!(index.slot_of("f"), Some(1));
    assert_eq!(index.slot_of("b"), None);
    assert_eq!(index.id_of(2), Some("e"));
}

#[test]
fn connection_ids_must_be_valid_and_unique() {
    let mut index = index_with(&["a"]);
    assert_eq!(
        index.connect("a").unwrap_err().code(),
        "CONNECTION_DUPLICATE"
    );
    assert_eq!(
        index.connect("").unwrap_err().code(),
        "CONNECTION_ID_INVALID"
    );
    assert_eq!(
        index
            .connect(&"x".repeat(MAX_CONNECTION_ID_BYTES + 1))
            .unwrap_err()
            .code(),
        "CONNECTION_ID_INVALID"
    );
    assert_eq!(index.len(), 1);
    // A removed connection's id may come back.
    index.disconnect(0).unwrap();
    assert_eq!(index.connect("a").unwrap(), 0);
}

#[test]
fn unknown_slots_are_refused_everywhere() {
    let mut index = index_with(&["a"]);
    index.disconnect(0).unwrap();
    let unknown = FanoutError::UnknownConnection { slot: 0 };
    assert_eq!(index.disconnect(0), Err(unknown.clone()));
    assert_eq!(index.subscribe(0, "t", false), Err(unknown.clone()));
    assert_eq!(index.unsubscribe(0, "t"), Err(unknown.clone()));
    assert_eq!(index.state_changed(0), Err(unknown.clone()));
    assert_eq!(index.subscriptions(0), Err(unknown.clone()));
    assert_eq!(index.admit(0, 0), Err(unknown.clone()));
    assert_eq!(
        index.subscribe(99, "t", false),
        Err(FanoutError::UnknownConnection { slot: 99 })
    );
    assert_eq!(unknown.code(), "CONNECTION_UNKNOWN");
}

#[test]
fn publish_reaches_exact_subscribers_except_the_sender() {
    let mut index = index_with(&["a", "b", "c"]);
    index.subscribe(0, "room/lobby", false).unwrap();
    index.subscribe(1, "room/lobby", false).unwrap();
    index.subscribe(2, "room/other", false).unwrap();
    assert_eq!(
        sorted(index.publish("room/lobby", None).unwrap()),
        vec![0, 1]
    );
    assert_eq!(index.publish("room/lobby", Some(0)).unwrap(), vec![1]);
    assert_eq!(
        index.publish("room/nobody", None).unwrap(),
        Vec::<u32>::new()
    );
}

#[test]
fn publish_reaches_wildcard_subscribers_once_each() {
    let mut index = index_with(&["exact", "one", "rest", "both", "all", "elsewhere"]);
    index.subscribe(0, "room/lobby", false).unwrap();
    index.subscribe(1, "room/*", false).unwrap();
    index.subscribe(2, "room/**", false).unwrap();
    for filter in ["room/lobby", "room/*", "room/**", "*/lobby"] {
        index.subscribe(3, filter, false).unwrap();
    }
    index.subscribe(4, "**", false).unwrap();
    index.subscribe(5, "other/*", false).unwrap();
    assert_eq!(
        sorted(index.publish("room/lobby", None).unwrap()),
        vec![0, 1, 2, 3, 4]
    );
    assert_eq!(
        sorted(index.publish("room/lobby", Some(3)).unwrap()),
        vec![0, 1, 2, 4]
    );
    assert_eq!(
        sorted(index.publish("room/lobby/x", None).unwrap()),
        vec![2, 3, 4]
    );
    assert_eq!(sorted(index.publish("room", None).unwrap()), vec![4]);
    // Only one pattern set matches: the fast path without de-duplication.
    index.unsubscribe(4, "**").unwrap();
    assert_eq!(sorted(index.publish("other/x", None).unwrap()), vec![5]);
}

#[test]
fn publish_refuses_invalid_topics() {
    let mut index = index_with(&["a"]);
    for topic in ["", "a/*", "a//b", "**"] {
        assert_eq!(
            index.publish(topic, None).unwrap_err().code(),
            "TOPIC_INVALID",
            "{topic:?}"
        );
    }
}

#[test]
fn a_thousand_subscribers_on_one_topic() {
    let mut index = FanoutIndex::new(None, SeededState::default());
    for n in 0..1000 {
        let slot = index.connect(&format!("c{n}")).unwrap();
        index.subscribe(slot, "room/lobby", false).unwrap();
    }
    let recipients = index.publish("room/lobby", Some(500)).unwrap();
    assert_eq!(recipients.len(), 999);
    assert_eq!(
        sorted(recipients),
        (0..1000).filter(|slot| *slot != 500).collect::<Vec<u32>>()
    );
}

#[test]
fn two_hundred_topics_on_one_connection() {
    let mut index = index_with(&["many", "listener"]);
    for n in 0..200 {
        index.subscribe(0, &format!("topic/{n}"), false).unwrap();
    }
    index.subscribe(1, "topic/*", false).unwrap();
    assert_eq!(index.subscriptions(0).unwrap().len(), 200);
    for n in 0..200 {
        assert_eq!(
            sorted(index.publish(&format!("topic/{n}"), None).unwrap()),
            vec![0, 1]
        );
    }
    index.disconnect(0).unwrap();
    assert_eq!(index.publish("topic/7", None).unwrap(), vec![1]);
    assert!(
        index.exact.is_empty(),
        "topic entries must be dropped with their last subscriber"
    );
}

#[test]
fn a_refused_subscription_changes_nothing() {
    let mut index = index_with(&["a"]);
    assert_eq!(
        index.subscribe(0, "a/**/b", false).unwrap_err().code(),
        "TOPIC_INVALID"
    );
    assert_eq!(
        index.subscribe(0, "a/*", true).unwrap_err().code(),
        "PRESENCE_ON_PATTERN"
    );
    assert_eq!(index.subscriptions(0).unwrap(), vec![]);
    assert!(index.exact.is_empty() && index.patterns.is_empty());
}

#[test]
fn subscriptions_are_listed_sorted_with_their_presence_flag() {
    let mut index = index_with(&["a"]);
    index.subscribe(0, "b", true).unwrap();
    index.subscribe(0, "a/*", false).unwrap();
    index.subscribe(0, "b", true).unwrap();
    assert_eq!(
        index.subscriptions(0).unwrap(),
        vec![("a/*".to_owned(), false), ("b".to_owned(), true)]
    );
    assert_eq!(index.unsubscribe(0, "not-subscribed").unwrap(), vec![]);
    index.unsubscribe(0, "a/*").unwrap();
    assert_eq!(
        index.subscriptions(0).unwrap(),
        vec![("b".to_owned(), true)]
    );
    assert!(index.patterns.is_empty());
}

#[test]
fn presence_join_goes_to_the_other_subscribers_including_wildcards() {
    let mut index = index_with(&["first", "second", "watcher", "plain"]);
    // Alone on the topic: nobody to tell, so no event.
    assert_eq!(index.subscribe(0, "room/lobby", true).unwrap(), vec![]);
    index.subscribe(2, "room/*", false).unwrap();
    index.subscribe(3, "room/lobby", false).unwrap();
    let events = index.subscribe(1, "room/lobby", true).unwrap();
    assert_eq!(
        events_summary(&events),
        vec![(
            "room/lobby".to_owned(),
            "join",
            "second".to_owned(),
            vec![0, 2, 3]
        )]
    );
    assert_eq!(events.first().map(|event| event.subject_slot), Some(1));
    // Subscribing again with presence announces nothing new.
    assert_eq!(index.subscribe(1, "room/lobby", true).unwrap(), vec![]);
    let mut present: Vec<(u32, String)> = index
        .presence("room/lobby")
        .unwrap()
        .into_iter()
        .map(|member| (member.slot, member.id))
        .collect();
    present.sort();
    assert_eq!(
        present,
        vec![(0, "first".to_owned()), (1, "second".to_owned())]
    );
}

#[test]
fn presence_leave_on_flag_off_unsubscribe_and_disconnect() {
    let mut index = index_with(&["a", "b", "c"]);
    for slot in 0..3 {
        index.subscribe(slot, "t", true).unwrap();
    }
    let off = index.subscribe(0, "t", false).unwrap();
    assert_eq!(
        events_summary(&off),
        vec![("t".to_owned(), "leave", "a".to_owned(), vec![1, 2])]
    );
    assert_eq!(index.presence("t").unwrap().len(), 2);
    // Turning presence back on is a join.
    let on = index.subscribe(0, "t", true).unwrap();
    assert_eq!(
        events_summary(&on),
        vec![("t".to_owned(), "join", "a".to_owned(), vec![1, 2])]
    );

    let unsubscribed = index.unsubscribe(1, "t").unwrap();
    assert_eq!(
        events_summary(&unsubscribed),
        vec![("t".to_owned(), "leave", "b".to_owned(), vec![0, 2])]
    );

    index.subscribe(2, "u", true).unwrap();
    index.subscribe(0, "u", false).unwrap();
    let mut gone = events_summary(&index.disconnect(2).unwrap());
    gone.sort();
    assert_eq!(
        gone,
        vec![
            ("t".to_owned(), "leave", "c".to_owned(), vec![0]),
            ("u".to_owned(), "leave", "c".to_owned(), vec![0])
        ]
    );
    assert_eq!(index.presence("u").unwrap(), vec![]);
    // A subscriber without presence leaves silently.
    assert_eq!(index.unsubscribe(0, "u").unwrap(), vec![]);
}

#[test]
fn departure_of_a_connection_missing_from_the_index_tells_the_topic() {
    let mut index = index_with(&["stays", "watcher"]);
    index.subscribe(0, "room/lobby", true).unwrap();
    index.subscribe(1, "room/*", false).unwrap();
    let events = index
        .departure(
            "gone",
            &[
                "room/lobby".to_owned(),
                "room/empty-of-others".to_owned(),
                "x".to_owned(),
            ],
        )
        .unwrap();
    let summary = events_summary(&events);
    assert_eq!(
        summary,
        vec![
            (
                "room/lobby".to_owned(),
                "leave",
                "gone".to_owned(),
                vec![0, 1]
            ),
            (
                "room/empty-of-others".to_owned(),
                "leave",
                "gone".to_owned(),
                vec![1]
            ),
        ]
    );
    assert!(events.iter().all(|event| event.subject_slot == NO_SLOT));
    assert_eq!(
        index
            .departure("gone", &["a/*".to_owned()])
            .unwrap_err()
            .code(),
        "PRESENCE_ON_PATTERN"
    );
    assert_eq!(
        index.departure("", &[]).unwrap_err().code(),
        "CONNECTION_ID_INVALID"
    );
    // Nothing changed in the index.
    assert_eq!(index.len(), 2);
}

#[test]
fn state_change_updates_only_presence_topics() {
    let mut index = index_with(&["subject", "other"]);
    index.subscribe(0, "with", true).unwrap();
    index.subscribe(0, "without", false).unwrap();
    index.subscribe(0, "x/*", false).unwrap();
    for filter in ["with", "without", "x/y"] {
        index.subscribe(1, filter, false).unwrap();
    }
    let events = index.state_changed(0).unwrap();
    assert_eq!(
        events_summary(&events),
        vec![("with".to_owned(), "update", "subject".to_owned(), vec![1])]
    );
}

#[test]
fn presence_needs_a_concrete_topic() {
    let index = index_with(&["a"]);
    assert_eq!(
        index.presence("a/*").unwrap_err().code(),
        "PRESENCE_ON_PATTERN"
    );
    assert_eq!(index.presence("a//b").unwrap_err().code(), "TOPIC_INVALID");
    assert_eq!(index.presence("nobody").unwrap(), vec![]);
}

#[test]
fn connections_and_count_by_topic_and_pattern() {
    let mut index = index_with(&["lobby", "kitchen", "any-room", "deep", "loner"]);
    index.subscribe(0, "room/lobby", false).unwrap();
    index.subscribe(1, "room/kitchen", false).unwrap();
    index.subscribe(2, "room/*", false).unwrap();
    index.subscribe(3, "room/**", false).unwrap();
    index.subscribe(3, "room/lobby", false).unwrap();
    assert_eq!(
        sorted(index.connections(None).unwrap()),
        vec![0, 1, 2, 3, 4]
    );
    assert_eq!(
        sorted(index.connections(Some("room/lobby")).unwrap()),
        vec![0, 2, 3]
    );
    assert_eq!(
        sorted(index.connections(Some("room/*")).unwrap()),
        vec![0, 1, 2, 3]
    );
    assert_eq!(
        sorted(index.connections(Some("room/lobby/**")).unwrap()),
        vec![3]
    );
    assert_eq!(
        sorted(index.connections(Some("*/kitchen")).unwrap()),
        vec![1, 2, 3]
    );
    assert_eq!(index.count(None).unwrap(), 5);
    assert_eq!(index.count(Some("room/kitchen")).unwrap(), 3);
    assert_eq!(index.count(Some("nothing/here")).unwrap(), 0);
    assert_eq!(
        index.count(Some("room//")).unwrap_err().code(),
        "TOPIC_INVALID"
    );
    assert_eq!(sorted(index.broadcast(Some(4))), vec![0, 1, 2, 3]);
}

#[test]
fn admit_applies_each_connections_own_bucket() {
    let mut limited = FanoutIndex::new(
        Some(RateLimit::new(2.0, 1000.0).unwrap()),
        SeededState::default(),
    );
    let a = limited.connect("a").unwrap();
    let b = limited.connect("b").unwrap();
    assert_eq!(
        [
            limited.admit(a, 0),
            limited.admit(a, 0),
            limited.admit(a, 0)
        ],
        [Ok(true), Ok(true), Ok(false)]
    );
    // A flood from `a` does not touch `b`.
    assert_eq!(limited.admit(b, 0), Ok(true));
    assert_eq!(limited.admit(a, 500), Ok(true));

    let mut unlimited = index_with(&["a"]);
    assert!((0..10_000).all(|_| unlimited.admit(0, 0) == Ok(true)));
}

#[test]
fn changing_the_rate_limit_applies_to_existing_connections() {
    let mut index = index_with(&["a"]);
    assert!((0..100).all(|_| index.admit(0, 0) == Ok(true)));
    index.set_rate_limit(Some(RateLimit::new(1.0, 1000.0).unwrap()));
    assert_eq!(
        [index.admit(0, 0), index.admit(0, 0)],
        [Ok(true), Ok(false)]
    );
    index.set_rate_limit(None);
    assert_eq!(index.admit(0, 0), Ok(true));
}

#[test]
fn rebuild_replaces_the_index_with_slot_equal_to_position() {
    let mut index = index_with(&["old"]);
    index.subscribe(0, "old/topic", true).unwrap();
    let entry = |id: &str, subscriptions: &[(&str, bool)]| RebuildEntry {
        id: id.to_owned(),
        subscriptions: subscriptions
            .iter()
            .map(|(filter, presence)| ((*filter).to_owned(), *presence))
            .collect(),
    };
    let rejected = index.rebuild(vec![
        Some(entry("a", &[("room/lobby", true), ("room/*", false)])),
        Some(entry("bad-topic", &[("room/lobby", true), ("a//b", false)])),
        Some(entry("b", &[("room/lobby", true)])),
        Some(entry("a", &[])),
        Some(entry("c", &[("x/*", true)])),
        Some(entry("d", &[])),
        None, // an attachment that could not be read
    ]);
    let codes: Vec<(u32, &str)> = rejected
        .iter()
        .map(|rejected| (rejected.slot, rejected.error.code()))
        .collect();
    assert_eq!(
        codes,
        vec![
            (1, "TOPIC_INVALID"),
            (3, "CONNECTION_DUPLICATE"),
            (4, "PRESENCE_ON_PATTERN"),
            (6, "CONNECTION_ID_INVALID")
        ]
    );

    assert_eq!(index.len(), 3);
    assert_eq!(index.slot_capacity(), 7);
    assert_eq!(index.slot_of("old"), None);
    assert_eq!(
        [index.slot_of("a"), index.slot_of("b"), index.slot_of("d")],
        [Some(0), Some(2), Some(5)]
    );
    assert_eq!(index.id_of(1), None);
    assert_eq!(index.publish("old/topic", None).unwrap(), Vec::<u32>::new());
    assert_eq!(
        sorted(index.publish("room/lobby", None).unwrap()),
        vec![0, 2]
    );
    // Presence survives the rebuild, and the rejected entry left no trace in the topic.
    let mut present: Vec<String> = index
        .presence("room/lobby")
        .unwrap()
        .into_iter()
        .map(|member| member.id)
        .collect();
    present.sort();
    assert_eq!(present, vec!["a".to_owned(), "b".to_owned()]);
    // Holes are reused by later connections.
    let reused = index.connect("e").unwrap();
    assert!([1, 3, 4, 6].contains(&reused), "slot {reused}");
}

#[test]
fn rebuild_keeps_the_rate_limit_and_refills_buckets() {
    let mut index = FanoutIndex::new(
        Some(RateLimit::new(1.0, 1000.0).unwrap()),
        SeededState::default(),
    );
    let slot = index.connect("a").unwrap();
    assert_eq!(index.admit(slot, 0), Ok(true));
    assert_eq!(index.admit(slot, 0), Ok(false));
    index.rebuild([Some(RebuildEntry {
        id: "a".to_owned(),
        subscriptions: vec![],
    })]);
    assert_eq!(
        [index.admit(0, 1), index.admit(0, 1)],
        [Ok(true), Ok(false)]
    );
}

/// The numbers behind the choice of a hash map for topics and a per-publish list of distinct
/// patterns. Run with `cargo test --release --lib publish_cost -- --ignored --nocapture`.
#[test]
#[ignore = "benchmark: prints timings"]
fn publish_cost() {
    use std::time::Instant;
    let time = |label: &str, index: &mut FanoutIndex, topic: &str| {
        let rounds = 20_000u32;
        let start = Instant::now();
        let mut total = 0usize;
        for _ in 0..rounds {
            total += index.publish(topic, Some(0)).unwrap().len();
        }
        let per_publish = start.elapsed() / rounds;
        println!(
            "{label:<60} {per_publish:>10.2?} per publish ({} recipients)",
            total / rounds as usize
        );
    };
    for distinct_patterns in [0usize, 10, 100, 1000] {
        let mut index = FanoutIndex::new(None, SeededState::default());
        for n in 0..1000 {
            let slot = index.connect(&format!("c{n}")).unwrap();
            index.subscribe(slot, "room/lobby", false).unwrap();
        }
        for n in 0..distinct_patterns {
            let slot = index.connect(&format!("p{n}")).unwrap();
            index
                .subscribe(slot, &format!("other/{n}/*"), false)
                .unwrap();
        }
        time(
            &format!("1,000 exact subscribers, {distinct_patterns} non-matching patterns"),
            &mut index,
            "room/lobby",
        );
    }
    let mut index = FanoutIndex::new(None, SeededState::default());
    for n in 0..1000 {
        let slot = index.connect(&format!("c{n}")).unwrap();
        index
            .subscribe(
                slot,
                if n % 2 == 0 { "room/lobby" } else { "room/*" },
                false,
            )
            .unwrap();
    }
    time(
        "500 exact + 500 on a matching pattern (de-duplicated)",
        &mut index,
        "room/lobby",
    );
}

#[test]
fn running_memory_counts_match_a_recount_after_any_sequence() {
    // A small deterministic generator: the sequences mix every operation that changes usage.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = |bound: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % bound
    };
    let filters = ["a", "a/b", "a/*", "a/**", "**", "b/c/d", "lobby"];
    let mut index = FanoutIndex::new(None, SeededState::default());
    let mut live: Vec<u32> = Vec::new();
    for step in 0..5_000u32 {
        match next(6) {
            0 => live.push(index.connect(&format!("conn-{step}")).unwrap()),
            1 if !live.is_empty() => {
                let slot = live.swap_remove(next(live.len() as u64) as usize);
                index.disconnect(slot).unwrap();
            }
            2 | 3 if !live.is_empty() => {
                let slot = live[next(live.len() as u64) as usize];
                let filter = filters[next(filters.len() as u64) as usize];
                let presence = !filter.contains('*') && next(2) == 0;
                index.subscribe(slot, filter, presence).unwrap();
            }
            4 if !live.is_empty() => {
                let slot = live[next(live.len() as u64) as usize];
                index
                    .unsubscribe(slot, filters[next(filters.len() as u64) as usize])
                    .unwrap();
            }
            5 if step % 500 == 0 => {
                let entries: Vec<RebuildEntry> = live
                    .iter()
                    .map(|&slot| RebuildEntry {
                        id: index.id_of(slot).unwrap().to_owned(),
                        subscriptions: index.subscriptions(slot).unwrap(),
                    })
                    .collect();
                assert!(index.rebuild(entries.into_iter().map(Some)).is_empty());
                live = (0..live.len() as u32).collect();
            }
            _ => {}
        }
        assert_eq!(index.usage, index.recount(), "after step {step}");
    }
    let occupied = index.heap_bytes();
    for slot in live {
        index.disconnect(slot).unwrap();
    }
    assert_eq!(index.usage, Usage::default());
    assert!(index.heap_bytes() < occupied);
}
