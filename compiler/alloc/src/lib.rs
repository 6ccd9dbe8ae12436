//! The `hostplan` binary's global allocator.
//!
//! A command such as `hostplan build` on the national example runs for a few milliseconds,
//! allocates about 6 MB in 49,000 blocks, and never has more than 1.9 MB live at once. On the
//! virtual machines these commands run on, the largest single cost of such a process was the
//! kernel handing it fresh memory: mimalloc gives every thread its own segment and every size
//! class its own 64 KiB page (512 KiB for medium sizes), so those few megabytes were spread
//! over about 14 MiB of address space, and backed by 2 MiB transparent huge pages the kernel
//! zeroed seven of them. This allocator packs the blocks of every thread densely into one
//! region, so the same build touches two.
//!
//! How it works:
//!
//! - At the first allocation it reserves one region of address space (16 MiB, not committed:
//!   the kernel backs each page when it is first touched) and advises huge pages for it.
//! - Sizes are rounded up to one of 64 classes: multiples of 16 bytes up to 256, then four
//!   classes per doubling up to 1 MiB, so rounding wastes at most a fifth of a block.
//! - A freed block goes on the freeing thread's list for its class, and that thread's next
//!   allocation of the class takes it back. The lists belong to one thread each, so there are
//!   no locks; a block freed by another thread than the one that allocated it simply joins
//!   the other thread's list.
//! - A thread with an empty list carves blocks from a 64 KiB chunk of its own, taken from
//!   the region with one atomic addition; blocks of 16 KiB and more are taken from the region
//!   directly.
//! - A list is handed on when its thread ends, or once its thread has freed 256 KiB onto it,
//!   to the next thread that runs out of blocks of its class: threads started again and
//!   again, and blocks that one thread allocates and another frees, do not keep taking fresh
//!   memory.
//! - Blocks over 1 MiB, alignments over 16 bytes, everything once the region is used up (a
//!   large build, whose heap mimalloc's per-page lists suit better), and everything after
//!   [`long_running`] go to mimalloc. A block's address says which allocator owns it, so
//!   every free reaches the right one.
//!
//! - [`populate`] asks the kernel to back the region's first megabytes ahead of use, from a
//!   thread that would otherwise be idle (`hostplan build` asks for the 4 MiB a national plan
//!   takes), so that zeroing those pages, the largest single cost of a short build, overlaps
//!   the work of the thread that will use them.
//!
//! What it gives up: the region's memory is never returned to the system before the process
//! ends, a list of one class never serves another, and the rest of a thread's chunk is lost
//! when the thread ends. That suits a command that runs for milliseconds or seconds; the
//! language server, which runs for hours, calls [`long_running`] first and so allocates with
//! mimalloc alone.
//!
//! On targets other than 64-bit Linux with glibc, where it is not measured or tested,
//! everything goes to mimalloc.

use std::alloc::{GlobalAlloc, Layout};

/// The allocator: declare it with `#[global_allocator] static A: Allocator = Allocator;`.
pub struct Allocator;

/// Where blocks go that the compact region does not take.
static FALLBACK: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// From now on, every new block comes from mimalloc. For processes that run long and whose
/// memory comes and goes, such as the language server: there, never returning memory would
/// make the process grow with every edit. Blocks already allocated stay valid.
pub fn long_running() {
    #[cfg(all(target_os = "linux", target_env = "gnu", target_pointer_width = "64"))]
    compact::OFF.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Whether `block` lies in the compact region (for tests and measurements).
pub fn in_region(block: *const u8) -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu", target_pointer_width = "64"))]
    return compact::owns(block as usize);
    #[cfg(not(all(target_os = "linux", target_env = "gnu", target_pointer_width = "64")))]
    {
        let _ = block;
        false
    }
}

