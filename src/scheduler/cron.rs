//! Cron expressions and their next occurrence in a time zone, on top of `croner` and the
//! offsets of [`super::zone`] (the host's time-zone data, not a database in the core).
//!
//! Accepted: 5 fields (minute hour day-of-month month day-of-week) or 6 with a leading seconds
//! field; names (`MON`, `JAN`), ranges, steps and lists; `@daily`-style nicknames; croner's
//! extensions (`L`, `W`, `#`). Day-of-month and day-of-week combine with OR, as in Vixie cron.
//!
//! Daylight-saving rules (croner's, after the Open Cron Pattern Specification):
//! - a fixed-time expression (one value each for second, minute and hour, e.g. `30 2 * * *`)
//!   whose wall-clock time falls in a gap runs at the first instant after the gap (03:00);
//!   in an overlap it runs once, at the earlier of the two instants;
//! - any other expression (`*/15 * * * *`, `0 * * * *`) follows the wall clock: times in a gap
//!   are skipped, and times in an overlap run at both instants, as absolute time passes twice.

use super::zone::{installed_lookup, Zone, ZoneLookup};
use super::ScheduleError;
use chrono::{DateTime, TimeZone, Utc};
use croner::parser::{CronParser, Seconds};
use croner::Cron;

const FIVE_FIELDS: [&str; 5] = ["minute", "hour", "day of month", "month", "day of week"];
const SIX_FIELDS: [&str; 6] = [
    "second",
    "minute",
    "hour",
    "day of month",
    "month",
    "day of week",
];

/// A parsed cron expression with its time zone (UTC when none is given).
#[derive(Debug, Clone)]
pub struct CronSchedule {
    cron: Cron,
    zone: Zone,
}

impl CronSchedule {
    /// Parses `expression` and resolves `timezone` (an IANA name) with the lookup the host
    /// installed ([`super::set_zone_lookup`]), naming the field at fault. Without a lookup,
    /// only UTC (no `timezone`) is known.
    pub fn parse(expression: &str, timezone: Option<&str>) -> Result<Self, ScheduleError> {
        Self::parse_in(expression, timezone, installed_lookup())
    }

    /// [`CronSchedule::parse`] with the zone lookup passed in.
    pub fn parse_in(
        expression: &str,
        timezone: Option<&str>,
        lookup: Option<std::sync::Arc<dyn ZoneLookup>>,
    ) -> Result<Self, ScheduleError> {
        let zone = match timezone {
            None => Zone::utc(),
            Some(name) => lookup
                .and_then(|lookup| Zone::named(name, lookup))
                .ok_or_else(|| ScheduleError::CronTimezone {
                    zone: name.to_owned(),
                })?,
        };
        let cron = parse_naming_field(expression)?;
        Ok(CronSchedule { cron, zone })
    }

    /// The first occurrence strictly after `after_ms`, in milliseconds since the epoch; `None`
    /// when the expression never occurs again (within croner's search horizon, year 5000).
    pub fn next_after(&self, after_ms: i64) -> Option<i64> {
        // Occurrences fall on whole seconds: searching after the second that contains
        // `after_ms` finds the first one strictly later than `after_ms` itself.
        let whole_second = after_ms.div_euclid(1_000);
        let start: DateTime<Utc> = DateTime::from_timestamp(whole_second, 0)?;
        let local = start.with_timezone(&self.zone);
        let next = self.cron.find_next_occurrence(&local, false).ok()?;
        Some(next.timestamp_millis())
    }

    /// The time zone occurrences are computed in.
    pub fn zone(&self) -> &Zone {
        &self.zone
    }

    /// Whether a wall-clock instant matches the expression (used by tests and diagnostics).
    pub fn matches(&self, at_ms: i64) -> bool {
        let Some(instant) = self.zone.timestamp_millis_opt(at_ms).single() else {
            return false;
        };
        self.cron.is_time_matching(&instant).unwrap_or(false)
    }
}

fn parser() -> CronParser {
    CronParser::builder().seconds(Seconds::Optional).build()
}

