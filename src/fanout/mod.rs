//! WebSocket fan-out: the topic index behind `this.sockets` and `Connection`.
//!
//! Owns topics and wildcard patterns ([`topic`]), the per-object index of connections and
//! their subscriptions with recipient planning ([`index`]), presence bookkeeping
//! ([`presence`]) and per-connection rate buckets ([`rate`]). Every operation is one
//! synchronous call that returns a plan (slots to send to, presence events to emit) for the
//! facade to carry out.
//!
//! Never touches SQL, the sockets, the clock or user state values: a socket's durable state
//! lives in its WebSocket attachment, and after a wake the facade rebuilds this index in one
//! call ([`FanoutIndex::rebuild`]) from `ctx.getWebSockets()` and their attachments. The index
//! is a cache bounded by the object's connections (at most 32,768) and their subscriptions.

pub mod error;
pub mod index;
pub mod presence;
pub mod rate;
mod slots;
pub mod topic;

pub use error::FanoutError;
pub use index::{FanoutIndex, RebuildEntry, RejectedEntry, NO_SLOT};
pub use presence::{PresenceEvent, PresenceKind, PresenceMember};
pub use rate::RateLimit;
pub use topic::MAX_TOPIC_BYTES;

/// The longest connection id accepted, in UTF-8 bytes (a UUID is 36).
pub const MAX_CONNECTION_ID_BYTES: usize = 128;
