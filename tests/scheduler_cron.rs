//! Cron next-occurrence math: hand-computed calendar and daylight-saving cases, and croner
//! checked against an independent brute-force matcher (minute by minute, UTC) written here.

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Timelike, Utc};
use durable_core::scheduler::{CronSchedule, ScheduleError};
use durable_core::ErrorCode;

#[path = "support/chrono_tz_zones.rs"]
mod zones;

fn utc(text: &str) -> i64 {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .timestamp_millis()
}

fn iso(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap()
        .to_rfc3339()
}

/// The next `count` occurrences of `expression` in `zone` after `start`, as UTC RFC 3339.
fn next_n(expression: &str, zone: Option<&str>, start: &str, count: usize) -> Vec<String> {
    zones::install();
    let schedule = CronSchedule::parse(expression, zone).unwrap();
    let mut at = utc(start);
    (0..count)
        .map(|_| {
            at = schedule.next_after(at).unwrap();
            iso(at)
        })
        .collect()
}

#[test]
fn month_ends_skip_months_without_the_day() {
    assert_eq!(
        next_n("0 0 31 * *", None, "2026-01-31T00:00:00Z", 3),
        [
            "2026-03-31T00:00:00+00:00",
            "2026-05-31T00:00:00+00:00",
            "2026-07-31T00:00:00+00:00"
        ]
    );
    assert_eq!(
        next_n("0 12 30 * *", None, "2026-01-30T12:00:00Z", 2),
        ["2026-03-30T12:00:00+00:00", "2026-04-30T12:00:00+00:00"]
    );
}

#[test]
fn the_last_day_of_february_follows_leap_years() {
    assert_eq!(
        next_n("0 0 L 2 *", None, "2026-01-01T00:00:00Z", 3),
        [
            "2026-02-28T00:00:00+00:00",
            "2027-02-28T00:00:00+00:00",
            "2028-02-29T00:00:00+00:00"
        ]
    );
}

#[test]
fn leap_day_runs_every_four_years() {
    assert_eq!(
        next_n("0 0 29 2 *", None, "2026-03-01T00:00:00Z", 2),
        ["2028-02-29T00:00:00+00:00", "2032-02-29T00:00:00+00:00"]
    );
    // 2100 is not a leap year: from 2096 the next leap day is 2104.
    assert_eq!(
        next_n("0 0 29 2 *", None, "2096-03-01T00:00:00Z", 1),
        ["2104-02-29T00:00:00+00:00"]
    );
}

#[test]
fn a_day_that_never_exists_never_occurs() {
    let schedule = CronSchedule::parse("0 0 30 2 *", None).unwrap();
    assert_eq!(schedule.next_after(utc("2026-01-01T00:00:00Z")), None);
}

#[test]
fn names_ranges_steps_lists_and_seconds() {
    // 2026-01-01 is a Thursday.
    assert_eq!(
        next_n("0 9 * JAN,JUL MON-FRI", None, "2026-01-01T09:00:00Z", 3),
        [
            "2026-01-02T09:00:00+00:00",
            "2026-01-05T09:00:00+00:00",
            "2026-01-06T09:00:00+00:00"
        ]
    );
    assert_eq!(
        next_n("10-20/5 */6 * * *", None, "2026-01-01T00:20:00Z", 4),
        [
            "2026-01-01T06:10:00+00:00",
            "2026-01-01T06:15:00+00:00",
            "2026-01-01T06:20:00+00:00",
            "2026-01-01T12:10:00+00:00"
        ]
    );
    assert_eq!(
        next_n("*/15 * * * * *", None, "2026-01-01T10:00:07Z", 2),
        ["2026-01-01T10:00:15+00:00", "2026-01-01T10:00:30+00:00"]
    );
    assert_eq!(
        next_n("@daily", None, "2026-01-01T10:00:00Z", 1),
        ["2026-01-02T00:00:00+00:00"]
    );
    // Sunday is 0 or 7.
    assert_eq!(
        next_n("0 0 * * 7", None, "2026-01-01T00:00:00Z", 1),
        next_n("0 0 * * SUN", None, "2026-01-01T00:00:00Z", 1)
    );
}

#[test]
fn sub_second_starts_still_find_the_next_occurrence_strictly_after() {
    let schedule = CronSchedule::parse("* * * * * *", None).unwrap();
    let t = utc("2026-01-01T10:00:07Z");
    assert_eq!(schedule.next_after(t + 999), Some(t + 1_000));
    assert_eq!(schedule.next_after(t - 1), Some(t));
}

#[test]
fn paris_daily_job_follows_the_wall_clock_across_dst() {
    // CET (UTC+1) until 2026-03-29 02:00, then CEST (UTC+2).
    assert_eq!(
        next_n("0 9 * * *", Some("Europe/Paris"), "2026-03-28T00:00:00Z", 2),
        ["2026-03-28T08:00:00+00:00", "2026-03-29T07:00:00+00:00"]
    );
}