/// Backs the region's first `bytes` with memory now: for a thread that would otherwise be
/// idle, so that the kernel's zeroing of those fresh pages (170 to 500 µs for each 2 MiB huge
/// page on the virtual machines measured, the largest single cost of a short build) happens on
/// its core while other threads work, instead of on theirs when their allocations first touch
/// the pages. Nothing is written: pages already in use are left as they are.
///
/// True when the kernel populated the range (Linux 5.14 and later); false when it declined, or
/// when the region is not in use (after [`long_running`], on other targets, or when its
/// reservation failed).
pub fn populate(bytes: usize) -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu", target_pointer_width = "64"))]
    return compact::populate(bytes);
    #[cfg(not(all(target_os = "linux", target_env = "gnu", target_pointer_width = "64")))]
    {
        let _ = bytes;
        false
    }
}

/// How many bytes of the compact region have been handed to threads so far: an upper bound
/// of the memory the region's blocks occupy.
pub fn region_used() -> usize {
    #[cfg(all(target_os = "linux", target_env = "gnu", target_pointer_width = "64"))]
    return compact::used();
    #[cfg(not(all(target_os = "linux", target_env = "gnu", target_pointer_width = "64")))]
    0
}

// SAFETY: every block comes either from the compact region, where `compact::take` hands out
// each byte to one live block at a time, or from mimalloc; `dealloc` and `realloc` tell the two
// apart by address (`compact::owns`), so each block is given back to the allocator it came
// from, with the layout it was allocated with.
unsafe impl GlobalAlloc for Allocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        #[cfg(all(target_os = "linux", target_env = "gnu", target_pointer_width = "64"))]
        {
            let block = compact::take(layout);
            if !block.is_null() {
                return block;
            }
        }
        // SAFETY: the caller's layout has a non-zero size, as `GlobalAlloc::alloc` requires.
        unsafe { FALLBACK.alloc(layout) }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        #[cfg(all(target_os = "linux", target_env = "gnu", target_pointer_width = "64"))]
        {
            let block = compact::take(layout);
            if !block.is_null() {
                // SAFETY: `take` returned a block of at least `layout.size()` bytes that no one
                // else uses; a reused block may hold old bytes, so it is cleared.
                unsafe { block.write_bytes(0, layout.size()) };
                return block;
            }
        }
        // SAFETY: as in `alloc`; mimalloc clears the block itself, cheaply for fresh memory.
        unsafe { FALLBACK.alloc_zeroed(layout) }
    }

    #[inline]
    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        #[cfg(all(target_os = "linux", target_env = "gnu", target_pointer_width = "64"))]
        if compact::owns(block as usize) {
            // SAFETY: the caller gives back a block this allocator handed out with `layout`,
            // and no longer uses it.
            unsafe { compact::give_back(block, layout.size()) };
            return;
        }
        // SAFETY: a block outside the region came from mimalloc with this layout.
        unsafe { FALLBACK.dealloc(block, layout) }
    }

    #[inline]
    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        #[cfg(all(target_os = "linux", target_env = "gnu", target_pointer_width = "64"))]
        if compact::owns(block as usize) {
            if compact::same_class(layout.size(), new_size) {
                // The block already has room for the new size, and a later free with the new
                // size finds the same class list.
                return block;
            }
            // SAFETY: the caller guarantees that `new_size`, rounded up to the alignment,
            // does not overflow `isize`, which is all `Layout` asks.
            let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
            // SAFETY: `new_size` is non-zero, as `GlobalAlloc::realloc` requires.
            let moved = unsafe { self.alloc(new_layout) };
            if !moved.is_null() {
                // SAFETY: both blocks are live, distinct, and at least this long; the old one
                // is given back with the layout it was allocated with.
                unsafe {
                    std::ptr::copy_nonoverlapping(block, moved, layout.size().min(new_size));
                    self.dealloc(block, layout);
                }
            }
            return moved;
        }
        // SAFETY: a block outside the region came from mimalloc with this layout.
        unsafe { FALLBACK.realloc(block, layout, new_size) }
    }
}

/// The compact region and its per-thread lists.
#[cfg(all(target_os = "linux", target_env = "gnu", target_pointer_width = "64"))]
mod compact {
    use std::alloc::Layout;
    use std::cell::Cell;
    use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
    use std::sync::Mutex;

