//! The topic index of one Durable Object: which connection (by slot) is subscribed to what,
//! with presence flags and rate buckets, and the recipient planning built on it.
//!
//! Lookups by shape:
//! - concrete subscriptions sit in a hash map `topic -> SlotSet`: a publish to a topic with
//!   1,000 subscribers and no matching wildcard is one lookup plus a copy of 1,000 u32;
//! - wildcard subscriptions are grouped by pattern string (`pattern -> SlotSet`) and each
//!   distinct pattern is matched against the published topic. Rooms use few distinct patterns
//!   however many connections hold them, so this list beats a segment trie in the typical case
//!   (see `publish_cost` in the tests for the numbers);
//! - when more than one set matches, recipients are de-duplicated with per-slot stamps.
//!
//! Slots: the index hands out slots (`connect` returns one); the facade keeps its WebSocket at
//! that index of a JS array. A removed connection's slot becomes a hole that the next `connect`
//! reuses (latest freed first), so the array never needs compaction or swaps and a slot stays
//! valid for as long as its connection lives. `rebuild` assigns slot = position in its input.
//!
//! This module never touches SQL or the sockets themselves, and never sees state values.

use std::collections::BTreeMap;
use std::mem::size_of;

use super::presence::{PresenceEvent, PresenceKind, PresenceMember};
use super::rate::{RateLimit, TokenBucket};
use super::slots::{SeenMarks, SlotSet};
use super::topic::{is_wildcard, literal_segments, parse_filter, parse_topic, Filter, Pattern};
use super::{FanoutError, MAX_CONNECTION_ID_BYTES};
use crate::hashing::{SeededMap, SeededState};

/// The `subject_slot` of an event about a connection the index does not hold.
pub const NO_SLOT: u32 = u32::MAX;

/// One live connection.
#[derive(Debug)]
struct Connection {
    id: String,
    /// Subscription string -> presence flag, sorted so `topics` reads predictably.
    subscriptions: BTreeMap<String, bool>,
    bucket: TokenBucket,
}

/// Subscribers of one concrete topic.
#[derive(Debug, Default)]
struct TopicSubscribers {
    all: SlotSet,
    /// The subset subscribed with `{ presence: true }`.
    present: SlotSet,
}

/// Subscribers of one wildcard pattern.
#[derive(Debug)]
struct PatternSubscribers {
    pattern: Pattern,
    all: SlotSet,
}

/// Heap bytes charged on top of the strings and the top-level tables, from the shapes of the
/// containers; `tests/fanout_memory.rs` holds them to a counting allocator.
///
/// A slot-set member: 4 bytes in `members` plus a 16-byte `(u32, usize)` bucket and its
/// control byte in `position`, at the load their growth policy leaves on average.
const SLOT_MEMBER_BYTES: usize = size_of::<u32>() * 3 / 2 + (size_of::<(u32, usize)>() + 1) * 3 / 2;
/// The smallest allocations of a topic's or pattern's `all` set (a 4-slot vector and a
/// 4-bucket table), charged once per topic or pattern; `present` sets are charged per member.
const SLOT_SET_BASE_BYTES: usize = 4 * size_of::<u32>() + 4 * size_of::<(u32, usize)>() + 4 + 16;
const PRESENT_MEMBER_BYTES: usize = SLOT_MEMBER_BYTES * 3 / 2;
/// A B-tree node of a connection's subscriptions: 11 `(String, bool)` slots and a header; an
/// internal node adds 12 child pointers.
const BTREE_LEAF_BYTES: usize = 11 * (size_of::<String>() + 1) + 2 * size_of::<usize>();
const BTREE_INTERNAL_BYTES: usize = BTREE_LEAF_BYTES + 12 * size_of::<usize>();

/// Heap bytes of a connection's subscription map of `entries` entries: one leaf up to 11, then
/// leaves about two-thirds full under internal nodes.
fn btree_bytes(entries: usize) -> usize {
    match entries {
        0 => 0,
        1..=11 => BTREE_LEAF_BYTES,
        _ => {
            let leaves = entries.div_ceil(8);
            leaves * BTREE_LEAF_BYTES + leaves.div_ceil(8) * BTREE_INTERNAL_BYTES
        }
    }
}

