//! The zone lookup the native tests install: chrono-tz (a dev-dependency only) stands in for
//! the runtime's `Intl`, which the wasm build asks instead.

use chrono::{Offset, TimeZone};
use durable_core::scheduler::{set_zone_lookup, ZoneLookup};
use std::sync::Arc;

pub struct ChronoTz;

impl ZoneLookup for ChronoTz {
    fn offset_seconds(&self, zone: &str, utc_seconds: i64) -> Option<i32> {
        let tz: chrono_tz::Tz = zone.parse().ok()?;
        let at = chrono::DateTime::from_timestamp(utc_seconds, 0)?.naive_utc();
        Some(tz.offset_from_utc_datetime(&at).fix().local_minus_utc())
    }
}

/// Installs [`ChronoTz`] for `CronSchedule::parse` (idempotent: every test may call it).
#[allow(dead_code)] // zone_offsets.rs passes the lookup in instead
pub fn install() {
    set_zone_lookup(Arc::new(ChronoTz));
}
