//! Independent pieces of work spread over the machine's cores, with results in a fixed order.
//!
//! The build's backends, estimate reports, hashing and file checks are independent of each
//! other, so they run on scoped threads; every result is put back at its item's index, so the
//! output does not depend on which thread ran what, or when.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

/// How many threads to use: the cores this process may run on (at least one).
pub(crate) fn threads() -> usize {
    static THREADS: OnceLock<usize> = OnceLock::new();
    *THREADS.get_or_init(|| std::thread::available_parallelism().map_or(1, usize::from))
}

/// `work` applied to every item, in the items' order. Items are handed out one at a time to
/// up to [`threads`] threads (the calling one among them), so a few large items and many
/// small ones balance; callers put the items they expect to be largest first.
pub(crate) fn map<T: Sync, R: Send>(items: &[T], work: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let workers = threads().min(items.len());
    if workers <= 1 {
        return items.iter().map(work).collect();
    }
    let next = AtomicUsize::new(0);
    let run = || {
        let mut done = Vec::new();
        loop {
            let index = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(index) else {
                return done;
            };
            done.push((index, work(item)));
        }
    };
    let mut done: Vec<(usize, R)> = std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..workers).map(|_| scope.spawn(run)).collect();
        let mut done = run();
        for helper in helpers {
            // A helper that panicked has already printed its message through the panic hook;
            // the panic is carried on to the caller, as it would be without threads.
            match helper.join() {
                Ok(mut more) => done.append(&mut more),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        done
    });
    done.sort_unstable_by_key(|(index, _)| *index);
    done.into_iter().map(|(_, result)| result).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_keep_the_order_of_the_items() {
        let items: Vec<u64> = (0..1000).collect();
        // Uneven work, so that threads finish out of order.
        let squares = super::map(&items, |it| {
            let spin = (it % 7) * 1000;
            (0..spin).fold(*it, |acc, _| std::hint::black_box(acc)) * it
        });
        assert_eq!(squares, items.iter().map(|it| it * it).collect::<Vec<_>>());
        assert_eq!(super::map(&[] as &[u64], |it| *it), Vec::<u64>::new());
    }

    #[test]
    fn a_panic_in_one_item_reaches_the_caller() {
        // Also a test of the unwinder the binary links (see build.rs): the panic unwinds the
        // thread that ran the item, and again the calling one.
        let items: Vec<u32> = (0..64).collect();
        let result = std::panic::catch_unwind(|| {
            super::map(&items, |it| {
                if *it == 40 {
                    panic!("item 40");
                }
                *it
            })
        });
        let panic = result.expect_err("the panic was carried on");
        assert_eq!(panic.downcast_ref::<&str>(), Some(&"item 40"));
    }
}
