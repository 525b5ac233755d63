//! `FanoutIndex::heap_bytes` against a counting allocator: the estimate the facade's byte
//! budget relies on must stay close to what the index really allocates, for the room shapes
//! that matter (many sockets on shared topics, unique topics per socket, wildcard patterns).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use durable_core::fanout::FanoutIndex;
use durable_core::hashing::SeededState;

struct Counting;

static LIVE_BYTES: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE_BYTES.fetch_add(layout.size() as isize, Ordering::SeqCst);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(layout.size() as isize, Ordering::SeqCst);
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE_BYTES.fetch_add(new_size as isize - layout.size() as isize, Ordering::SeqCst);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Builds an index with `build` and returns (allocated bytes, estimated bytes).
fn measure(build: impl FnOnce(&mut FanoutIndex)) -> (usize, usize) {
    let mut index = FanoutIndex::new(None, SeededState::from_words(&[1, 2, 3, 4]));
    let before = LIVE_BYTES.load(Ordering::SeqCst);
    build(&mut index);
    let allocated = (LIVE_BYTES.load(Ordering::SeqCst) - before) as usize;
    let estimated = index.heap_bytes();
    drop(index);
    (allocated, estimated)
}

fn assert_close(shape: &str, (allocated, estimated): (usize, usize)) {
    let ratio = estimated as f64 / allocated as f64;
    println!("{shape}: allocated {allocated} B, estimated {estimated} B, ratio {ratio:.2}");
    assert!(
        (0.75..=1.35).contains(&ratio),
        "{shape}: estimate {estimated} B for {allocated} B allocated (ratio {ratio:.2})"
    );
}

fn id(n: usize) -> String {
    format!("{n:08x}-0000-4000-8000-000000000000")
}

// One test function: the allocator counts every thread, so nothing may run beside it.
#[test]
fn heap_bytes_estimates() {
    the_estimate_follows_real_allocations();
    leaving_returns_the_estimate_to_its_tables();
}

fn the_estimate_follows_real_allocations() {
    assert_close(
        "50 sockets x 20 shared topics, 1 with presence",
        measure(|index| {
            for c in 0..50 {
                let slot = index.connect(&id(c)).unwrap();
                for t in 0..20 {
                    index
                        .subscribe(slot, &format!("room/r1/topic-{t}"), t == 0)
                        .unwrap();
                }
            }
        }),
    );
    assert_close(
        "2,000 sockets x 3 topics of their own",
        measure(|index| {
            for c in 0..2_000 {
                let slot = index.connect(&id(c)).unwrap();
                for t in 0..3 {
                    index
                        .subscribe(slot, &format!("user/{c}/inbox-{t}"), false)
                        .unwrap();
                }
            }
        }),
    );
    assert_close(
        "500 sockets x 4 patterns",
        measure(|index| {
            for c in 0..500 {
                let slot = index.connect(&id(c)).unwrap();
                for p in ["room/*", "room/**", "game/*/moves", "**"] {
                    index.subscribe(slot, p, false).unwrap();
                }
            }
        }),
    );
    assert_close(
        "1 socket x 200 topics",
        measure(|index| {
            let slot = index.connect(&id(0)).unwrap();
            for t in 0..200 {
                index.subscribe(slot, &format!("feed/{t}"), false).unwrap();
            }
        }),
    );
}

fn leaving_returns_the_estimate_to_its_tables() {
    // Tables keep their capacity when entries leave (so does the estimate); the strings, tree
    // nodes and slot sets go.
    let (allocated, estimated) = measure(|index| {
        let slots: Vec<u32> = (0..100).map(|c| index.connect(&id(c)).unwrap()).collect();
        for &slot in &slots {
            for t in 0..10 {
                index
                    .subscribe(slot, &format!("t/{t}/{slot}"), t % 2 == 0)
                    .unwrap();
            }
        }
        for &slot in &slots[..50] {
            index.disconnect(slot).unwrap();
        }
        for &slot in &slots[50..] {
            for t in 0..5 {
                index.unsubscribe(slot, &format!("t/{t}/{slot}")).unwrap();
            }
        }
    });
    assert_close(
        "100 sockets x 10 topics, then half gone and half of the rest unsubscribed",
        (allocated, estimated),
    );
}