    /// The address space reserved once, of which only what is touched is backed by memory:
    /// four times what a national build takes (under 4 MiB). A larger build continues with
    /// mimalloc (see [`carve`]), and the region's blocks are not reused after that, so the
    /// region is kept small.
    const REGION_SIZE: usize = 16 << 20;
    /// The transparent huge page size on x86-64 and most arm64 kernels; the region starts on
    /// such a boundary so that its first bytes share one huge page.
    const HUGE_PAGE: usize = 2 << 20;
    /// What a thread takes from the region at a time for its small blocks.
    const CHUNK: usize = 64 << 10;
    /// Blocks at least this large are taken from the region directly, so that they do not
    /// leave most of a chunk unused.
    const DIRECT: usize = CHUNK / 4;
    /// The largest block the region serves; larger ones are rare and go to mimalloc.
    pub(crate) const LARGEST: usize = 1 << 20;
    /// The alignment every block has: classes are multiples of 16 and so are chunks.
    const ALIGN: usize = 16;
    /// The number of size classes (see [`class_of`]).
    pub(crate) const CLASSES: usize = 64;
    /// `BASE` after a failed reservation: never a real base, which is huge-page aligned.
    const FAILED: usize = 1;

    /// The region's first byte; 0 before the reservation, `FAILED` if it failed.
    static BASE: AtomicUsize = AtomicUsize::new(0);
    /// How much of the region has been handed out, from its start.
    static USED: AtomicUsize = AtomicUsize::new(0);
    /// Set by [`super::long_running`], or once the region is used up: every block comes from
    /// mimalloc.
    pub(crate) static OFF: AtomicBool = AtomicBool::new(false);

    /// One thread's chunk and free lists. It has no destructor, so reading it is a plain
    /// access to thread-local memory, valid until the thread is gone; [`Ending`] hands its
    /// lists on when the thread ends.
    struct Local {
        /// The next free byte of the thread's chunk.
        next: Cell<usize>,
        /// The end of the thread's chunk.
        end: Cell<usize>,
        /// The first free block of each class (0: none); each free block's first word holds
        /// the address of the next.
        free: [Cell<usize>; CLASSES],
        /// How many blocks of each class the thread has freed onto its list since the list
        /// was last handed on (see [`SHARED`]).
        freed: [Cell<u32>; CLASSES],
        /// Whether the thread's [`ENDING`] is registered.
        ending: Cell<bool>,
    }

    thread_local! {
        static LOCAL: Local = const {
            Local {
                next: Cell::new(0),
                end: Cell::new(0),
                free: [const { Cell::new(0) }; CLASSES],
                freed: [const { Cell::new(0) }; CLASSES],
                ending: Cell::new(false),
            }
        };
        /// Registered the first time a thread carves or frees a block of the region, so that
        /// its destructor runs when the thread ends. Kept apart from [`LOCAL`] because a
        /// thread-local with a destructor is checked on every access.
        static ENDING: Ending = const { Ending };
    }

    /// Hands the ending thread's lists on to [`ORPHANS`].
    struct Ending;

    impl Drop for Ending {
        fn drop(&mut self) {
            let Ok(mut orphans) = ORPHANS.lock() else {
                return;
            };
            let _ = LOCAL.try_with(|local| {
                for (class, head) in local.free.iter().enumerate() {
                    // SAFETY: the list is this thread's, and the thread is ending.
                    unsafe { hand_on(&mut orphans, class, head.replace(0)) };
                }
            });
        }
    }

    /// Registers the calling thread's [`ENDING`].
    #[cold]
    #[inline(never)]
    fn register_ending(local: &Local) {
        local.ending.set(true);
        let _ = ENDING.try_with(|_| ());
    }

    /// Free lists given up by threads that ended or freed much, per class, for the next thread
    /// that runs out of blocks of that class to adopt whole. Without them, a program that
    /// starts threads again and again (the build starts its helpers for each parallel step,
    /// and benchmarks build many times in one process) would keep taking fresh memory.
    static ORPHANS: Mutex<[usize; CLASSES]> = Mutex::new([0; CLASSES]);
    /// One bit per class that may have orphaned blocks, so that taking a block looks at the
    /// lock only when there is something to adopt.
    static ORPHANED: AtomicU64 = AtomicU64::new(0);

