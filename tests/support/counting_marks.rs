//! The facade's batch marks as a test double: a [`BatchMarks`] over a shared vector that
//! counts the marks the core reads. Shared by the scheduler's marks tests in tests/.

use durable_core::scheduler::{mark, BatchMarks};
use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;

/// `len` marks, all `FREE` at first (a read past them comes back short); clones share them, so
/// the test keeps one and hands the scheduler another.
#[derive(Clone)]
pub struct CountingMarks {
    marks: Rc<RefCell<Vec<u8>>>,
    read: Rc<Cell<usize>>,
}

impl CountingMarks {
    pub fn new(len: usize) -> Self {
        CountingMarks {
            marks: Rc::new(RefCell::new(vec![mark::FREE; len])),
            read: Rc::default(),
        }
    }

    /// Writes a mark, as the facade does around a handler.
    pub fn set(&self, index: usize, mark: u8) {
        self.marks.borrow_mut()[index] = mark;
    }

    pub fn get(&self, index: usize) -> u8 {
        self.marks.borrow()[index]
    }

    /// How many marks the core has read so far.
    pub fn marks_read(&self) -> usize {
        self.read.get()
    }
}

impl BatchMarks for CountingMarks {
    fn read(&self, start: u32, into: &mut [u8]) -> usize {
        let marks = self.marks.borrow();
        let from = marks.get(start as usize..).unwrap_or_default();
        let count = from.len().min(into.len());
        into[..count].copy_from_slice(&from[..count]);
        self.read.set(self.read.get() + count);
        count
    }

    fn write(&self, index: u32, mark: u8) {
        self.marks.borrow_mut()[index as usize] = mark;
    }
}

/// The marks as a list, as a failing assertion prints them.
impl fmt::Debug for CountingMarks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.marks.borrow().iter()).finish()
    }
}
