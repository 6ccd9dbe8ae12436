//! Which blocks the region serves, and what happens when it is used up. A test binary of its
//! own, so that no other test uses the region up first.

#[global_allocator]
static GLOBAL: hostplan_alloc::Allocator = hostplan_alloc::Allocator;

#[test]
fn the_region_serves_small_blocks_until_it_is_used_up_then_mimalloc_serves_all() {
    let text = String::from("a string on the heap");
    assert!(hostplan_alloc::in_region(text.as_ptr()));
    assert!(hostplan_alloc::region_used() > 0);
    let large = vec![1u8; (1 << 20) + 1];
    assert!(!hostplan_alloc::in_region(large.as_ptr()));

    // Kept alive, so that nothing is reused: 24 MiB in blocks of 64 KiB fills the region.
    let filled: Vec<Vec<u8>> = (0..384u32)
        .map(|index| vec![(index % 251) as u8; 64 << 10])
        .collect();
    let in_region = filled
        .iter()
        .filter(|it| hostplan_alloc::in_region(it.as_ptr()))
        .count();
    assert!(in_region > 200, "{in_region} of 384 blocks in the region");
    assert!(in_region < 384, "the region never filled");
    let after = String::from("allocated after the region filled");
    assert!(!hostplan_alloc::in_region(after.as_ptr()));
    // Blocks of the region stay valid, and freeing them is harmless.
    for (index, block) in filled.iter().enumerate() {
        assert!(block.iter().all(|byte| *byte == (index % 251) as u8));
    }
    drop(filled);
    let again = String::from("allocated after the region's blocks were freed");
    assert!(!hostplan_alloc::in_region(again.as_ptr()));
    assert_eq!(text, "a string on the heap");
}