    /// A thread hands its list of a class on to [`ORPHANS`] once it has freed this many bytes
    /// onto it. Otherwise memory that one thread allocates and another frees (the build's
    /// helpers make files that the main thread frees) would pile up on the freeing thread's
    /// lists while the allocating thread kept taking fresh memory.
    const SHARED: usize = 256 << 10;

    /// Puts the list that starts at `head` in front of the orphaned lists of `class`.
    ///
    /// # Safety
    ///
    /// `head` must be 0 or the first block of a free list that no thread uses any more.
    unsafe fn hand_on(orphans: &mut [usize; CLASSES], class: usize, head: usize) {
        let Some(slot) = orphans.get_mut(class).filter(|_| head != 0) else {
            return;
        };
        // The orphaned lists of a class are chained through the second word of each list's
        // first block, so that handing a list on does not walk it.
        // SAFETY: `head` is a free block of at least 16 bytes, 16-aligned; its first word links
        // its own list and its second word is unused.
        unsafe { (head as *mut usize).add(1).write(*slot) };
        *slot = head;
        ORPHANED.fetch_or(1 << class, Ordering::Relaxed);
    }

    /// Adopts one orphaned list of `class`: its first block is returned, the rest become
    /// the thread's list. 0 when there is none.
    #[cold]
    #[inline(never)]
    fn adopt(local: &Local, class: usize) -> usize {
        let Ok(mut orphans) = ORPHANS.lock() else {
            return 0;
        };
        let Some(slot) = orphans.get_mut(class) else {
            return 0;
        };
        let head = *slot;
        if head == 0 {
            ORPHANED.fetch_and(!(1 << class), Ordering::Relaxed);
            return 0;
        }
        // SAFETY: `head` is the first block of an orphaned list, now this thread's alone: its
        // first word links the rest of its list, its second word the next orphaned list.
        let (rest, next_list) = unsafe {
            (
                (head as *const usize).read(),
                (head as *const usize).add(1).read(),
            )
        };
        *slot = next_list;
        if next_list == 0 {
            ORPHANED.fetch_and(!(1 << class), Ordering::Relaxed);
        }
        local.free[class].set(rest);
        head
    }

    /// The class of a block of `size` bytes, and the size every block of that class has:
    /// multiples of 16 up to 256 bytes (classes 0 to 15), then four classes per doubling
    /// (5/4, 6/4, 7/4 and 8/4 of the power of two below), up to [`LARGEST`] (class 63).
    #[inline]
    pub(crate) fn class_of(size: usize) -> (usize, usize) {
        if size <= 256 {
            let sixteenths = size.max(1).div_ceil(16);
            return (sixteenths - 1, sixteenths * 16);
        }
        let below = size - 1;
        let log = (usize::BITS - 1 - below.leading_zeros()) as usize;
        let quarter = 1 << (log - 2);
        let step = (below >> (log - 2)) & 3;
        (16 + (log - 8) * 4 + step, (5 + step) * quarter)
    }

    /// Whether blocks of `old` and `new` bytes share a class, so one can stand for the other.
    #[inline]
    pub(crate) fn same_class(old: usize, new: usize) -> bool {
        new <= LARGEST && old <= LARGEST && class_of(old).0 == class_of(new).0
    }

    #[inline]
    pub(crate) fn owns(address: usize) -> bool {
        let base = BASE.load(Ordering::Acquire);
        base > FAILED && address.wrapping_sub(base) < REGION_SIZE
    }

    pub(crate) fn populate(bytes: usize) -> bool {
        if OFF.load(Ordering::Relaxed) {
            return false;
        }
        let base = base();
        if base == FAILED {
            return false;
        }
        // SAFETY: the range lies inside the region's mapping, which is never unmapped.
        // Populating for writing backs each page that is not yet backed, as a write would, but
        // writes nothing, so blocks other threads are using meanwhile keep their contents.
        let done = unsafe {
            libc::madvise(
                base as *mut libc::c_void,
                bytes.min(REGION_SIZE),
                libc::MADV_POPULATE_WRITE,
            )
        };
        done == 0
    }

    pub(crate) fn used() -> usize {
        USED.load(Ordering::Relaxed).min(REGION_SIZE)
    }

