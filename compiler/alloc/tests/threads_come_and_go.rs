//! Threads that start, allocate, free and end, again and again, reuse each other's memory
//! instead of taking fresh memory each time. A test binary of its own, so that no other test
//! takes from the region while it measures.

#[global_allocator]
static GLOBAL: hostplan_alloc::Allocator = hostplan_alloc::Allocator;

#[test]
fn memory_freed_by_ended_threads_serves_the_threads_after_them() {
    let work = || {
        // About 1 MB in blocks of many classes, all freed before the thread ends.
        let strings: Vec<String> = (0..2_000).map(|index| "x".repeat(index % 1_000)).collect();
        strings.iter().map(String::len).sum::<usize>()
    };
    // The first rounds take what the rest reuse.
    for _ in 0..3 {
        std::thread::spawn(work).join().unwrap();
    }
    let before = hostplan_alloc::region_used();
    for _ in 0..100 {
        assert_eq!(std::thread::spawn(work).join().unwrap(), 999_000);
    }
    let grown = hostplan_alloc::region_used() - before;
    // Without reuse the 100 threads would take about 100 MB; each may still leave the rest
    // of one 64 KiB chunk unused.
    assert!(grown < 100 * 64 * 1024, "the region grew by {grown} bytes");
}
