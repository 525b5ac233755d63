//! The core's time-zone logic (`scheduler::Zone`: local times, gaps and overlaps derived from a
//! bare "offset at instant" lookup) against chrono-tz's own, over every zone chrono-tz knows,
//! each offset change from 1970 to 2045 and the seconds around it; and cron's next occurrences
//! through `Zone` against croner driven by chrono-tz directly.
//!
//! It also keeps `ts-tests/fixtures/zone-cases.json` current: the instants around the
//! transitions of a few zones with chrono-tz's offsets, which the workerd suite asks the facade's
//! `Intl` lookup about (`ts-tests/zones.test.ts`). `WRITE_ZONE_CASES=1` rewrites it.

#[path = "support/chrono_tz_zones.rs"]
mod zones;

use chrono::{DateTime, MappedLocalTime, Offset, TimeZone, Utc};
use chrono_tz::{Tz, TZ_VARIANTS};
use croner::parser::{CronParser, Seconds};
use durable_core::scheduler::{CronSchedule, Resolved, Zone, ZoneLookup};
use std::sync::Arc;

const FROM: i64 = 0; // 1970-01-01
const UNTIL: i64 = 2_366_841_600; // 2045-01-01
const STEP: i64 = 3 * 86_400;

fn offset(tz: Tz, utc_seconds: i64) -> i32 {
    let at = DateTime::from_timestamp(utc_seconds, 0)
        .unwrap()
        .naive_utc();
    tz.offset_from_utc_datetime(&at).fix().local_minus_utc()
}

/// Every instant in [FROM, UNTIL) at which `tz`'s offset changes (the first second of the new one).
fn transitions(tz: Tz) -> Vec<i64> {
    let mut found = Vec::new();
    let mut at = FROM;
    let mut current = offset(tz, at);
    while at < UNTIL {
        let next = at + STEP;
        let there = offset(tz, next);
        if there != current {
            let (mut lo, mut hi) = (at, next);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if offset(tz, mid) == current {
                    lo = mid
                } else {
                    hi = mid
                }
            }
            found.push(hi);
            current = there;
        }
        at = next;
    }
    found
}

fn expected(tz: Tz, local_seconds: i64) -> Resolved {
    let local = DateTime::from_timestamp(local_seconds, 0)
        .unwrap()
        .naive_utc();
    let instant = |t: DateTime<Tz>| (t.timestamp(), t.offset().fix().local_minus_utc());
    match tz.from_local_datetime(&local) {
        MappedLocalTime::Single(t) => Resolved::Single(instant(t)),
        MappedLocalTime::Ambiguous(a, b) => Resolved::Ambiguous(instant(a), instant(b)),
        MappedLocalTime::None => Resolved::Gap,
    }
}

fn zone(name: &str) -> Zone {
    Zone::named(name, Arc::new(zones::ChronoTz)).unwrap()
}

#[test]
fn local_times_resolve_as_chrono_tz_resolves_them_in_every_zone() {
    let mut checked = 0usize;
    let (mut gaps, mut overlaps) = (0usize, 0usize);
    for tz in TZ_VARIANTS {
        let ours = zone(tz.name());
        for change in transitions(tz) {
            let before = offset(tz, change - 1);
            let after = offset(tz, change);
            // Wall-clock times on both sides of the change and inside its gap or overlap.
            let local_change = change + i64::from(after);
            let span = i64::from((after - before).abs()) + 2;
            for delta in [-span - 3_600, -span, -1, 0, 1, span / 2, span, span + 3_600] {
                for local in [local_change + delta, change + i64::from(before) + delta] {
                    let want = expected(tz, local);
                    match want {
                        Resolved::Gap => gaps += 1,
                        Resolved::Ambiguous(..) => overlaps += 1,
                        Resolved::Single(_) => {}
                    }
                    assert_eq!(
                        ours.resolve_local(local),
                        want,
                        "{} local {local}",
                        tz.name()
                    );
                    checked += 1;
                }
            }
        }
    }
    // The sweep is only worth something if it met many gaps and overlaps.
    assert!(
        checked > 100_000 && gaps > 10_000 && overlaps > 10_000,
        "{checked} {gaps} {overlaps}"
    );
}

#[test]
fn cron_through_the_lookup_matches_croner_on_chrono_tz() {
    let names = [
        "Europe/Paris",
        "America/New_York",
        "Australia/Lord_Howe",
        "Asia/Kolkata",
        "America/Sao_Paulo",
        "Pacific/Chatham",
        "Europe/London",
        "America/Santiago",
        "Asia/Tehran",
        "Africa/Casablanca",
        "Pacific/Apia",
        "America/Havana",
        "Antarctica/Troll",
        "Europe/Chisinau",
        "Asia/Gaza",
    ];
    let expressions = [
        "30 2 * * *",
        "0 1 * * *",
        "*/30 * * * *",
        "0 * * * *",
        "15 3 * * SUN",
        "0 0 1 * *",
        "45 23 * * *",
    ];
    let parser = CronParser::builder().seconds(Seconds::Optional).build();
    let lookup: Arc<dyn ZoneLookup> = Arc::new(zones::ChronoTz);
    for name in names {
        let tz: Tz = name.parse().unwrap();
        let around: Vec<i64> = transitions(tz)
            .into_iter()
            .filter(|t| (946_684_800..2_208_988_800).contains(t))
            .collect();
        for expression in expressions {
            let ours =
                CronSchedule::parse_in(expression, Some(name), Some(lookup.clone())).unwrap();
            let reference = parser.parse(expression).unwrap();
            for &change in &around {
                let mut at_ms = (change - 2 * 86_400) * 1_000;
                for _ in 0..6 {
                    let start = Utc
                        .timestamp_opt(at_ms.div_euclid(1_000), 0)
                        .unwrap()
                        .with_timezone(&tz);
                    // croner gives up on a few wall clocks (its search limit): so must we, alike.
                    let want = reference
                        .find_next_occurrence(&start, false)
                        .ok()
                        .map(|t| t.timestamp_millis());
                    let got = ours.next_after(at_ms);
                    assert_eq!(got, want, "{name} `{expression}` after {at_ms}");
                    let Some(got) = got else { break };
                    at_ms = got;
                }
            }
        }
    }
}

/// Zones whose rules are long settled, so that the runtime's tzdata and chrono-tz's agree.
const FIXTURE_ZONES: [&str; 12] = [
    "Europe/Paris",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Pacific/Auckland",
    "Pacific/Chatham",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "UTC",
];

#[test]
fn the_workerd_fixture_is_current() {
    let mut cases = Vec::new();
    for name in FIXTURE_ZONES {
        let tz: Tz = name.parse().unwrap();
        let changes: Vec<i64> = transitions(tz)
            .into_iter()
            .filter(|t| (946_684_800..2_208_988_800).contains(t))
            .collect();
        let mut instants: Vec<i64> = vec![0, 946_684_800, 1_767_225_600];
        for change in changes {
            instants.extend([change - 1, change, change + 1800]);
        }
        for at in instants {
            cases.push(format!("[\"{name}\",{at},{}]", offset(tz, at)));
        }
    }
    let text = format!("[\n{}\n]\n", cases.join(",\n"));
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/ts-tests/fixtures/zone-cases.json"
    );
    if std::env::var_os("WRITE_ZONE_CASES").is_some() {
        std::fs::write(path, &text).unwrap();
    }
    let stored = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        stored == text,
        "{path} is stale: rerun with WRITE_ZONE_CASES=1"
    );
}