/// What the index holds beyond its top-level tables, kept up to date by every change so that
/// [`FanoutIndex::heap_bytes`] costs O(1) however large the room.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Usage {
    /// Bytes of every string the index owns: ids (twice: the connection and `slot_by_id`),
    /// subscription strings (the connection's map and the topic's or pattern's key) and the
    /// parsed segments of patterns.
    text_bytes: usize,
    /// Entries of the connections' subscription maps (= members of `all` sets).
    subscriptions: usize,
    /// Members of `present` sets.
    present: usize,
    /// Σ [`btree_bytes`] over the connections' subscription maps.
    btree_bytes: usize,
}

/// What a parsed pattern owns on the heap: its segment vector and literal segments.
fn pattern_bytes(pattern: &Pattern) -> usize {
    let segments = pattern.segments();
    let literals: usize = segments
        .iter()
        .map(|segment| match segment {
            super::topic::Segment::Literal(text) => text.len(),
            _ => 0,
        })
        .sum();
    segments.len().next_power_of_two().max(4) * size_of::<super::topic::Segment>() + literals
}

/// Heap bytes of a hash table with `capacity` usable entries of `entry` bytes (hashbrown:
/// power-of-two buckets at 7/8 load, one control byte per bucket plus a group).
fn table_bytes(capacity: usize, entry: usize) -> usize {
    if capacity == 0 {
        return 0;
    }
    let buckets = (capacity * 8 / 7).next_power_of_two();
    buckets * (entry + 1) + 16
}

/// A connection as found in a socket's attachment after a wake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RebuildEntry {
    pub id: String,
    /// (topic or pattern, presence)
    pub subscriptions: Vec<(String, bool)>,
}

/// An entry `rebuild` could not restore. Its slot stays empty: the facade closes that socket
/// (1011) and clears its array entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedEntry {
    pub slot: u32,
    pub error: FanoutError,
}

/// The fan-out index of one object: a cache, rebuilt from the sockets' attachments after a wake.
///
/// Memory is bounded by the connections (the platform allows 32,768 per object) and their
/// subscriptions: per connection its id and subscription strings; per subscription one entry in
/// a topic's slot set (about 24 bytes); plus 4 bytes per slot for de-duplication. A topic or
/// pattern entry is dropped as soon as its last subscriber leaves.
///
/// The maps keyed by ids, topics and patterns hash with a secret seed ([`SeededState`]), so
/// that chosen names cannot pile into one bucket.
#[derive(Debug)]
#[cfg_attr(not(target_arch = "wasm32"), derive(Default))]
pub struct FanoutIndex {
    /// Indexed by slot; `None` is a hole left by a removed connection.
    connections: Vec<Option<Connection>>,
    free_slots: Vec<u32>,
    slot_by_id: SeededMap<String, u32>,
    exact: SeededMap<String, TopicSubscribers>,
    patterns: SeededMap<String, PatternSubscribers>,
    rate_limit: Option<RateLimit>,
    seen: SeenMarks,
    usage: Usage,
}

impl FanoutIndex {
    /// An empty index; `rate_limit` applies to every connection's `admit`, `hasher` keys its maps.
    pub fn new(rate_limit: Option<RateLimit>, hasher: SeededState) -> Self {
        FanoutIndex {
            connections: Vec::new(),
            free_slots: Vec::new(),
            slot_by_id: SeededMap::with_hasher(hasher),
            exact: SeededMap::with_hasher(hasher),
            patterns: SeededMap::with_hasher(hasher),
            rate_limit,
            seen: SeenMarks::default(),
            usage: Usage::default(),
        }
    }

    /// [`Usage`] counted from scratch, to check the running counts.
    #[cfg(test)]
    fn recount(&self) -> Usage {
        let mut usage = Usage::default();
        for connection in self.connections.iter().flatten() {
            usage.text_bytes += 2 * connection.id.len();
            usage.subscriptions += connection.subscriptions.len();
            usage.text_bytes += connection
                .subscriptions
                .keys()
                .map(String::len)
                .sum::<usize>();
            usage.btree_bytes += btree_bytes(connection.subscriptions.len());
        }
        for (topic, subscribers) in &self.exact {
            usage.text_bytes += topic.len();
            usage.present += subscribers.present.len();
        }
        for (pattern, subscribers) in &self.patterns {
            usage.text_bytes += pattern.len() + pattern_bytes(&subscribers.pattern);
        }
        usage
    }

