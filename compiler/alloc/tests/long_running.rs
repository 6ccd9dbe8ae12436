//! After `long_running`, new blocks come from mimalloc, and blocks from before stay usable.
//! A test binary of its own, since the switch is for the whole process.

#[global_allocator]
static GLOBAL: hostplan_alloc::Allocator = hostplan_alloc::Allocator;

#[test]
fn after_the_switch_new_blocks_come_from_mimalloc_and_old_ones_stay_valid() {
    let mut before = String::from("allocated before the switch");
    assert!(hostplan_alloc::in_region(before.as_ptr()));
    hostplan_alloc::long_running();
    let after = String::from("allocated after the switch");
    assert!(!hostplan_alloc::in_region(after.as_ptr()));
    // Growing a block of the region moves it out to mimalloc.
    before.push_str(&"x".repeat(1_000));
    assert!(!hostplan_alloc::in_region(before.as_ptr()));
    assert!(before.starts_with("allocated before the switch"));
    assert_eq!(after, "allocated after the switch");
    // Nor is the region populated ahead any more.
    assert!(!hostplan_alloc::populate(2 << 20));
}
