//! The allocator as a test binary's global allocator: everything the standard library does
//! here allocates through it, from several threads at once, with blocks freed by other
//! threads than the ones that allocated them.

use std::collections::BTreeMap;
use std::sync::mpsc;

#[global_allocator]
static GLOBAL: hostplan_alloc::Allocator = hostplan_alloc::Allocator;

/// A small deterministic generator, so that every run exercises the same sizes.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

fn text(seed: u64, length: usize) -> String {
    (0..length)
        .map(|index| char::from(b'a' + ((seed as usize + index) % 26) as u8))
        .collect()
}

#[test]
fn threads_allocate_free_and_hand_blocks_to_each_other_without_mixing_them_up() {
    let (sender, receiver) = mpsc::channel::<(u64, String, Vec<u64>)>();
    let workers: Vec<_> = (0..4u64)
        .map(|worker| {
            let sender = sender.clone();
            std::thread::spawn(move || {
                let mut random = Lcg(worker + 1);
                let mut kept: BTreeMap<u64, String> = BTreeMap::new();
                for round in 0..5_000u64 {
                    let length = match random.next() % 10 {
                        0 => (random.next() % 40_000) as usize,
                        1..=3 => (random.next() % 2_000) as usize,
                        _ => (random.next() % 100) as usize,
                    };
                    let seed = random.next();
                    let value = text(seed, length);
                    match random.next() % 4 {
                        // Sent to the main thread, which checks and frees it.
                        0 => {
                            let numbers: Vec<u64> = (0..length as u64 % 500).collect();
                            sender.send((seed, value, numbers)).unwrap();
                        }
                        // Kept for a while, then checked and freed here.
                        1 | 2 => {
                            if let Some(old) = kept.insert(round % 97, value) {
                                assert!(old.bytes().all(|byte| byte.is_ascii_lowercase()));
                            }
                        }
                        // Grown and shrunk in place or moved, then freed at once.
                        _ => {
                            let mut grown = value;
                            grown.push_str(&text(seed + 1, length / 2 + 1));
                            grown.shrink_to_fit();
                            assert_eq!(grown.len(), length + length / 2 + 1);
                            assert_eq!(&grown[..length], text(seed, length));
                        }
                    }
                }
                for (_, value) in kept {
                    assert!(value.bytes().all(|byte| byte.is_ascii_lowercase()));
                }
            })
        })
        .collect();
    drop(sender);
    let mut received = BTreeMap::new();
    for (seed, value, numbers) in receiver {
        assert_eq!(value, text(seed, value.len()));
        assert!(numbers
            .iter()
            .enumerate()
            .all(|(index, number)| index as u64 == *number));
        // Some are kept past the workers' end, so their frees come from this thread.
        if seed % 3 == 0 {
            received.insert(seed, value);
        }
    }
    for worker in workers {
        worker.join().unwrap();
    }
    for (seed, value) in received {
        assert_eq!(value, text(seed, value.len()));
    }
}