    /// An estimate of the heap bytes this index holds, in O(1): the top-level tables by their
    /// capacity, and per connection, subscription, topic and pattern what `Usage` counts.
    /// Used by the facade's isolate-wide byte budget (`engineStats().handles`).
    pub fn heap_bytes(&self) -> usize {
        let usage = &self.usage;
        self.connections.capacity() * size_of::<Option<Connection>>()
            + self.free_slots.capacity() * size_of::<u32>()
            + self.seen.capacity() * size_of::<u32>()
            + table_bytes(self.slot_by_id.capacity(), size_of::<(String, u32)>())
            + table_bytes(
                self.exact.capacity(),
                size_of::<(String, TopicSubscribers)>(),
            )
            + table_bytes(
                self.patterns.capacity(),
                size_of::<(String, PatternSubscribers)>(),
            )
            + (self.exact.len() + self.patterns.len()) * SLOT_SET_BASE_BYTES
            + usage.text_bytes
            + usage.btree_bytes
            + usage.subscriptions * SLOT_MEMBER_BYTES
            + usage.present * PRESENT_MEMBER_BYTES
    }

    /// Changes the rate limit of every connection; buckets start over, full (a bucket's units
    /// mean something different under another limit).
    pub fn set_rate_limit(&mut self, rate_limit: Option<RateLimit>) {
        self.rate_limit = rate_limit;
        for connection in self.connections.iter_mut().flatten() {
            connection.bucket = TokenBucket::default();
        }
    }

    /// The number of live connections.
    pub fn len(&self) -> usize {
        self.slot_by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slot_by_id.is_empty()
    }

    /// One past the highest slot ever handed out since the last rebuild: the length the
    /// facade's socket array needs.
    pub fn slot_capacity(&self) -> usize {
        self.connections.len()
    }

    /// Adds a connection without subscriptions and returns its slot.
    pub fn connect(&mut self, id: &str) -> Result<u32, FanoutError> {
        check_connection_id(id)?;
        if self.slot_by_id.contains_key(id) {
            return Err(FanoutError::DuplicateConnection { id: id.to_owned() });
        }
        let connection = Connection {
            id: id.to_owned(),
            subscriptions: BTreeMap::new(),
            bucket: TokenBucket::default(),
        };
        self.usage.text_bytes += 2 * id.len();
        let slot = match self.free_slots.pop() {
            Some(slot) => {
                if let Some(hole) = self.connections.get_mut(slot_index(slot)) {
                    *hole = Some(connection);
                }
                slot
            }
            None => {
                // At most 32,768 connections per object: the count always fits a u32.
                let slot = u32::try_from(self.connections.len()).unwrap_or(u32::MAX);
                self.connections.push(Some(connection));
                slot
            }
        };
        self.slot_by_id.insert(id.to_owned(), slot);
        Ok(slot)
    }

    /// Removes a connection and all its subscriptions; returns the `leave` events for its
    /// presence topics (sent to the remaining subscribers).
    pub fn disconnect(&mut self, slot: u32) -> Result<Vec<PresenceEvent>, FanoutError> {
        let connection = self
            .connections
            .get_mut(slot_index(slot))
            .and_then(Option::take)
            .ok_or(FanoutError::UnknownConnection { slot })?;
        self.slot_by_id.remove(&connection.id);
        self.free_slots.push(slot);
        self.usage.text_bytes -= 2 * connection.id.len();
        self.usage.btree_bytes -= btree_bytes(connection.subscriptions.len());
        let mut events = Vec::new();
        for (filter, presence) in &connection.subscriptions {
            self.usage.subscriptions -= 1;
            self.usage.text_bytes -= filter.len();
            self.remove_from_sets(slot, filter);
            if *presence {
                self.push_event(
                    &mut events,
                    filter,
                    PresenceKind::Leave,
                    slot,
                    &connection.id,
                );
            }
        }
        Ok(events)
    }

