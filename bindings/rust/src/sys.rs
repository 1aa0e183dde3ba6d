// SPDX-License-Identifier: LGPL-2.1-or-later
//! What the crate takes from the C library: mmap/munmap for the region and
//! clock_gettime (the vDSO) for the clock. Everything `unsafe` about the
//! mapping lives here; the read paths load through the atomic views below.

use core::ptr::NonNull;
use core::sync::atomic::{AtomicU32, AtomicU64, AtomicU8};
use std::os::raw::{c_int, c_long, c_void};
use std::os::unix::io::AsRawFd;

use crate::error::{Error, Result};

const PROT_READ: c_int = 1;
const MAP_SHARED: c_int = 1;
const CLOCK_MONOTONIC: c_int = 1;

#[repr(C)]
struct Timespec {
    tv_sec: c_long, // time_t: the crate builds for 64-bit Linux only
    tv_nsec: c_long,
}

extern "C" {
    fn mmap(addr: *mut c_void, len: usize, prot: c_int, flags: c_int, fd: c_int, off: i64)
        -> *mut c_void;
    fn munmap(addr: *mut c_void, len: usize) -> c_int;
    fn clock_gettime(clk: c_int, ts: *mut Timespec) -> c_int;
}

/// A clock in ns, through the C library's clock_gettime (the vDSO: no
/// system call). Wraps as libtsmon's unsigned arithmetic does.
#[inline(always)]
pub(crate) fn clock_ns(clk: c_int) -> u64 {
    let mut ts = Timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: ts is a valid, writable timespec; the clocks used exist on
    // every kernel this crate runs on.
    unsafe { clock_gettime(clk, &mut ts) };
    (ts.tv_sec as u64).wrapping_mul(1_000_000_000).wrapping_add(ts.tv_nsec as u64)
}

/// CLOCK_MONOTONIC of the caller's time namespace.
#[inline(always)]
pub(crate) fn mono_now() -> u64 {
    clock_ns(CLOCK_MONOTONIC)
}

/// A read-only, shared mapping of a region, unmapped on drop.
pub(crate) struct Mapping {
    base: NonNull<u8>,
    len: usize,
}

// SAFETY: the mapping is read-only and owned by this value alone; the
// only accesses to it are the atomic loads of the views below, which
// any number of threads may make at once. Nothing is tied to the thread
// that mapped it.
unsafe impl Send for Mapping {}
// SAFETY: see Send: shared access is atomic loads only.
unsafe impl Sync for Mapping {}

impl Mapping {
    /// mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0), as tsmon_open() does.
    pub(crate) fn map<F: AsRawFd>(file: &F, len: usize) -> Result<Mapping> {
        // SAFETY: a fresh mapping chosen by the kernel; it aliases no Rust
        // object. A MAP_FAILED result is checked before anything uses it.
        let p = unsafe {
            mmap(core::ptr::null_mut(), len, PROT_READ, MAP_SHARED, file.as_raw_fd(), 0)
        };
        if p as isize == -1 {
            return Err(Error::from_io(&std::io::Error::last_os_error()));
        }
        let base = NonNull::new(p as *mut u8).ok_or(crate::error::EINVAL)?;
        Ok(Mapping { base, len })
    }

    /// `n` 64-bit words at byte offset `off`.
    #[inline(always)]
    pub(crate) fn words(&self, off: usize, n: usize) -> &[AtomicU64] {
        self.check(off, n, 8);
        // SAFETY: inside the live mapping (checked), 8-byte aligned (the
        // mapping is page aligned and `off` a multiple of 8, checked);
        // borrowed from self, so the mapping outlives the slice. The
        // module writes these words concurrently, which atomics allow.
        unsafe { core::slice::from_raw_parts(self.base.as_ptr().add(off) as *const AtomicU64, n) }
    }