fn invalid(expression: &str, field: &'static str, reason: impl Into<String>) -> ScheduleError {
    ScheduleError::CronInvalid {
        expression: expression.to_owned(),
        field,
        reason: reason.into(),
    }
}

/// croner reports what went wrong but not always where: when the whole expression fails,
/// each field is tried alone (the others set to `*`) to name the first one at fault.
fn parse_naming_field(expression: &str) -> Result<Cron, ScheduleError> {
    let trimmed = expression.trim();
    if trimmed.is_empty() {
        return Err(invalid(expression, "expression", "it is empty"));
    }
    let fields: Vec<&str> = trimmed.split_whitespace().collect();
    let names: &[&'static str] = match fields.len() {
        _ if trimmed.starts_with('@') => &[],
        5 => &FIVE_FIELDS,
        6 => &SIX_FIELDS,
        n => {
            return Err(invalid(
                expression,
                "expression",
                format!("expected 5 fields (minute hour day-of-month month day-of-week) or 6 with a leading seconds field, found {n}"),
            ))
        }
    };
    let whole_error = match parser().parse(trimmed) {
        Ok(cron) => return Ok(cron),
        Err(e) => e.to_string(),
    };
    for (position, name) in names.iter().enumerate() {
        let probe: Vec<&str> = fields
            .iter()
            .enumerate()
            .map(|(i, field)| if i == position { *field } else { "*" })
            .collect();
        if let Err(e) = parser().parse(&probe.join(" ")) {
            return Err(invalid(expression, name, e.to_string()));
        }
    }
    Err(invalid(expression, "expression", whole_error))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> i64 {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
            .unwrap()
            .timestamp_millis()
    }

    #[test]
    fn names_the_field_at_fault() {
        let cases = [
            ("61 * * * *", "minute"),
            ("* 24 * * *", "hour"),
            ("* * 0 * *", "day of month"),
            ("* * * 13 *", "month"),
            ("* * * * FUNDAY", "day of week"),
            ("99 * * * * *", "second"),
            ("* * * *", "expression"),
            ("", "expression"),
        ];
        for (expression, field) in cases {
            match CronSchedule::parse(expression, None) {
                Err(ScheduleError::CronInvalid { field: got, .. }) => {
                    assert_eq!(got, field, "{expression}")
                }
                other => panic!("{expression}: {other:?}"),
            }
        }
    }

    struct ChronoTz;
    impl ZoneLookup for ChronoTz {
        fn offset_seconds(&self, zone: &str, utc_seconds: i64) -> Option<i32> {
            use chrono::Offset;
            let tz: chrono_tz::Tz = zone.parse().ok()?;
            let at = DateTime::from_timestamp(utc_seconds, 0)?.naive_utc();
            Some(tz.offset_from_utc_datetime(&at).fix().local_minus_utc())
        }
    }

    #[test]
    fn unknown_zones_are_refused() {
        let lookup = || Some(std::sync::Arc::new(ChronoTz) as std::sync::Arc<dyn ZoneLookup>);
        let err =
            CronSchedule::parse_in("0 9 * * *", Some("Mars/Olympus_Mons"), lookup()).unwrap_err();
        assert_eq!(err.code(), "CRON_TIMEZONE");
        assert!(CronSchedule::parse_in("0 9 * * *", Some("Europe/Paris"), lookup()).is_ok());
        // Without a lookup only UTC is known: a named zone is refused, never taken for UTC.
        let err = CronSchedule::parse_in("0 9 * * *", Some("Europe/Paris"), None).unwrap_err();
        assert_eq!(err.code(), "CRON_TIMEZONE");
        assert!(CronSchedule::parse_in("0 9 * * *", None, None).is_ok());
    }

    #[test]
    fn next_is_strictly_after_even_within_the_same_second() {
        let cron = CronSchedule::parse("0 9 * * *", None).unwrap();
        let nine = utc(2026, 3, 2, 9, 0, 0);
        assert_eq!(cron.next_after(nine - 1), Some(nine));
        assert_eq!(cron.next_after(nine), Some(nine + 86_400_000));
        assert_eq!(cron.next_after(nine + 500), Some(nine + 86_400_000));
    }
}