    /// `leave` events for a connection the index does not hold: one whose socket was already
    /// closing when the index was rebuilt (the platform leaves closing sockets out of
    /// `getWebSockets()`, so a close that wakes the object finds its socket missing). The
    /// facade passes the presence topics from the socket's attachment; `subject_slot` is
    /// [`NO_SLOT`] in the events.
    pub fn departure(
        &mut self,
        id: &str,
        presence_topics: &[String],
    ) -> Result<Vec<PresenceEvent>, FanoutError> {
        check_connection_id(id)?;
        for topic in presence_topics {
            if let Filter::Wildcard(_) = parse_filter(topic)? {
                return Err(FanoutError::PresenceOnPattern {
                    pattern: topic.clone(),
                });
            }
        }
        // A live connection with this id is someone else now: only the others must hear it.
        let except = self.slot_of(id);
        let mut events = Vec::new();
        for topic in presence_topics {
            let segments: Vec<&str> = topic.split('/').collect();
            let recipients = self.recipients(topic, &segments, except);
            if !recipients.is_empty() {
                events.push(PresenceEvent {
                    topic: topic.clone(),
                    kind: PresenceKind::Leave,
                    subject_slot: NO_SLOT,
                    subject_id: id.to_owned(),
                    recipients,
                });
            }
        }
        Ok(events)
    }

    /// Subscribes a connection to a topic or pattern. Subscribing again only changes the
    /// presence flag: turning it on announces a `join`, turning it off a `leave`.
    pub fn subscribe(
        &mut self,
        slot: u32,
        filter: &str,
        presence: bool,
    ) -> Result<Vec<PresenceEvent>, FanoutError> {
        let parsed = parse_filter(filter)?;
        if presence && matches!(parsed, Filter::Wildcard(_)) {
            return Err(FanoutError::PresenceOnPattern {
                pattern: filter.to_owned(),
            });
        }
        let (was_present, id) = self.insert_subscription(slot, filter, parsed, presence)?;
        let mut events = Vec::new();
        match (was_present, presence) {
            (false, true) => self.push_event(&mut events, filter, PresenceKind::Join, slot, &id),
            (true, false) => self.push_event(&mut events, filter, PresenceKind::Leave, slot, &id),
            _ => {}
        }
        Ok(events)
    }

    /// Removes one subscription (a no-op when there is none); a presence subscription
    /// announces a `leave`.
    pub fn unsubscribe(
        &mut self,
        slot: u32,
        filter: &str,
    ) -> Result<Vec<PresenceEvent>, FanoutError> {
        parse_filter(filter)?;
        let connection = self.connection_mut(slot)?;
        let Some(was_present) = connection.subscriptions.remove(filter) else {
            return Ok(Vec::new());
        };
        let id = connection.id.clone();
        let left = connection.subscriptions.len();
        self.usage.subscriptions -= 1;
        self.usage.text_bytes -= filter.len();
        self.usage.btree_bytes = self.usage.btree_bytes + btree_bytes(left) - btree_bytes(left + 1);
        self.remove_from_sets(slot, filter);
        let mut events = Vec::new();
        if was_present {
            self.push_event(&mut events, filter, PresenceKind::Leave, slot, &id);
        }
        Ok(events)
    }

    /// The connection's state changed: an `update` event for each of its presence topics.
    pub fn state_changed(&mut self, slot: u32) -> Result<Vec<PresenceEvent>, FanoutError> {
        let connection = self.connection(slot)?;
        let id = connection.id.clone();
        let presence_topics: Vec<String> = connection
            .subscriptions
            .iter()
            .filter(|(_, presence)| **presence)
            .map(|(topic, _)| topic.clone())
            .collect();
        let mut events = Vec::new();
        for topic in &presence_topics {
            self.push_event(&mut events, topic, PresenceKind::Update, slot, &id);
        }
        Ok(events)
    }

    /// The slots a message published to `topic` goes to: subscribers of the topic itself and
    /// of every pattern matching it, each once, without `except`.
    pub fn publish(&mut self, topic: &str, except: Option<u32>) -> Result<Vec<u32>, FanoutError> {
        let segments = parse_topic(topic)?;
        Ok(self.recipients(topic, &segments, except))
    }

