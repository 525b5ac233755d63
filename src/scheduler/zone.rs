//! Time zones for cron, without a time-zone database in the core.
//!
//! The runtime already carries the IANA data (`Intl`), so the core only asks one question of
//! it: "what is the UTC offset of zone Z at instant T?" ([`ZoneLookup`]). Everything cron needs
//! beyond that (wall-clock times in a gap or an overlap) is derived here, in plain Rust, so the
//! cron math runs and is tested natively with any lookup (the tests compare it with chrono-tz).
//!
//! The lookup is passed in: [`super::CronSchedule::parse_in`] takes one; `parse` uses the one the
//! host installed with [`set_zone_lookup`] (the wasm build installs the facade's `Intl` lookup at
//! instantiation). It must be pure and synchronous: the same answer for the same question.

use chrono::{FixedOffset, MappedLocalTime, NaiveDate, NaiveDateTime, Offset, TimeZone};
use std::fmt;
use std::sync::{Arc, RwLock};

/// Answers "the UTC offset of `zone` at `utc_seconds`", in seconds east of UTC.
pub trait ZoneLookup: Send + Sync {
    /// `None` when `zone` is not a time zone the host knows.
    fn offset_seconds(&self, zone: &str, utc_seconds: i64) -> Option<i32>;
}

static INSTALLED: RwLock<Option<Arc<dyn ZoneLookup>>> = RwLock::new(None);

/// Installs the lookup that [`super::CronSchedule::parse`] resolves named zones with.
pub fn set_zone_lookup(lookup: Arc<dyn ZoneLookup>) {
    // A poisoned lock only means a panic elsewhere; the value inside is still whole.
    *INSTALLED.write().unwrap_or_else(|e| e.into_inner()) = Some(lookup);
}

pub(crate) fn installed_lookup() -> Option<Arc<dyn ZoneLookup>> {
    INSTALLED.read().unwrap_or_else(|e| e.into_inner()).clone()
}

/// Longest span between two offset changes that [`Zone`] resolves exactly: local times are
/// resolved from the offsets a day either side, so a zone must not change its offset twice
/// within two days. No IANA zone does at the instants cron can reach (1970 onwards).
const PROBE_SECONDS: i64 = 86_400;

/// A time zone for chrono (and so for croner): UTC, or a named zone answered by a lookup.
#[derive(Clone)]
pub struct Zone {
    named: Option<(Arc<str>, Arc<dyn ZoneLookup>)>,
}

impl fmt::Debug for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Zone {
    /// UTC, which needs no lookup.
    pub fn utc() -> Zone {
        Zone { named: None }
    }

    /// The zone `name` as `lookup` knows it; `None` when the lookup does not know it.
    pub fn named(name: &str, lookup: Arc<dyn ZoneLookup>) -> Option<Zone> {
        lookup.offset_seconds(name, 0)?;
        Some(Zone {
            named: Some((Arc::from(name), lookup)),
        })
    }

    /// The zone's name as given (`UTC` for the default).
    pub fn name(&self) -> &str {
        self.named.as_ref().map_or("UTC", |(name, _)| name)
    }

    /// Seconds east of UTC at `utc_seconds`.
    pub fn offset_at(&self, utc_seconds: i64) -> i32 {
        match &self.named {
            None => 0,
            // The zone was known when it was made and a lookup is pure, so `None` cannot
            // happen; UTC is the least surprising answer if a host breaks that promise.
            Some((name, lookup)) => lookup.offset_seconds(name, utc_seconds).unwrap_or(0),
        }
    }

    /// The instants (UTC seconds) whose wall-clock time in this zone is `local_seconds`
    /// (seconds since 1970-01-01T00:00 on the local wall clock): one; two in an overlap,
    /// earlier first; none in a gap.
    pub fn resolve_local(&self, local_seconds: i64) -> Resolved {
        let before = self.offset_at(local_seconds - PROBE_SECONDS);
        let after = self.offset_at(local_seconds + PROBE_SECONDS);
        let holds = |offset: i32| {
            let utc = local_seconds - i64::from(offset);
            (self.offset_at(utc) == offset).then_some((utc, offset))
        };
        match (
            holds(before),
            if after == before { None } else { holds(after) },
        ) {
            (Some(a), Some(b)) if a.0 != b.0 => {
                let (earlier, later) = if a.0 < b.0 { (a, b) } else { (b, a) };
                Resolved::Ambiguous(earlier, later)
            }
            (Some(one), _) | (None, Some(one)) => Resolved::Single(one),
            (None, None) => Resolved::Gap,
        }
    }

    fn offset(&self, seconds: i32) -> ZoneOffset {
        // |offset| < 24 h for every zone; clamp so a misbehaving lookup cannot panic chrono.
        let seconds = seconds.clamp(-86_399, 86_399);
        let fixed = FixedOffset::east_opt(seconds).unwrap_or_else(|| Offset::fix(&chrono::Utc));
        ZoneOffset {
            zone: self.clone(),
            fixed,
        }
    }
}

/// How a wall-clock time maps to instants: `(utc_seconds, offset_seconds)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolved {
    Single((i64, i32)),
    Ambiguous((i64, i32), (i64, i32)),
    Gap,
}

/// A [`Zone`]'s offset at one instant (chrono recovers the zone from it).
#[derive(Clone)]
pub struct ZoneOffset {
    zone: Zone,
    fixed: FixedOffset,
}

impl fmt::Debug for ZoneOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}{}", self.zone, self.fixed)
    }
}

impl Offset for ZoneOffset {
    fn fix(&self) -> FixedOffset {
        self.fixed
    }
}

impl TimeZone for Zone {
    type Offset = ZoneOffset;

    fn from_offset(offset: &ZoneOffset) -> Zone {
        offset.zone.clone()
    }

    fn offset_from_local_date(&self, local: &NaiveDate) -> MappedLocalTime<ZoneOffset> {
        match local.and_hms_opt(0, 0, 0) {
            Some(midnight) => self.offset_from_local_datetime(&midnight),
            None => MappedLocalTime::None,
        }
    }

    fn offset_from_local_datetime(&self, local: &NaiveDateTime) -> MappedLocalTime<ZoneOffset> {
        match self.resolve_local(local.and_utc().timestamp()) {
            Resolved::Single((_, offset)) => MappedLocalTime::Single(self.offset(offset)),
            Resolved::Ambiguous((_, earlier), (_, later)) => {
                MappedLocalTime::Ambiguous(self.offset(earlier), self.offset(later))
            }
            Resolved::Gap => MappedLocalTime::None,
        }
    }

    fn offset_from_utc_date(&self, utc: &NaiveDate) -> ZoneOffset {
        let seconds = utc
            .and_hms_opt(0, 0, 0)
            .map_or(0, |t| t.and_utc().timestamp());
        self.offset(self.offset_at(seconds))
    }

    fn offset_from_utc_datetime(&self, utc: &NaiveDateTime) -> ZoneOffset {
        self.offset(self.offset_at(utc.and_utc().timestamp()))
    }
}