    /// A block for `layout` from the calling thread's list or chunk, or null when the region
    /// does not serve it (too large, over-aligned, used up, switched off).
    #[inline]
    pub(crate) fn take(layout: Layout) -> *mut u8 {
        if layout.size() > LARGEST || layout.align() > ALIGN || OFF.load(Ordering::Relaxed) {
            return std::ptr::null_mut();
        }
        let (class, size) = class_of(layout.size());
        LOCAL
            .try_with(|local| {
                let head = local.free[class].get();
                if head != 0 {
                    // SAFETY: `head` is a free block of this class on this thread's list; its
                    // first word was written by `give_back` and holds the next free block.
                    local.free[class].set(unsafe { (head as *const usize).read() });
                    return head as *mut u8;
                }
                if ORPHANED.load(Ordering::Relaxed) & (1 << class) != 0 {
                    let adopted = adopt(local, class);
                    if adopted != 0 {
                        return adopted as *mut u8;
                    }
                }
                let next = local.next.get();
                if size < DIRECT && local.end.get() - next >= size {
                    local.next.set(next + size);
                    return next as *mut u8;
                }
                carve(local, size)
            })
            .unwrap_or(std::ptr::null_mut())
    }

    /// A fresh block of `size` bytes (a class size) from the region: from a new chunk for
    /// small blocks, directly for large ones.
    #[cold]
    #[inline(never)]
    fn carve(local: &Local, size: usize) -> *mut u8 {
        if !local.ending.get() {
            register_ending(local);
        }
        let base = base();
        if base == FAILED {
            return std::ptr::null_mut();
        }
        let take = if size < DIRECT { CHUNK } else { size };
        let offset = USED.fetch_add(take, Ordering::Relaxed);
        if offset > REGION_SIZE - take {
            // A process that has used the whole region is a large build: from now on mimalloc,
            // whose per-page free lists suit a large heap better than these per-class ones,
            // serves every block, and the region's blocks are no longer reused.
            OFF.store(true, Ordering::Relaxed);
            return std::ptr::null_mut();
        }
        let start = base + offset;
        if size < DIRECT {
            // The rest of the previous chunk, less than a small block, is left unused.
            local.next.set(start + size);
            local.end.set(start + CHUNK);
        }
        start as *mut u8
    }

    /// Puts a block of `size` bytes back on the calling thread's list for its class.
    ///
    /// # Safety
    ///
    /// `block` must be a block of the region, handed out for `size` bytes (or a size of the
    /// same class), and no longer in use.
    #[inline]
    pub(crate) unsafe fn give_back(block: *mut u8, size: usize) {
        if OFF.load(Ordering::Relaxed) {
            // Nothing takes blocks from the lists any more.
            return;
        }
        let (class, class_size) = class_of(size);
        // Blocks freed by other destructors after the thread's lists were handed on are lost.
        let _ = LOCAL.try_with(|local| {
            // SAFETY: the block is at least 16 bytes long, 16-aligned and no longer in use,
            // so its first word can hold the list's link.
            unsafe { (block as *mut usize).write(local.free[class].get()) };
            local.free[class].set(block as usize);
            if !local.ending.get() {
                register_ending(local);
            }
            let freed = local.freed[class].get() + 1;
            if freed as usize * class_size < SHARED {
                local.freed[class].set(freed);
                return;
            }
            share(local, class);
        });
    }

    /// Hands the calling thread's list of `class` on to [`ORPHANS`]. Out of line, so that
    /// freeing a block, which calls it once per 256 KiB, stays a few instructions.
    #[cold]
    #[inline(never)]
    fn share(local: &Local, class: usize) {
        local.freed[class].set(0);
        if let Ok(mut orphans) = ORPHANS.lock() {
            // SAFETY: the list is this thread's, and it gives it up here.
            unsafe { hand_on(&mut orphans, class, local.free[class].replace(0)) };
        }
    }

    /// The region's first byte, reserving it on first use.
    #[inline]
    fn base() -> usize {
        match BASE.load(Ordering::Acquire) {
            0 => reserve(),
            base => base,
        }
    }