    /// Every live connection except `except`.
    pub fn broadcast(&self, except: Option<u32>) -> Vec<u32> {
        self.live_slots()
            .filter(|slot| Some(*slot) != except)
            .collect()
    }

    /// Without a filter, every live connection. With a topic, the connections a publish to it
    /// would reach. With a pattern, the connections that could receive a message published to
    /// some topic it matches (a subscription to a matching topic, or to an overlapping
    /// pattern). The pattern case scans every subscribed topic: meant for inspection, not for
    /// each message.
    pub fn connections(&mut self, filter: Option<&str>) -> Result<Vec<u32>, FanoutError> {
        let Some(filter) = filter else {
            return Ok(self.live_slots().collect());
        };
        let pattern = match parse_filter(filter)? {
            Filter::Exact => {
                let segments: Vec<&str> = filter.split('/').collect();
                return Ok(self.recipients(filter, &segments, None));
            }
            Filter::Wildcard(pattern) => pattern,
        };
        self.seen.begin(self.connections.len());
        let mut slots = Vec::new();
        let matching_topics = self
            .exact
            .iter()
            .filter(|(topic, _)| pattern.overlaps(&literal_segments(topic)))
            .map(|(_, subscribers)| &subscribers.all);
        let overlapping_patterns = self
            .patterns
            .values()
            .filter(|subscribers| pattern.overlaps(subscribers.pattern.segments()))
            .map(|subscribers| &subscribers.all);
        for set in matching_topics.chain(overlapping_patterns) {
            slots.extend(
                set.members()
                    .iter()
                    .copied()
                    .filter(|slot| self.seen.first_visit(*slot)),
            );
        }
        Ok(slots)
    }

    /// How many connections [`connections`](Self::connections) would list.
    pub fn count(&mut self, filter: Option<&str>) -> Result<usize, FanoutError> {
        match filter {
            None => Ok(self.len()),
            Some(_) => self.connections(filter).map(|slots| slots.len()),
        }
    }

    /// The slot of the connection with this id.
    pub fn slot_of(&self, id: &str) -> Option<u32> {
        self.slot_by_id.get(id).copied()
    }

    /// The id of the connection in this slot.
    pub fn id_of(&self, slot: u32) -> Option<&str> {
        self.connection(slot)
            .ok()
            .map(|connection| connection.id.as_str())
    }

    /// A connection's subscriptions, sorted: (topic or pattern, presence).
    pub fn subscriptions(&self, slot: u32) -> Result<Vec<(String, bool)>, FanoutError> {
        let connection = self.connection(slot)?;
        Ok(connection
            .subscriptions
            .iter()
            .map(|(filter, presence)| (filter.clone(), *presence))
            .collect())
    }

    /// The connections present on a concrete topic.
    pub fn presence(&self, topic: &str) -> Result<Vec<PresenceMember>, FanoutError> {
        if let Filter::Wildcard(_) = parse_filter(topic)? {
            return Err(FanoutError::PresenceOnPattern {
                pattern: topic.to_owned(),
            });
        }
        let Some(subscribers) = self.exact.get(topic) else {
            return Ok(Vec::new());
        };
        Ok(subscribers
            .present
            .members()
            .iter()
            .filter_map(|&slot| {
                self.id_of(slot).map(|id| PresenceMember {
                    slot,
                    id: id.to_owned(),
                })
            })
            .collect())
    }

    /// Whether the connection may send one more message now (always, without a rate limit).
    pub fn admit(&mut self, slot: u32, now_ms: u64) -> Result<bool, FanoutError> {
        let limit = self.rate_limit;
        let connection = self.connection_mut(slot)?;
        Ok(match limit {
            Some(limit) => connection.bucket.admit(&limit, now_ms),
            None => true,
        })
    }

