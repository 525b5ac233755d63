//! `Engine.fanout*`: the WebSocket fan-out index of one object (see `crate::fanout`).
//!
//! Connections are named by slot, the index of their WebSocket in the facade's array. Slot
//! lists cross as `Uint32Array` (a publish's recipients are the hot path: one copy of the
//! list, no object per recipient); everything else as typed values declared here (presence
//! notices, the attachments a rebuild reads, the rate-limit option).

use super::engine::Engine;
use super::interop::{argument_error, from_ts, ReadJs};
use crate::error::Error;
use crate::fanout::{FanoutError, PresenceEvent, RateLimit, RebuildEntry};
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

/// What the index needs of a connection's attachment to restore it after a wake. The facade's
/// attachment type extends this one, so these field names have one home.
#[derive(Debug, Clone, Tsify)]
pub struct IndexedConnection {
    /// The connection's stable id.
    pub id: String,
    /// [topic or pattern, 1 with presence or 0], in subscription order.
    #[tsify(type = "ReadonlyArray<readonly [string, 0 | 1]>")]
    pub subs: Vec<(String, u8)>,
}

/// `static sockets.rateLimit` as written: a burst of `messages`, refilled at `messages` per
/// `perMs` milliseconds.
#[derive(Debug, Clone, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct RateLimitOption {
    pub messages: f64,
    pub per_ms: f64,
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
    Ts::from_rust(&PresencePlan { notices })
        .map(Some)
        .map_err(|e| argument_error("presence", &e))
}

/// A JS number as a whole number (timestamps from `Date.now()`): anything
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
    /// Sets `static sockets.rateLimit` for every connection, or removes it (`undefined`). The
    /// option is checked here and nowhere else: `SOCKETS_OPTIONS_INVALID` for a bad value.
    #[wasm_bindgen(js_name = fanoutConfigure)]
    pub fn fanout_configure(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "RateLimitOption | undefined")] rate_limit: JsValue,
    ) -> Result<(), Error> {
        let limit = if rate_limit.is_undefined() {
            None
        } else {
            let option = RateLimitOption::read_js(&rate_limit).map_err(|e| {
                FanoutError::RateLimitInvalid {
                    shown: format!("({e})"),
                }
            })?;
            Some(RateLimit::new(option.messages, option.per_ms)?)
        };
        self.fanout.set_rate_limit(limit);
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
    pub fn fanout_subscribe(
        &mut self,
        slot: u32,
        filter: &str,
        presence: bool,
    ) -> Result<Option<Ts<PresencePlan>>, Error> {
        presence_plan(self.fanout.subscribe(slot, filter, presence)?)
    }

    #[wasm_bindgen(js_name = fanoutUnsubscribe)]
    pub fn fanout_unsubscribe(
        &mut self,
        slot: u32,
        filter: &str,
    ) -> Result<Option<Ts<PresencePlan>>, Error> {
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
    pub fn fanout_departure(
        &mut self,
        id: &str,
        presence_topics: Vec<String>,
    ) -> Result<Option<Ts<PresencePlan>>, Error> {
        presence_plan(self.fanout.departure(id, &presence_topics)?)
    }

    /// Replaces the index after a wake: entry `i` of `connections` gets slot `i`. Returns the
    /// slots whose entry was refused (left empty), an attachment of the wrong shape included:
    /// the facade closes those sockets, and the rest of the room works.
    #[wasm_bindgen(js_name = fanoutRebuild)]
    pub fn fanout_rebuild(&mut self, connections: Vec<Ts<IndexedConnection>>) -> Vec<u32> {
        let entries = connections.iter().map(|connection| {
            let IndexedConnection { id, subs } = from_ts(connection, "connections").ok()?;
            let subscriptions = subs
                .into_iter()
                .map(|(filter, presence)| (filter, presence != 0))
                .collect();
            Some(RebuildEntry { id, subscriptions })
        });
        self.fanout
            .rebuild(entries)
            .into_iter()
            .map(|rejected| rejected.slot)
            .collect()
    }
}
