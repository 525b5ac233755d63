//! The errors of the fan-out core. Each variant has a stable code that the facade surfaces as
//! `DurableCoreError.code`; a call that returns one of them has changed nothing.

use crate::error::ErrorCode;
use thiserror::Error;

/// Why a fan-out call was refused.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum FanoutError {
    /// A topic or subscription pattern is malformed (`reason` says how to fix it).
    #[error("invalid topic {topic:?}: {reason}")]
    TopicInvalid { topic: String, reason: &'static str },
    /// Presence is tracked per concrete topic, so it cannot be asked for on a wildcard pattern.
    #[error("presence needs a concrete topic, but {pattern:?} is a wildcard pattern: subscribe with presence to each topic instead")]
    PresenceOnPattern { pattern: String },
    /// The slot names no live connection (it was removed, or the index was rebuilt).
    #[error("no connection in slot {slot}: it was removed or the index was rebuilt")]
    UnknownConnection { slot: u32 },
    /// Another live connection already has this id.
    #[error("a connection with id {id:?} already exists: connection ids must be unique")]
    DuplicateConnection { id: String },
    /// A connection id must be a non-empty string of at most [`MAX_CONNECTION_ID_BYTES`] bytes.
    ///
    /// [`MAX_CONNECTION_ID_BYTES`]: super::MAX_CONNECTION_ID_BYTES
    #[error("invalid connection id {id:?}: {reason}")]
    InvalidConnectionId { id: String, reason: &'static str },
    /// `static sockets.rateLimit` must allow at least one message per at least one millisecond;
    /// `shown` is the value given (or why it could not be read).
    #[error("static sockets.rateLimit {shown}: messages and perMs must both be whole numbers from 1 to 4294967295")]
    RateLimitInvalid { shown: String },
}

impl ErrorCode for FanoutError {
    fn code(&self) -> &'static str {
        match self {
            FanoutError::TopicInvalid { .. } => "TOPIC_INVALID",
            FanoutError::PresenceOnPattern { .. } => "PRESENCE_ON_PATTERN",
            FanoutError::UnknownConnection { .. } => "CONNECTION_UNKNOWN",
            FanoutError::DuplicateConnection { .. } => "CONNECTION_DUPLICATE",
            FanoutError::InvalidConnectionId { .. } => "CONNECTION_ID_INVALID",
            // The facade raises the same code for the `static sockets` options only it uses.
            FanoutError::RateLimitInvalid { .. } => "SOCKETS_OPTIONS_INVALID",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_its_own_code() {
        let errors = [
            FanoutError::TopicInvalid {
                topic: "a//b".into(),
                reason: "empty segment",
            },
            FanoutError::PresenceOnPattern {
                pattern: "a/*".into(),
            },
            FanoutError::UnknownConnection { slot: 3 },
            FanoutError::DuplicateConnection { id: "x".into() },
            FanoutError::InvalidConnectionId {
                id: String::new(),
                reason: "empty",
            },
            FanoutError::RateLimitInvalid {
                shown: "{ messages: 0, perMs: 1 }".into(),
            },
        ];
        let mut codes: Vec<&str> = errors.iter().map(ErrorCode::code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), errors.len());
    }
}