    /// Replaces the whole index with the connections found after a wake; entry `i` gets slot
    /// `i`. No presence events: those connections had already joined. An entry with an invalid
    /// id, a duplicate id or an invalid subscription is left out whole, as a hole, and
    /// reported, so one bad attachment cannot keep the rest of the room from working. `None`
    /// is an entry whose attachment could not even be read: a hole as well. Rate buckets start
    /// full.
    pub fn rebuild(
        &mut self,
        entries: impl IntoIterator<Item = Option<RebuildEntry>>,
    ) -> Vec<RejectedEntry> {
        let mut fresh = FanoutIndex::new(self.rate_limit, *self.slot_by_id.hasher());
        let mut rejected = Vec::new();
        for (position, entry) in entries.into_iter().enumerate() {
            let slot = u32::try_from(position).unwrap_or(u32::MAX);
            let restored = match entry {
                Some(entry) => fresh.restore(slot, entry),
                None => Err(fresh.hole(
                    slot,
                    FanoutError::InvalidConnectionId {
                        id: String::new(),
                        reason: "its attachment could not be read",
                    },
                )),
            };
            if let Err(error) = restored {
                rejected.push(RejectedEntry { slot, error });
            }
        }
        *self = fresh;
        rejected
    }

    /// Restores one entry at the next slot, which is `slot` (a hole when it fails, with
    /// nothing of it kept). Never takes a free slot: that would break slot = position.
    fn restore(&mut self, slot: u32, entry: RebuildEntry) -> Result<(), FanoutError> {
        if let Err(error) = self.check_restorable(&entry) {
            return Err(self.hole(slot, error));
        }
        let RebuildEntry { id, subscriptions } = entry;
        self.usage.text_bytes += 2 * id.len();
        self.slot_by_id.insert(id.clone(), slot);
        self.connections.push(Some(Connection {
            id,
            subscriptions: BTreeMap::new(),
            bucket: TokenBucket::default(),
        }));
        for (filter, presence) in &subscriptions {
            // Validated above, so this cannot fail. No presence events: these joined before.
            self.insert_subscription(slot, filter, parse_filter(filter)?, *presence)?;
        }
        Ok(())
    }

    /// Leaves the next slot, which is `slot`, empty and free; returns why.
    fn hole(&mut self, slot: u32, error: FanoutError) -> FanoutError {
        self.connections.push(None);
        self.free_slots.push(slot);
        error
    }

    fn check_restorable(&self, entry: &RebuildEntry) -> Result<(), FanoutError> {
        check_connection_id(&entry.id)?;
        if self.slot_by_id.contains_key(&entry.id) {
            return Err(FanoutError::DuplicateConnection {
                id: entry.id.clone(),
            });
        }
        for (filter, presence) in &entry.subscriptions {
            if matches!(parse_filter(filter)?, Filter::Wildcard(_)) && *presence {
                return Err(FanoutError::PresenceOnPattern {
                    pattern: filter.clone(),
                });
            }
        }
        Ok(())
    }

    /// Records a subscription in the connection and in its topic's or pattern's set; returns
    /// whether it was already a presence subscription, and the connection's id.
    fn insert_subscription(
        &mut self,
        slot: u32,
        filter: &str,
        parsed: Filter,
        presence: bool,
    ) -> Result<(bool, String), FanoutError> {
        let connection = self.connection_mut(slot)?;
        let previous = connection.subscriptions.insert(filter.to_owned(), presence);
        let was_present = previous.unwrap_or(false);
        let id = connection.id.clone();
        let held = connection.subscriptions.len();
        let usage = &mut self.usage;
        if previous.is_none() {
            usage.subscriptions += 1;
            usage.text_bytes += filter.len();
            usage.btree_bytes = usage.btree_bytes + btree_bytes(held) - btree_bytes(held - 1);
        }
        match parsed {
            Filter::Exact => {
                let topic = self.exact.entry(filter.to_owned()).or_insert_with(|| {
                    usage.text_bytes += filter.len();
                    TopicSubscribers::default()
                });
                topic.all.insert(slot);
                if presence {
                    if topic.present.insert(slot) {
                        usage.present += 1;
                    }
                } else if topic.present.remove(slot) {
                    usage.present -= 1;
                }
            }
            Filter::Wildcard(pattern) => {
                self.patterns
                    .entry(filter.to_owned())
                    .or_insert_with(|| {
                        usage.text_bytes += filter.len() + pattern_bytes(&pattern);
                        PatternSubscribers {
                            pattern,
                            all: SlotSet::default(),
                        }
                    })
                    .all
                    .insert(slot);
            }
        }
        Ok((was_present, id))
    }

