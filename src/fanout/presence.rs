//! What the index tells the facade about presence. The core decides who must hear of a join,
//! leave or update; it never holds the connections' state values nor builds the JSON
//! `{ type: "presence", topic, event, id, state }`: the facade does, once per event.

/// Which presence change happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PresenceKind {
    Join,
    Leave,
    Update,
}

impl PresenceKind {
    /// The `event` field of the presence message.
    pub fn as_str(self) -> &'static str {
        match self {
            PresenceKind::Join => "join",
            PresenceKind::Leave => "leave",
            PresenceKind::Update => "update",
        }
    }
}

/// One presence message to send: to every slot in `recipients`, about the connection
/// `subject_id`. Events with nobody to tell are never produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresenceEvent {
    pub topic: String,
    pub kind: PresenceKind,
    /// The subject's slot, for the facade to find its state. After a disconnect the slot is
    /// already free in the index; the facade reads the state before it forgets the socket.
    pub subject_slot: u32,
    pub subject_id: String,
    /// Every connection a publish to `topic` would reach (wildcard subscribers included),
    /// except the subject.
    pub recipients: Vec<u32>,
}

/// A connection present on a topic, as listed by `presence(topic)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresenceMember {
    pub slot: u32,
    pub id: String,
}
