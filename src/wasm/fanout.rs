//! `Engine.fanout*`: the WebSocket fan-out index of one object (see `crate::fanout`).
//!
//! Connections are named by slot, the index of their WebSocket in the facade's array. Slot
//! lists cross as `Uint32Array`; presence notices as a small structured value (rare events).

use super::engine::Engine;
use super::interop::argument_error;
use crate::error::Error;
use crate::fanout::{PresenceEvent, RateLimit, RebuildEntry};
use serde::Serialize;
use tsify::{Ts, Tsify};
use wasm_bindgen::prelude::*;

/// One presence message to send: `{ type: "presence", topic, event, id, state }` about the
/// connection in slot `subject`, to every slot in `recipients`.
#[derive(Debug, Clone, Serialize, Tsify)]
pub struct PresenceNotice {
    pub topic: String,
    /// "join" | "leave" | "update"
    pub event: String,
    pub subject: u32,
    pub recipients: Vec<u32>,
}

/// The presence messages an operation calls for (often none).
#[derive(Debug, Clone, Serialize, Tsify)]
pub struct PresencePlan {
    pub notices: Vec<PresenceNotice>,
}

/// `undefined` when there is nothing to announce (most subscriptions): no object to build.
fn presence_plan(events: Vec<PresenceEvent>) -> Result<Option<Ts<PresencePlan>>, Error> {
    if events.is_empty() {
        return Ok(None);
    }
    let notices = events
        .into_iter()
        .map(|event| PresenceNotice {
            topic: event.topic,
            event: event.kind.as_str().to_owned(),
            subject: event.subject_slot,
            recipients: event.recipients,
        })
        .collect();
    Ts::from_rust(&PresencePlan { notices }).map(Some).map_err(|e| argument_error("presence", &e))
}

/// A JS number as a whole number (timestamps from `Date.now()`, rate-limit settings): anything
/// not finite and positive counts as 0, fractions are cut, and float-to-int casts saturate, so
/// no input can panic.
fn whole_number(value: f64) -> u64 {
    if value.is_finite() && value > 0.0 {
        value as u64
    } else {
        0
    }
}

#[wasm_bindgen]
impl Engine {
    /// Sets `rateLimit` for every connection (`messages`, `perMs` whole numbers >= 1), or
    /// removes it when both are 0.
    #[wasm_bindgen(js_name = fanoutConfigure)]
    pub fn fanout_configure(&mut self, messages: f64, per_ms: f64) -> Result<(), Error> {
        if messages == 0.0 && per_ms == 0.0 {
            self.fanout.set_rate_limit(None);
            return Ok(());
        }
        let limit = RateLimit::new(whole_number(messages), whole_number(per_ms))?;
        self.fanout.set_rate_limit(Some(limit));
        Ok(())
    }

    /// Registers a new connection with its stable id; returns its slot.
    #[wasm_bindgen(js_name = fanoutConnect)]
    pub fn fanout_connect(&mut self, id: &str) -> Result<u32, Error> {
        Ok(self.fanout.connect(id)?)
    }

    /// Forgets a connection; returns the `leave` notices for its presence topics.
    #[wasm_bindgen(js_name = fanoutDisconnect)]
    pub fn fanout_disconnect(&mut self, slot: u32) -> Result<Option<Ts<PresencePlan>>, Error> {
        presence_plan(self.fanout.disconnect(slot)?)
    }

    #[wasm_bindgen(js_name = fanoutSubscribe)]
    pub fn fanout_subscribe(&mut self, slot: u32, filter: &str, presence: bool) -> Result<Option<Ts<PresencePlan>>, Error> {
        presence_plan(self.fanout.subscribe(slot, filter, presence)?)
    }

    #[wasm_bindgen(js_name = fanoutUnsubscribe)]
    pub fn fanout_unsubscribe(&mut self, slot: u32, filter: &str) -> Result<Option<Ts<PresencePlan>>, Error> {
        presence_plan(self.fanout.unsubscribe(slot, filter)?)
    }