    fn connection(&self, slot: u32) -> Result<&Connection, FanoutError> {
        self.connections
            .get(slot_index(slot))
            .and_then(Option::as_ref)
            .ok_or(FanoutError::UnknownConnection { slot })
    }

    fn connection_mut(&mut self, slot: u32) -> Result<&mut Connection, FanoutError> {
        self.connections
            .get_mut(slot_index(slot))
            .and_then(Option::as_mut)
            .ok_or(FanoutError::UnknownConnection { slot })
    }

    fn live_slots(&self) -> impl Iterator<Item = u32> + '_ {
        self.connections
            .iter()
            .zip(0u32..)
            .filter_map(|(connection, slot)| connection.as_ref().map(|_| slot))
    }

    /// Drops a slot from the set of one subscription, and the set itself once empty.
    fn remove_from_sets(&mut self, slot: u32, filter: &str) {
        if is_wildcard(filter) {
            if let Some(subscribers) = self.patterns.get_mut(filter) {
                subscribers.all.remove(slot);
                if subscribers.all.is_empty() {
                    self.usage.text_bytes -= filter.len() + pattern_bytes(&subscribers.pattern);
                    self.patterns.remove(filter);
                }
            }
        } else if let Some(subscribers) = self.exact.get_mut(filter) {
            subscribers.all.remove(slot);
            if subscribers.present.remove(slot) {
                self.usage.present -= 1;
            }
            if subscribers.all.is_empty() {
                self.usage.text_bytes -= filter.len();
                self.exact.remove(filter);
            }
        }
    }

    fn push_event(
        &mut self,
        events: &mut Vec<PresenceEvent>,
        topic: &str,
        kind: PresenceKind,
        subject_slot: u32,
        subject_id: &str,
    ) {
        let segments: Vec<&str> = topic.split('/').collect();
        let recipients = self.recipients(topic, &segments, Some(subject_slot));
        if !recipients.is_empty() {
            events.push(PresenceEvent {
                topic: topic.to_owned(),
                kind,
                subject_slot,
                subject_id: subject_id.to_owned(),
                recipients,
            });
        }
    }

    /// Recipient planning for a validated concrete topic.
    fn recipients(&mut self, topic: &str, segments: &[&str], except: Option<u32>) -> Vec<u32> {
        let exact = self.exact.get(topic).map(|subscribers| &subscribers.all);
        let mut matched: Vec<&SlotSet> = self
            .patterns
            .values()
            .filter(|subscribers| subscribers.pattern.matches(segments))
            .map(|subscribers| &subscribers.all)
            .collect();
        let keep = |slot: &u32| Some(*slot) != except;
        match (exact, matched.len()) {
            (None, 0) => Vec::new(),
            // The common case: one set, so no de-duplication, just a filtered copy.
            (Some(only), 0) => only.members().iter().copied().filter(keep).collect(),
            (None, 1) => matched
                .iter()
                .flat_map(|set| set.members().iter().copied())
                .filter(keep)
                .collect(),
            (exact, _) => {
                matched.extend(exact);
                self.seen.begin(self.connections.len());
                let seen = &mut self.seen;
                let mut slots =
                    Vec::with_capacity(matched.iter().map(|set| set.len()).max().unwrap_or(0));
                for set in matched {
                    slots.extend(
                        set.members()
                            .iter()
                            .copied()
                            .filter(|slot| keep(slot) && seen.first_visit(*slot)),
                    );
                }
                slots
            }
        }
    }
}

fn slot_index(slot: u32) -> usize {
    usize::try_from(slot).unwrap_or(usize::MAX)
}

fn check_connection_id(id: &str) -> Result<(), FanoutError> {
    let reason = if id.is_empty() {
        "a connection id must not be empty"
    } else if id.len() > MAX_CONNECTION_ID_BYTES {
        "a connection id must be at most 128 bytes"
    } else {
        return Ok(());
    };
    Err(FanoutError::InvalidConnectionId {
        id: id.to_owned(),
        reason,
    })
}

#[cfg(test)]
#[path = "index_tests.rs"]
mod tests;
