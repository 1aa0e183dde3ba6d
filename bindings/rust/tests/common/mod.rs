// SPDX-License-Identifier: LGPL-2.1-or-later
//! A region file written the way the module writes the device: a
//! read-write shared mapping of a file, stores with the module's barriers.
//! The crate maps the same file read-only, so it sees every store.

#![allow(dead_code)]

use std::fs::OpenOptions;
use std::os::raw::{c_int, c_void};
use std::os::unix::io::AsRawFd;
use std::path::PathBuf;
use std::sync::atomic::Ordering::{Relaxed, Release};
use std::sync::atomic::{fence, AtomicU32, AtomicU64};

extern "C" {
    fn mmap(addr: *mut c_void, len: usize, prot: c_int, flags: c_int, fd: c_int, off: i64) -> *mut c_void;
    fn munmap(addr: *mut c_void, len: usize) -> c_int;
    fn clock_gettime(clk: c_int, ts: *mut [i64; 2]) -> c_int;
}

pub const HEALTH: usize = 256;
pub const RING: usize = 4096;
pub const HEALTH_SIZE: usize = 1216;

/* Health block offsets (abi.h). */
pub const H_SEQ: usize = 0;
pub const H_OFFS_REAL: usize = 8;
pub const H_SYNC_MONO: usize = 16;
pub const H_SYNC_MAXERROR: usize = 24;
pub const H_SYNC_INTERVAL: usize = 32;
pub const H_DISRUPT_MONO: usize = 40;
pub const H_DISRUPT_TYPE: usize = 48;
pub const H_NTP_STATUS: usize = 52;
pub const H_HOOKS: usize = 56;
pub const H_NTP_STATE: usize = 60;
pub const H_UPDATE_MONO: usize = 64;
pub const H_BODY_SEQ: usize = 1208;

pub fn mono_now() -> u64 {
    let mut ts = [0i64; 2];
    // SAFETY: a valid out pointer of struct timespec's layout (64-bit).
    unsafe { clock_gettime(1, &mut ts) };
    ts[0] as u64 * 1_000_000_000 + ts[1] as u64
}

pub fn real_now() -> u64 {
    let mut ts = [0i64; 2];
    // SAFETY: as above.
    unsafe { clock_gettime(0, &mut ts) };
    ts[0] as u64 * 1_000_000_000 + ts[1] as u64
}

pub struct Region {
    pub path: PathBuf,
    base: *mut u8,
    len: usize,
    pub entries: u64,
}

// SAFETY: the test's writer mapping; stores are atomic.
unsafe impl Send for Region {}
// SAFETY: as above.
unsafe impl Sync for Region {}

impl Region {
    /// A version 1 region with `entries` records of 64 bytes, empty
    /// health block (seq 0, state 0).
    pub fn new(name: &str, entries: u32) -> Region {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        let path = dir.join(format!("{}-{}.region", name, std::process::id()));
        let len = RING + entries as usize * 64;
        let f = OpenOptions::new().read(true).write(true).create(true).truncate(true).open(&path).unwrap();
        f.set_len(len as u64).unwrap();
        // SAFETY: a fresh shared mapping of the file, read-write.
        let p = unsafe { mmap(std::ptr::null_mut(), len, 3, 1, f.as_raw_fd(), 0) };
        assert!(p as isize != -1, "mmap");
        let r = Region { path, base: p as *mut u8, len, entries: entries as u64 };
        r.u64(0).store(tsmon::MAGIC, Relaxed);
        r.u32(8).store(1, Relaxed);
        r.u32(12).store(192, Relaxed);
        r.u32(16).store(len as u32, Relaxed);
        r.u32(20).store(HEALTH as u32, Relaxed);
        r.u32(24).store(HEALTH_SIZE as u32, Relaxed);
        r.u32(28).store(RING as u32, Relaxed);
        r.u32(32).store(64, Relaxed);
        r.u32(36).store(entries, Relaxed);
        r.u32(40).store(entries.wrapping_sub(1), Relaxed);
        r.u64(48).store(0x1234_5678_9abc_def0, Relaxed);
        r.u64(56).store(real_now(), Relaxed);
        r.u64(64).store(mono_now(), Relaxed);
        r
    }

    pub fn u64(&self, off: usize) -> &AtomicU64 {
        assert!(off % 8 == 0 && off + 8 <= self.len);
        // SAFETY: in bounds and aligned (checked), in the live mapping.
        unsafe { &*(self.base.add(off) as *const AtomicU64) }
    }

    pub fn u32(&self, off: usize) -> &AtomicU32 {
        assert!(off % 4 == 0 && off + 4 <= self.len);
        // SAFETY: as above.
        unsafe { &*(self.base.add(off) as *const AtomicU32) }
    }

    pub fn h64(&self, off: usize) -> &AtomicU64 {
        self.u64(HEALTH + off)
    }

    pub fn h32(&self, off: usize) -> &AtomicU32 {
        self.u32(HEALTH + off)
    }

    /// An update of the health block as the module makes it: both counts
    /// odd, write barrier, the stores, write barrier, counts even.
    pub fn update(&self, f: impl FnOnce(&Region)) {
        let (s, b) = (self.h64(H_SEQ), self.h64(H_BODY_SEQ));
        s.store(s.load(Relaxed) + 1, Relaxed);
        b.store(b.load(Relaxed) + 1, Relaxed);
        fence(Release);
        f(self);
        fence(Release);
        s.store(s.load(Relaxed) + 1, Relaxed);
        b.store(b.load(Relaxed) + 1, Relaxed);
    }

    /// Publishes a record as the module does; returns its sequence.
    pub fn push(&self, typ: u32, mono: u64, real: u64, payload: [u64; 4]) -> u64 {
        let head = self.u64(128);
        let seq = head.load(Relaxed) + 1;
        let slot = RING + (seq & (self.entries - 1)) as usize * 64;
        self.u64(slot).store(0, Relaxed);
        fence(Release);
        self.u32(slot + 8).store(typ, Relaxed);
        self.u32(slot + 12).store(0, Relaxed);
        self.u64(slot + 16).store(mono, Relaxed);
        self.u64(slot + 24).store(real, Relaxed);
        for (i, w) in payload.iter().enumerate() {
            self.u64(slot + 32 + 8 * i).store(*w, Relaxed);
        }
        self.u64(slot).store(seq, Release);
        head.store(seq, Release);
        seq
    }

    /// A synchronised clock: the NTP hook, TIME_OK, a sync update at
    /// `sync_mono` with `maxerror`, updates every 16 s, and this host's
    /// REALTIME - MONOTONIC.
    pub fn synced(&self, sync_mono: u64, maxerror: u64) {
        let offs = real_now().wrapping_sub(mono_now());
        self.update(|r| {
            r.h64(H_OFFS_REAL).store(offs, Relaxed);
            r.h64(H_SYNC_MONO).store(sync_mono, Relaxed);
            r.h64(H_SYNC_MAXERROR).store(maxerror, Relaxed);
            r.h64(H_SYNC_INTERVAL).store(16_000_000_000, Relaxed);
            r.h32(H_NTP_STATUS).store(0x2001, Relaxed);
            r.h32(H_HOOKS).store(tsmon::HOOK_TIMEKEEPER | tsmon::HOOK_ADJTIMEX, Relaxed);
            r.h32(H_NTP_STATE).store(tsmon::TIME_OK, Relaxed);
        });
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: what mmap returned.
        unsafe { munmap(self.base as *mut c_void, self.len) };
        let _ = std::fs::remove_file(&self.path);
    }
}