    /// The connection's state changed: `update` notices for its presence topics.
    #[wasm_bindgen(js_name = fanoutStateChanged)]
    pub fn fanout_state_changed(&mut self, slot: u32) -> Result<Option<Ts<PresencePlan>>, Error> {
        presence_plan(self.fanout.state_changed(slot)?)
    }

    /// The slots a message published to `topic` goes to, without `except`.
    #[wasm_bindgen(js_name = fanoutPublish)]
    pub fn fanout_publish(&mut self, topic: &str, except: Option<u32>) -> Result<Vec<u32>, Error> {
        Ok(self.fanout.publish(topic, except)?)
    }

    /// All slots, the recipients of a topic, or the possible recipients of a pattern.
    #[wasm_bindgen(js_name = fanoutConnections)]
    pub fn fanout_connections(&mut self, filter: Option<String>) -> Result<Vec<u32>, Error> {
        Ok(self.fanout.connections(filter.as_deref())?)
    }

    #[wasm_bindgen(js_name = fanoutCount)]
    pub fn fanout_count(&mut self, filter: Option<String>) -> Result<u32, Error> {
        let count = self.fanout.count(filter.as_deref())?;
        Ok(u32::try_from(count).unwrap_or(u32::MAX))
    }

    /// The slots present on a concrete topic.
    #[wasm_bindgen(js_name = fanoutPresence)]
    pub fn fanout_presence(&self, topic: &str) -> Result<Vec<u32>, Error> {
        let members = self.fanout.presence(topic)?;
        Ok(members.into_iter().map(|member| member.slot).collect())
    }

    /// Whether the connection may send one more message at `now_ms`.
    #[wasm_bindgen(js_name = fanoutAdmit)]
    pub fn fanout_admit(&mut self, slot: u32, now_ms: f64) -> Result<bool, Error> {
        Ok(self.fanout.admit(slot, whole_number(now_ms))?)
    }

    /// `leave` notices for a connection missing from the index (its socket was already closing
    /// when the index was rebuilt), from the presence topics in its attachment.
    #[wasm_bindgen(js_name = fanoutDeparture)]
    pub fn fanout_departure(&mut self, id: &str, presence_topics: Vec<String>) -> Result<Option<Ts<PresencePlan>>, Error> {
        presence_plan(self.fanout.departure(id, &presence_topics)?)
    }

    /// Replaces the index after a wake. Entry `i` (slot `i`) is `ids[i]` with the next
    /// `counts[i]` subscriptions of `filters`/`presence` (1 = with presence). Returns the slots
    /// whose entry was refused (left empty): the facade closes those sockets.
    #[wasm_bindgen(js_name = fanoutRebuild)]
    pub fn fanout_rebuild(
        &mut self,
        ids: Vec<String>,
        counts: Vec<u32>,
        filters: Vec<String>,
        presence: Vec<u8>,
    ) -> Result<Vec<u32>, Error> {
        let entries = rebuild_entries(ids, &counts, filters, &presence)?;
        Ok(self.fanout.rebuild(entries).into_iter().map(|rejected| rejected.slot).collect())
    }
}

fn rebuild_entries(ids: Vec<String>, counts: &[u32], filters: Vec<String>, presence: &[u8]) -> Result<Vec<RebuildEntry>, Error> {
    let declared: u64 = counts.iter().map(|&count| u64::from(count)).sum();
    if ids.len() != counts.len() || filters.len() != presence.len() || declared != filters.len() as u64 {
        return Err(Error::argument(
            "rebuild",
            format!(
                "{} ids, {} counts summing to {declared}, {} filters and {} presence flags do not line up",
                ids.len(),
                counts.len(),
                filters.len(),
                presence.len()
            ),
        ));
    }
    let mut subscriptions = filters.into_iter().zip(presence.iter().map(|&flag| flag != 0));
    Ok(ids
        .into_iter()
        .zip(counts)
        .map(|(id, &count)| RebuildEntry {
            id,
            subscriptions: subscriptions.by_ref().take(usize::try_from(count).unwrap_or(usize::MAX)).collect(),
        })
        .collect())
}