#[test]
fn paris_gap_a_fixed_time_in_the_gap_runs_when_the_gap_ends() {
    // 02:30 does not exist on 2026-03-29 in Paris: the run happens at 03:00 CEST (01:00Z).
    assert_eq!(
        next_n(
            "30 2 * * *",
            Some("Europe/Paris"),
            "2026-03-28T12:00:00Z",
            2
        ),
        ["2026-03-29T01:00:00+00:00", "2026-03-30T00:30:00+00:00"]
    );
}

#[test]
fn paris_gap_interval_jobs_skip_the_missing_wall_clock_times() {
    // 01:30 CET = 00:30Z; 02:00 and 02:30 do not exist; 03:00 CEST = 01:00Z.
    assert_eq!(
        next_n(
            "*/30 * * * *",
            Some("Europe/Paris"),
            "2026-03-29T00:30:00Z",
            2
        ),
        ["2026-03-29T01:00:00+00:00", "2026-03-29T01:30:00+00:00"]
    );
}

#[test]
fn paris_overlap_a_fixed_time_runs_once() {
    // 02:30 happens at 00:30Z (CEST) and again at 01:30Z (CET) on 2026-10-25: once only.
    assert_eq!(
        next_n(
            "30 2 * * *",
            Some("Europe/Paris"),
            "2026-10-24T12:00:00Z",
            2
        ),
        ["2026-10-25T00:30:00+00:00", "2026-10-26T01:30:00+00:00"]
    );
}

#[test]
fn paris_overlap_interval_jobs_run_on_both_passes() {
    assert_eq!(
        next_n(
            "*/30 * * * *",
            Some("Europe/Paris"),
            "2026-10-25T00:00:00Z",
            4
        ),
        [
            "2026-10-25T00:30:00+00:00",
            "2026-10-25T01:00:00+00:00",
            "2026-10-25T01:30:00+00:00",
            "2026-10-25T02:00:00+00:00"
        ]
    );
}

#[test]
fn new_york_gap_and_overlap() {
    // 2026-03-08: 02:00 EST jumps to 03:00 EDT; 02:30 runs at 03:00 EDT = 07:00Z.
    assert_eq!(
        next_n(
            "30 2 * * *",
            Some("America/New_York"),
            "2026-03-07T12:00:00Z",
            2
        ),
        ["2026-03-08T07:00:00+00:00", "2026-03-09T06:30:00+00:00"]
    );
    // 2026-11-01: 01:30 happens at 05:30Z (EDT) and 06:30Z (EST): it runs once, at the first.
    assert_eq!(
        next_n(
            "30 1 * * *",
            Some("America/New_York"),
            "2026-10-31T12:00:00Z",
            2
        ),
        ["2026-11-01T05:30:00+00:00", "2026-11-02T06:30:00+00:00"]
    );
    // A weekly job keeps 09:00 local on both sides of the change.
    assert_eq!(
        next_n(
            "0 9 * * MON",
            Some("America/New_York"),
            "2026-10-27T00:00:00Z",
            2
        ),
        ["2026-11-02T14:00:00+00:00", "2026-11-09T14:00:00+00:00"]
    );
}

#[test]
fn errors_name_the_field_and_carry_stable_codes() {
    zones::install();
    let err = CronSchedule::parse("0 9 * * MOON", None).unwrap_err();
    assert_eq!(err.code(), "CRON_INVALID");
    assert!(err.to_string().contains("day of week"), "{err}");
    assert!(matches!(
        CronSchedule::parse("0 25 * * *", None),
        Err(ScheduleError::CronInvalid { field: "hour", .. })
    ));
    let err = CronSchedule::parse("0 9 * * *", Some("Europe/Pariss")).unwrap_err();
    assert_eq!(err.code(), "CRON_TIMEZONE");
    assert!(err.to_string().contains("Europe/Pariss"));
}

// ---- independent reference: a brute-force matcher, minute by minute, in UTC ----

/// One cron field as the set of values it allows.
fn field_values(text: &str, min: u32, max: u32, names: &[&str]) -> Vec<bool> {
    let mut allowed = vec![false; max as usize + 1];
    let value = |s: &str| -> u32 {
        names
            .iter()
            .position(|n| n.eq_ignore_ascii_case(s))
            .map(|i| i as u32 + min)
            .unwrap_or_else(|| s.parse().unwrap())
    };
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, s.parse::<u32>().unwrap()),
            None => (part, 1),
        };
        let (low, high) = if range == "*" {
            (min, max)
        } else if let Some((a, b)) = range.split_once('-') {
            (value(a), value(b))
        } else {
            (value(range), value(range))
        };
        let mut v = low;
        while v <= high {
            allowed[v as usize] = true;
            v += step;
        }
    }
    allowed
}

