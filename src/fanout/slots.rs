//! Sets of connection slots, shaped for publish: members sit in one dense array, so planning
//! a publish to 1,000 subscribers is a copy of 1,000 integers. A position map makes insert and
//! remove O(1) (remove swaps the last member into the hole, so member order is not kept).
//! Also the per-publish de-duplication marks used when several subscriptions match.

use std::collections::HashMap;

/// A set of slots with O(1) insert/remove and a contiguous member list.
#[derive(Debug, Default, Clone)]
pub struct SlotSet {
    members: Vec<u32>,
    position: HashMap<u32, usize>,
}

impl SlotSet {
    /// Adds a slot; false when it was already a member.
    pub fn insert(&mut self, slot: u32) -> bool {
        if self.position.contains_key(&slot) {
            return false;
        }
        self.position.insert(slot, self.members.len());
        self.members.push(slot);
        true
    }

    /// Removes a slot; false when it was not a member.
    pub fn remove(&mut self, slot: u32) -> bool {
        let Some(index) = self.position.remove(&slot) else {
            return false;
        };
        self.members.swap_remove(index);
        if let Some(&moved) = self.members.get(index) {
            self.position.insert(moved, index);
        }
        true
    }

    pub fn members(&self) -> &[u32] {
        &self.members
    }

    pub fn len(&self) -> usize {
        self.members.len()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }
}

/// Marks "already planned in this publish" per slot without hashing or clearing: a slot is
/// marked when its stamp equals the current round. Sized to the slot table, so it costs four
/// bytes per slot (128 KiB at the platform's 32,768 connections).
#[derive(Debug, Default)]
pub struct SeenMarks {
    stamps: Vec<u32>,
    round: u32,
}

impl SeenMarks {
    /// Starts a new round covering slots `0..slot_count`.
    pub fn begin(&mut self, slot_count: usize) {
        if self.stamps.len() < slot_count {
            self.stamps.resize(slot_count, 0);
        }
        self.round = self.round.wrapping_add(1);
        if self.round == 0 {
            // After 2^32 rounds old stamps could equal the new round: clear them once.
            self.stamps.iter_mut().for_each(|stamp| *stamp = 0);
            self.round = 1;
        }
    }

    /// Slots the stamp table has room for (its heap is four bytes each).
    pub fn capacity(&self) -> usize {
        self.stamps.capacity()
    }

    /// True the first time a slot is seen in this round.
    pub fn first_visit(&mut self, slot: u32) -> bool {
        let round = self.round;
        match usize::try_from(slot)
            .ok()
            .and_then(|index| self.stamps.get_mut(index))
        {
            Some(stamp) if *stamp == round => false,
            Some(stamp) => {
                *stamp = round;
                true
            }
            // Outside the table: cannot happen for slots the index hands out; never drop it.
            None => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(set: &SlotSet) -> Vec<u32> {
        let mut members = set.members().to_vec();
        members.sort_unstable();
        members
    }

    #[test]
    fn insert_and_remove_keep_members_and_positions_consistent() {
        let mut set = SlotSet::default();
        for slot in [5, 1, 9, 3] {
            assert!(set.insert(slot));
        }
        assert!(!set.insert(9));
        assert!(set.remove(5)); // first member: the last one moves into its place
        assert!(!set.remove(5));
        assert_eq!(sorted(&set), vec![1, 3, 9]);
        assert!(set.remove(3)); // last member
        assert!(set.remove(1));
        assert_eq!(set.members(), &[9]);
        assert!(set.remove(9));
        assert!(set.is_empty());
    }

    #[test]
    fn many_removals_in_any_order_leave_the_right_members() {
        let mut set = SlotSet::default();
        for slot in 0..100 {
            set.insert(slot);
        }
        for slot in (0..100).filter(|slot| slot % 3 == 0) {
            assert!(set.remove(slot));
        }
        let expected: Vec<u32> = (0..100).filter(|slot| slot % 3 != 0).collect();
        assert_eq!(sorted(&set), expected);
        assert_eq!(set.len(), expected.len());
    }

    #[test]
    fn seen_marks_reset_each_round() {
        let mut seen = SeenMarks::default();
        seen.begin(4);
        assert!(seen.first_visit(2));
        assert!(!seen.first_visit(2));
        assert!(seen.first_visit(3));
        seen.begin(4);
        assert!(seen.first_visit(2));
    }

    #[test]
    fn seen_marks_survive_round_wraparound() {
        let mut seen = SeenMarks::default();
        seen.begin(2);
        seen.round = u32::MAX;
        assert!(seen.first_visit(1));
        seen.begin(2); // wraps to 0: stamps are cleared and the round restarts at 1
        assert!(seen.first_visit(1));
        assert!(!seen.first_visit(1));
    }
}