    /// `n` 32-bit words at byte offset `off`.
    #[inline(always)]
    pub(crate) fn u32s(&self, off: usize, n: usize) -> &[AtomicU32] {
        self.check(off, n, 4);
        // SAFETY: as for words(), with 4-byte alignment.
        unsafe { core::slice::from_raw_parts(self.base.as_ptr().add(off) as *const AtomicU32, n) }
    }

    /// `n` bytes at byte offset `off`.
    #[inline(always)]
    pub(crate) fn bytes(&self, off: usize, n: usize) -> &[AtomicU8] {
        self.check(off, n, 1);
        // SAFETY: as for words().
        unsafe { core::slice::from_raw_parts(self.base.as_ptr().add(off) as *const AtomicU8, n) }
    }

    /// The region header (192 bytes at offset 0).
    #[inline(always)]
    pub(crate) fn header(&self) -> &HeaderView {
        self.check(0, 1, core::mem::size_of::<HeaderView>());
        // SAFETY: HeaderView is repr(C) atomics of the header's layout,
        // 8-byte aligned, inside the mapping (checked).
        unsafe { &*(self.base.as_ptr() as *const HeaderView) }
    }

    /// The health block's clock line (64 bytes at `off`).
    #[inline(always)]
    pub(crate) fn line(&self, off: usize) -> &LineView {
        self.check(off, 1, core::mem::size_of::<LineView>());
        // SAFETY: LineView is repr(C) atomics of the line's layout; the
        // health offset is a multiple of 8 (validated at open, checked).
        unsafe { &*(self.base.as_ptr().add(off) as *const LineView) }
    }

    /// Whether `n` bytes at `off` lie inside the mapping.
    pub(crate) fn contains(&self, off: usize, n: usize) -> bool {
        off.checked_add(n).map_or(false, |end| end <= self.len)
    }

    #[inline(always)]
    fn check(&self, off: usize, n: usize, size: usize) {
        let ok = off % size.min(8) == 0
            && n.checked_mul(size).and_then(|b| b.checked_add(off)).map_or(false, |e| e <= self.len);
        assert!(ok, "tsmon: access outside the region");
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: base/len are what mmap returned; no view outlives self.
        unsafe { munmap(self.base.as_ptr() as *mut c_void, self.len) };
    }
}

/// struct tsmon_header as atomics: the header is read with loads that
/// tolerate the module's concurrent stores to `head`.
#[repr(C)]
#[allow(dead_code)]
pub(crate) struct HeaderView {
    pub magic: AtomicU64,
    pub abi_version: AtomicU32,
    pub header_size: AtomicU32,
    pub region_size: AtomicU32,
    pub health_offset: AtomicU32,
    pub health_size: AtomicU32,
    pub ring_offset: AtomicU32,
    pub record_size: AtomicU32,
    pub ring_entries: AtomicU32,
    pub ring_mask: AtomicU32,
    pub __pad0: AtomicU32,
    pub instance_id: AtomicU64,
    pub load_real_ns: AtomicU64,
    pub load_mono_ns: AtomicU64,
    pub __pad1: [AtomicU64; 7],
    pub head: AtomicU64,
    pub __pad2: [AtomicU64; 7],
}

/// The health block's first cache line as atomics: what a clock read loads.
#[repr(C)]
pub(crate) struct LineView {
    pub seq: AtomicU64,
    pub offs_real_ns: AtomicU64,
    pub sync_mono_ns: AtomicU64,
    pub sync_maxerror_ns: AtomicU64,
    pub sync_interval_ns: AtomicU64,
    pub disrupt_mono_ns: AtomicU64,
    pub disrupt_type: AtomicU32,
    pub ntp_status: AtomicU32,
    pub hooks: AtomicU32,
    pub ntp_state: AtomicU32,
}

const _: () = assert!(core::mem::size_of::<HeaderView>() == crate::abi::HEADER_SIZE_V1);
const _: () = assert!(core::mem::size_of::<LineView>() == crate::abi::HEALTH_CLOCK_LINE);