struct Reference {
    minutes: Vec<bool>,
    hours: Vec<bool>,
    days: Vec<bool>,
    months: Vec<bool>,
    weekdays: Vec<bool>,
    days_restricted: bool,
    weekdays_restricted: bool,
}

impl Reference {
    fn new(expression: &str) -> Self {
        let f: Vec<&str> = expression.split_whitespace().collect();
        const MONTHS: [&str; 12] = [
            "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
        ];
        const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
        let mut weekdays = field_values(f[4], 0, 7, &DAYS);
        if weekdays[7] {
            weekdays[0] = true;
        }
        Reference {
            minutes: field_values(f[0], 0, 59, &[]),
            hours: field_values(f[1], 0, 23, &[]),
            days: field_values(f[2], 1, 31, &[]),
            months: field_values(f[3], 1, 12, &MONTHS),
            weekdays,
            days_restricted: f[2] != "*",
            weekdays_restricted: f[4] != "*",
        }
    }

    fn matches(&self, t: DateTime<Utc>) -> bool {
        let day = self.days[t.day() as usize];
        let weekday = self.weekdays[t.weekday().num_days_from_sunday() as usize];
        // Vixie cron: when both day fields are restricted, either may match.
        let date_ok = if self.days_restricted && self.weekdays_restricted {
            day || weekday
        } else {
            day && weekday
        };
        self.minutes[t.minute() as usize]
            && self.hours[t.hour() as usize]
            && self.months[t.month() as usize]
            && date_ok
    }

    fn next_after(&self, after: DateTime<Utc>, horizon_minutes: i64) -> Option<DateTime<Utc>> {
        let first = after.with_second(0).unwrap() + chrono::Duration::minutes(1);
        (0..horizon_minutes)
            .map(|i| first + chrono::Duration::minutes(i))
            .find(|t| self.matches(*t))
    }
}

/// A small deterministic generator, so a failure names a reproducible expression.
struct Lcg(u64);
impl Lcg {
    fn below(&mut self, n: u32) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % u64::from(n)) as u32
    }
}

fn random_field(rng: &mut Lcg, min: u32, max: u32, allow_star_step: bool) -> String {
    let span = max - min + 1;
    match rng.below(6) {
        0 => "*".into(),
        1 => (min + rng.below(span)).to_string(),
        2 => {
            let a = min + rng.below(span);
            let b = a + rng.below(max - a + 1);
            format!("{a}-{b}")
        }
        3 if allow_star_step => format!("*/{}", 1 + rng.below(span.min(15))),
        4 => {
            let a = min + rng.below(span);
            let b = a + rng.below(max - a + 1);
            format!("{a}-{b}/{}", 1 + rng.below(4))
        }
        _ => {
            let mut values: Vec<u32> = (0..1 + rng.below(3))
                .map(|_| min + rng.below(span))
                .collect();
            values.sort_unstable();
            values.dedup();
            values
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(",")
        }
    }
}

#[test]
fn croner_agrees_with_a_brute_force_matcher_in_utc() {
    let mut rng = Lcg(0x5eed);
    let mut compared = 0;
    for _ in 0..150 {
        // Day fields avoid `*/n`: cron implementations disagree on whether it counts as
        // restricted for the day-of-month OR day-of-week rule, and that is not what is tested.
        let expression = [
            random_field(&mut rng, 0, 59, true),
            random_field(&mut rng, 0, 23, true),
            random_field(&mut rng, 1, 28, false),
            random_field(&mut rng, 1, 12, true),
            random_field(&mut rng, 0, 6, false),
        ]
        .join(" ");
        let start = Utc.from_utc_datetime(
            &NaiveDate::from_ymd_opt(2026, 1 + rng.below(12), 1 + rng.below(28))
                .unwrap()
                .and_hms_opt(rng.below(24), rng.below(60), rng.below(60))
                .unwrap(),
        );
        let reference = Reference::new(&expression);
        let schedule =
            CronSchedule::parse(&expression, None).unwrap_or_else(|e| panic!("{expression}: {e}"));
        let mut at = start;
        for _ in 0..3 {
            let expected = reference.next_after(at, 400 * 24 * 60);
            let got = schedule
                .next_after(at.timestamp_millis())
                .map(|ms| DateTime::<Utc>::from_timestamp_millis(ms).unwrap());
            assert_eq!(got, expected, "`{expression}` after {at}");
            let Some(next) = expected else { break };
            at = next;
            compared += 1;
        }
    }
    assert!(compared > 250, "only {compared} occurrences compared");
}
