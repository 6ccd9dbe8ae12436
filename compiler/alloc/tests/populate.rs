//! Backing the region with memory ahead of use, on another thread. A test binary of its own,
//! so that the region's first megabytes are this test's alone.

#[global_allocator]
static GLOBAL: hostplan_alloc::Allocator = hostplan_alloc::Allocator;

const HUGE_PAGE: usize = 2 << 20;
const PAGE: usize = 4096;

/// How many of the `len` bytes from `start` (page-aligned) are backed by memory.
fn resident(start: usize, len: usize) -> usize {
    let mut pages = vec![0u8; len.div_ceil(PAGE)];
    // SAFETY: the range is part of the region's mapping, and `pages` has one byte per page of
    // it, as mincore(2) writes.
    let done = unsafe { libc::mincore(start as *mut libc::c_void, len, pages.as_mut_ptr()) };
    assert_eq!(done, 0, "mincore failed");
    pages.iter().filter(|it| *it & 1 == 1).count() * PAGE
}

#[test]
fn populating_backs_the_region_without_touching_blocks_in_use() {
    let first = String::from("the first block of the process");
    assert!(hostplan_alloc::in_region(first.as_ptr()));
    // The region starts on a huge page boundary, and the first blocks lie in its first chunk.
    let base = first.as_ptr() as usize & !(HUGE_PAGE - 1);
    let before = resident(base + HUGE_PAGE, 2 * HUGE_PAGE);
    assert!(before < 2 * HUGE_PAGE, "already backed: {before} bytes");

    let populating = std::thread::spawn(|| hostplan_alloc::populate(3 * HUGE_PAGE));
    // Blocks allocated, written and read while the other thread populates keep their bytes.
    let blocks: Vec<Vec<u8>> = (0..2_000u32)
        .map(|index| vec![(index % 251) as u8; 64 + (index as usize * 7) % 1_500])
        .collect();
    let populated = populating.join().expect("the thread ran");
    for (index, block) in blocks.iter().enumerate() {
        assert!(block.iter().all(|byte| *byte == (index % 251) as u8));
    }
    assert_eq!(first, "the first block of the process");
    if populated {
        assert_eq!(resident(base, 3 * HUGE_PAGE), 3 * HUGE_PAGE);
    } else {
        // Kernels before 5.14 decline; the pages are then backed when first used, as before.
        eprintln!("this kernel does not populate on advice; skipped the residency check");
    }
}