    #[cold]
    fn reserve() -> usize {
        // SAFETY: an anonymous private mapping at an address of the kernel's choosing touches
        // no existing memory.
        let mapping = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                REGION_SIZE + HUGE_PAGE,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if mapping == libc::MAP_FAILED {
            // Under strict overcommit, for example; mimalloc serves everything then.
            return match BASE.compare_exchange(0, FAILED, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => FAILED,
                Err(base) => base,
            };
        }
        let base = (mapping as usize).next_multiple_of(HUGE_PAGE);
        // Huge pages make fresh memory about three times cheaper per byte on the machines
        // measured, and the region is dense, so little of each is wasted. The advice is only
        // advice: if the kernel declines, small pages serve.
        // SAFETY: the range lies inside the mapping just made, which nothing else uses yet.
        unsafe { libc::madvise(base as *mut libc::c_void, REGION_SIZE, libc::MADV_HUGEPAGE) };
        match BASE.compare_exchange(0, base, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => base,
            Err(theirs) => {
                // Another thread reserved first (the first allocation normally happens before
                // any thread starts, so this is only for safety).
                // SAFETY: the mapping is ours and no block was handed out from it.
                unsafe { libc::munmap(mapping, REGION_SIZE + HUGE_PAGE) };
                theirs
            }
        }
    }
}

#[cfg(test)]
#[cfg(all(target_os = "linux", target_env = "gnu", target_pointer_width = "64"))]
mod tests {
    use super::compact::{class_of, CLASSES, LARGEST};
    use super::*;

