//! The facade's time-zone lookup (`Intl`, see `pkg-template/src/zones.ts`), installed once per
//! instance, so the core needs no time-zone database of its own.

use crate::scheduler::{set_zone_lookup, ZoneLookup};
use js_sys::Function;
use std::sync::Arc;
use wasm_bindgen::prelude::*;

/// `(zone: string, utcSeconds: number) => number`: seconds east of UTC, `NaN` for an unknown
/// zone. Pure and synchronous: it reads `Intl` and nothing else.
struct JsZones(Function);

// wasm32 without the atomics feature runs one thread per instance: the function never crosses
// threads, which is what the lookup's `Send + Sync` bound guards against elsewhere.
unsafe impl Send for JsZones {}
unsafe impl Sync for JsZones {}

impl ZoneLookup for JsZones {
    fn offset_seconds(&self, zone: &str, utc_seconds: i64) -> Option<i32> {
        let answer = self
            .0
            .call2(
                &JsValue::NULL,
                &JsValue::from_str(zone),
                &JsValue::from(utc_seconds as f64),
            )
            .ok()?;
        let seconds = answer.as_f64()?;
        (seconds.is_finite() && seconds.abs() < 86_400.0).then_some(seconds as i32)
    }
}

/// Installs the facade's lookup; the cron math asks it for offsets of named zones.
#[wasm_bindgen(js_name = setZoneLookup)]
pub fn install_zone_lookup(lookup: Function) {
    set_zone_lookup(Arc::new(JsZones(lookup)));
}