    #[test]
    fn classes_cover_every_size_in_order_and_waste_at_most_a_fifth() {
        let mut previous = class_of(1);
        assert_eq!(previous, (0, 16));
        for size in 2..=LARGEST {
            let (class, class_size) = class_of(size);
            assert!(
                class_size >= size,
                "{size} does not fit class {class} ({class_size})"
            );
            assert!(class < CLASSES, "{size} has class {class}");
            assert_eq!(class_size % 16, 0, "{size}: class size {class_size}");
            if size > 256 {
                assert!(
                    class_size * 4 <= size * 5 + 4,
                    "{size} rounds up to {class_size}"
                );
            }
            assert!(class >= previous.0, "{size}: classes go back");
            if class == previous.0 {
                assert_eq!(class_size, previous.1, "{size}: one class, two sizes");
            } else {
                assert!(class_size > previous.1);
            }
            previous = (class, class_size);
        }
        assert_eq!(class_of(LARGEST), (CLASSES - 1, LARGEST));
        assert_eq!(class_of(257), (16, 320));
        assert_eq!(class_of(0), (0, 16));
    }

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).unwrap()
    }

    #[test]
    fn a_freed_block_serves_the_next_allocation_of_its_class_on_the_thread() {
        let allocator = Allocator;
        // SAFETY: each block is used within its layout and given back once with it.
        unsafe {
            let first = allocator.alloc(layout(100, 8));
            assert!(in_region(first));
            first.write_bytes(7, 100);
            allocator.dealloc(first, layout(100, 8));
            // 100 and 112 bytes share the class of 112.
            let again = allocator.alloc(layout(112, 16));
            assert_eq!(again, first);
            let other = allocator.alloc(layout(100, 8));
            assert_ne!(other, again);
            let zeroed = {
                allocator.dealloc(other, layout(100, 8));
                allocator.alloc_zeroed(layout(100, 8))
            };
            assert_eq!(zeroed, other);
            assert!(std::slice::from_raw_parts(zeroed, 100)
                .iter()
                .all(|it| *it == 0));
            allocator.dealloc(zeroed, layout(100, 8));
            allocator.dealloc(again, layout(112, 16));
        }
    }

    #[test]
    fn the_lists_of_an_ended_thread_serve_the_next_thread() {
        // A size no other test uses, so that tests running at the same time leave its class
        // alone.
        let size = 700_000;
        let freed = std::thread::spawn(move || {
            let allocator = Allocator;
            // SAFETY: the blocks are given back once, with their layouts.
            unsafe {
                let first = allocator.alloc(layout(size, 8));
                let second = allocator.alloc(layout(size, 8));
                allocator.dealloc(first, layout(size, 8));
                allocator.dealloc(second, layout(size, 8));
                [first as usize, second as usize]
            }
        })
        .join()
        .unwrap();
        let adopted = std::thread::spawn(move || {
            let allocator = Allocator;
            // SAFETY: the blocks are given back once, with their layouts.
            unsafe {
                let blocks = [
                    allocator.alloc(layout(size, 8)),
                    allocator.alloc(layout(size, 8)),
                    allocator.alloc(layout(size, 8)),
                ];
                for block in blocks {
                    allocator.dealloc(block, layout(size, 8));
                }
                blocks.map(|it| it as usize)
            }
        })
        .join()
        .unwrap();
        // The second thread takes the first's list, last freed first, then carves fresh.
        assert_eq!(adopted[..2], [freed[1], freed[0]]);
        assert!(!freed.contains(&adopted[2]));
    }

    #[test]
    fn a_thread_that_frees_much_of_a_class_hands_its_list_to_the_others() {
        // A size no other test uses (class 3,072), so that their lists stay apart.
        let size = 3_000;
        let allocator = Allocator;
        // SAFETY: each block is given back once, with its layout, and not used after.
        let freed: Vec<usize> = unsafe {
            let blocks: Vec<*mut u8> = (0..100).map(|_| allocator.alloc(layout(size, 8))).collect();
            for block in &blocks {
                allocator.dealloc(*block, layout(size, 8));
            }
            blocks.into_iter().map(|it| it as usize).collect()
        };
        // 100 blocks of 3 KiB pass the 256 KiB after which a list is handed on, so another
        // thread, which has freed nothing of this class, takes its blocks from that list
        // instead of fresh memory, while this thread is still running.
        let taken = std::thread::spawn(move || {
            let allocator = Allocator;
            // SAFETY: the block is given back once, with its layout.
            unsafe {
                let block = allocator.alloc(layout(size, 8));
                allocator.dealloc(block, layout(size, 8));
                block as usize
            }
        })
        .join()
        .unwrap();
        assert!(freed.contains(&taken), "the other thread took fresh memory");
    }

    #[test]
    fn large_and_over_aligned_blocks_come_from_mimalloc() {
        let allocator = Allocator;
        // SAFETY: each block is used within its layout and given back once with it.
        unsafe {
            let large = allocator.alloc(layout(LARGEST + 1, 8));
            assert!(!in_region(large));
            large.add(LARGEST).write(1);
            allocator.dealloc(large, layout(LARGEST + 1, 8));
            let aligned = allocator.alloc(layout(64, 64));
            assert!(!in_region(aligned));
            assert_eq!(aligned as usize % 64, 0);
            allocator.dealloc(aligned, layout(64, 64));
            let largest = allocator.alloc(layout(LARGEST, 16));
            assert!(in_region(largest));
            assert_eq!(largest as usize % 16, 0);
            allocator.dealloc(largest, layout(LARGEST, 16));
        }
    }

    #[test]
    fn realloc_keeps_the_contents_within_a_class_and_across_classes_and_allocators() {
        let allocator = Allocator;
        // SAFETY: each block is used within its current layout; realloc gives the old one back.
        unsafe {
            let mut block = allocator.alloc(layout(20, 1));
            for index in 0..20 {
                block.add(index).write(index as u8);
            }
            let same = allocator.realloc(block, layout(20, 1), 30);
            assert_eq!(same, block, "20 and 30 bytes share the class of 32");
            block = same;
            let mut size = 30;
            // Through every class to beyond the region's largest block, and back down.
            // A block that moved to mimalloc stays there when it shrinks again.
            let mut moved_out = false;
            for new_size in [33, 300, 5_000, 70_000, LARGEST, LARGEST * 3, 1_000, 20] {
                block = allocator.realloc(block, layout(size, 1), new_size);
                assert!(!block.is_null());
                for index in 0..20 {
                    assert_eq!(
                        block.add(index).read(),
                        index as u8,
                        "after growing to {new_size}"
                    );
                }
                moved_out |= new_size > LARGEST;
                assert_eq!(in_region(block), !moved_out);
                size = new_size;
            }
            allocator.dealloc(block, layout(size, 1));
        }
    }
}
