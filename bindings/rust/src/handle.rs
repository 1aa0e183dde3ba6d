// SPDX-License-Identifier: LGPL-2.1-or-later
//! Handles: mapping /dev/tsmon (or a region file) and validating the
//! layout its header announces, as lib/handle.c does.

use core::sync::atomic::Ordering::Relaxed;
use core::sync::atomic::{AtomicU32, AtomicU64};
use std::fs::File;
use std::os::unix::fs::FileTypeExt;
use std::os::unix::io::{AsRawFd, RawFd};
use std::path::Path;

use crate::abi::*;
use crate::error::{Error, Result, EBADMSG, EPROTONOSUPPORT};
use crate::pod::{self, Pod};
use crate::sys::{HeaderView, Mapping};

/// Info flag: the time namespace offsets were unreadable (no /proc): 0 assumed.
pub const INFO_TIMENS_UNKNOWN: u32 = 1 << 0;

/// struct tsmon_info: layout facts of an open region (from its header).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Info {
    /// ABI_VERSION.
    pub abi_version: u32,
    /// Bytes of the header the module fills.
    pub header_size: u32,
    /// Bytes of the health block the module fills.
    pub health_size: u32,
    /// Bytes per record.
    pub record_size: u32,
    /// Records in the ring.
    pub ring_entries: u32,
    /// Bytes of the region.
    pub region_size: u32,
    /// Random per module load.
    pub instance_id: u64,
    /// CLOCK_REALTIME when the module loaded.
    pub load_real_ns: u64,
    /// CLOCK_MONOTONIC (the module's) when it loaded.
    pub load_mono_ns: u64,
    /// The caller's CLOCK_MONOTONIC minus the module's (signed).
    pub timens_mono_offset_ns: u64,
    /// INFO_* flags.
    pub flags: u32,
    /// Reserved, 0.
    pub __reserved: u32,
}

// SAFETY: repr(C), u32/u64 fields, padding explicit (tests/layout.rs).
unsafe impl Pod for Info {}

impl Info {
    /// The structure's bytes, as struct tsmon_info holds them.
    pub fn as_bytes(&self) -> &[u8] {
        pod::bytes(self)
    }
}

/// The header fields a reader depends on.
struct Layout {
    abi_version: u32,
    header_size: u32,
    region_size: u32,
    health_offset: u32,
    health_size: u32,
    ring_offset: u32,
    record_size: u32,
    ring_entries: u32,
    ring_mask: u32,
    instance_id: u64,
    load_real_ns: u64,
    load_mono_ns: u64,
}

fn is_pow2(v: u64) -> bool {
    v != 0 && v & (v - 1) == 0
}

fn overlaps(a: u64, alen: u64, b: u64, blen: u64) -> bool {
    a < b + blen && b < a + alen
}

/// lib/handle.c's parse_header(): the same checks, in the same order, so
/// a bad region fails with the same errno. Everything before `head` is
/// constant for the mapping's life: relaxed loads are enough.
fn parse_header(h: &HeaderView) -> Result<Layout> {
    if h.magic.load(Relaxed) != MAGIC {
        return Err(EBADMSG);
    }
    // A new ABI version may move anything: checked before the layout.
    if h.abi_version.load(Relaxed) != ABI_VERSION {
        return Err(EPROTONOSUPPORT);
    }
    let l = Layout {
        abi_version: h.abi_version.load(Relaxed),
        header_size: h.header_size.load(Relaxed),
        region_size: h.region_size.load(Relaxed),
        health_offset: h.health_offset.load(Relaxed),
        health_size: h.health_size.load(Relaxed),
        ring_offset: h.ring_offset.load(Relaxed),
        record_size: h.record_size.load(Relaxed),
        ring_entries: h.ring_entries.load(Relaxed),
        ring_mask: h.ring_mask.load(Relaxed),
        instance_id: h.instance_id.load(Relaxed),
        load_real_ns: h.load_real_ns.load(Relaxed),
        load_mono_ns: h.load_mono_ns.load(Relaxed),
    };

    // That the header fits the region follows from the overlap checks.
    if (l.header_size as usize) < HEADER_SIZE_V1 {
        return Err(EBADMSG);
    }
    // 8-byte alignment: health.seq and the copy are 64-bit atomic loads.
    if l.health_size < 8
        || l.health_offset % 8 != 0
        || l.health_offset as u64 + l.health_size as u64 > l.region_size as u64
    {
        return Err(EBADMSG);
    }
    if (l.record_size as usize) < RECORD_SIZE_V1 || !is_pow2(l.record_size as u64) {
        return Err(EBADMSG);
    }
    if !is_pow2(l.ring_entries as u64) || l.ring_mask != l.ring_entries.wrapping_sub(1) {
        return Err(EBADMSG);
    }
    let ring_bytes = l.ring_entries as u64 * l.record_size as u64;
    if l.ring_offset % 8 != 0 || l.ring_offset as u64 + ring_bytes > l.region_size as u64 {
        return Err(EBADMSG);
    }
    let (hdr, hoff, hsize, roff) = (
        l.header_size as u64,
        l.health_offset as u64,
        l.health_size as u64,
        l.ring_offset as u64,
    );
    if overlaps(0, hdr, hoff, hsize)
        || overlaps(0, hdr, roff, ring_bytes)
        || overlaps(hoff, hsize, roff, ring_bytes)
    {
        return Err(EBADMSG);
    }
    Ok(l)
}

/// lib/handle.c's timens_offset(): the caller's time namespace offset of
/// CLOCK_MONOTONIC from /proc/self/timens_offsets, and whether it is
/// unknown (no /proc: 0 assumed). A kernel without time namespaces has no
/// such file, and no offset.
fn timens_offset() -> (u64, bool) {
    let text = match std::fs::read("/proc/self/timens_offsets") {
        Ok(t) => t,
        Err(_) => return (0, !Path::new("/proc/self").exists()),
    };
    for line in text.split(|&c| c == b'\n') {
        if let Some((sec, nsec)) = scan_monotonic(line) {
            let off = (sec as u64).wrapping_mul(1_000_000_000).wrapping_add(nsec as u64);
            return (off, false);
        }
    }
    (0, false)
}

/// sscanf(line, "monotonic %lld %lld") == 2.
fn scan_monotonic(line: &[u8]) -> Option<(i64, i64)> {
    let rest = line.strip_prefix(b"monotonic")?;
    let (sec, rest) = scan_lld(rest)?;
    let (nsec, _) = scan_lld(rest)?;
    Some((sec, nsec))
}

/// One %lld: blanks, an optional sign, decimal digits (saturating, as
/// glibc's strtoll does on overflow).
fn scan_lld(s: &[u8]) -> Option<(i64, &[u8])> {
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c') {
        i += 1;
    }
    let neg = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let start = i;
    let mut v: i128 = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        v = (v * 10 + (s[i] - b'0') as i128).min(i64::MAX as i128 + 1);
        i += 1;
    }
    if i == start {
        return None;
    }
    let v = if neg { -v } else { v };
    Some((v.clamp(i64::MIN as i128, i64::MAX as i128) as i64, &s[i..]))
}

/// An open tsmon region: the mapped ring and health block, and the clock
/// model settings.
///
/// Everything but the settings is fixed at open; the settings are single
/// atomic words. Any number of threads may read through one handle at once
/// (it is `Send + Sync`); cursors and forward-clock states are the
/// caller's. Reads make no system call (the clock comes from the vDSO),
/// take no lock and allocate nothing.
pub struct Tsmon {
    pub(crate) map: Mapping,
    file: File,
    chardev: bool,
    pub(crate) health_off: usize,
    /// min(health_size, size_of::<Health>())
    pub(crate) health_copy: usize,
    /// The health block holds the clock line.
    pub(crate) clock_line: bool,
    /// The block has body_seq; otherwise seq covers all of it.
    pub(crate) has_body_seq: bool,
    pub(crate) ring_off: usize,
    pub(crate) record_size: usize,
    pub(crate) ring_entries: u64,
    pub(crate) ring_mask: u64,
    pub(crate) info: Info,
    /// The caller's CLOCK_MONOTONIC minus the module's (two's complement).
    pub(crate) timens_offset: u64,
    pub(crate) drift_ppb: AtomicU64,
    pub(crate) cooldown_ns: AtomicU64,
    pub(crate) spin_limit_ns: AtomicU64,
    pub(crate) stale_factor: AtomicU32,
}

impl Tsmon {
    /// Opens and maps `path` (default /dev/tsmon), as tsmon_open() does: a
    /// region file maps like the device. Fails with the errno libtsmon
    /// gives: -EBADMSG for a malformed header or a file shorter than its
    /// region, -EPROTONOSUPPORT for another ABI version, open(2)'s,
    /// fstat(2)'s and mmap(2)'s errors negated.
    pub fn open(path: Option<&Path>) -> Result<Tsmon> {
        let path = path.unwrap_or_else(|| Path::new(DEVICE_PATH));
        // O_RDONLY | O_CLOEXEC, as std opens every file.
        let file = File::open(path).map_err(|e| Error::from_io(&e))?;
        let meta = file.metadata().map_err(|e| Error::from_io(&e))?;

        // Touching a page past the end of a file raises SIGBUS: make sure
        // the file holds what the header claims before reading it. A
        // device reports size 0 and sizes its own mapping.
        let regular = meta.file_type().is_file();
        if regular && meta.len() < HEADER_SIZE_V1 as u64 {
            return Err(EBADMSG);
        }
        let l = {
            let hdr = Mapping::map(&file, HEADER_SIZE_V1)?;
            parse_header(hdr.header())?
        };
        if regular && meta.len() < l.region_size as u64 {
            return Err(EBADMSG);
        }
        let map = Mapping::map(&file, l.region_size as usize)?;
        // A file may have been rewritten between the two mappings.
        let full = parse_header(map.header())?;
        if full.region_size != l.region_size {
            return Err(EBADMSG);
        }
        let chardev = meta.file_type().is_char_device();
        Ok(Tsmon::new(map, file, chardev, &full))
    }

    fn new(map: Mapping, file: File, chardev: bool, l: &Layout) -> Tsmon {
        let health_size = l.health_size as usize;
        let (timens, unknown) = timens_offset();
        let info = Info {
            abi_version: l.abi_version,
            header_size: l.header_size,
            health_size: l.health_size,
            record_size: l.record_size,
            ring_entries: l.ring_entries,
            region_size: l.region_size,
            instance_id: l.instance_id,
            load_real_ns: l.load_real_ns,
            load_mono_ns: l.load_mono_ns,
            timens_mono_offset_ns: timens,
            flags: if unknown { INFO_TIMENS_UNKNOWN } else { 0 },
            __reserved: 0,
        };
        Tsmon {
            map,
            file,
            chardev,
            health_off: l.health_offset as usize,
            health_copy: health_size.min(core::mem::size_of::<Health>()),
            clock_line: health_size >= HEALTH_CLOCK_LINE,
            // A module without body_seq covers the whole block with seq.
            has_body_seq: health_size >= H_BODY_SEQ + 8,
            ring_off: l.ring_offset as usize,
            record_size: l.record_size as usize,
            ring_entries: l.ring_entries as u64,
            ring_mask: l.ring_mask as u64,
            info,
            timens_offset: timens,
            drift_ppb: AtomicU64::new(crate::DRIFT_DEFAULT_PPB),
            cooldown_ns: AtomicU64::new(crate::COOLDOWN_DEFAULT_NS),
            spin_limit_ns: AtomicU64::new(crate::SPIN_LIMIT_DEFAULT_NS),
            stale_factor: AtomicU32::new(crate::STALE_FACTOR_DEFAULT),
        }
    }

    /// Layout facts of the region, and the caller's time namespace offset
    /// (tsmon_get_info()).
    pub fn info(&self) -> Info {
        self.info
    }

    /// Whether the handle maps the device (rather than a region file).
    pub fn is_device(&self) -> bool {
        self.chardev
    }
}

impl AsRawFd for Tsmon {
    /// The open file (tsmon_fd()): for poll(2) and read(2) on the device.
    fn as_raw_fd(&self) -> RawFd {
        self.file.as_raw_fd()
    }
}

impl core::fmt::Debug for Tsmon {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Tsmon").field("info", &self.info).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_like_sscanf() {
        assert_eq!(scan_monotonic(b"monotonic 0 0"), Some((0, 0)));
        assert_eq!(scan_monotonic(b"monotonic   -5   +7 junk"), Some((-5, 7)));
        assert_eq!(scan_monotonic(b"monotonic\t12\t3"), Some((12, 3)));
        assert_eq!(scan_monotonic(b"boottime 1 2"), None);
        assert_eq!(scan_monotonic(b" monotonic 1 2"), None);
        assert_eq!(scan_monotonic(b"monotonic 1"), None);
        assert_eq!(scan_monotonic(b"monotonic x 1"), None);
    }

    #[test]
    fn pow2_and_overlaps() {
        assert!(!is_pow2(0));
        assert!(is_pow2(1) && is_pow2(64) && !is_pow2(96));
        assert!(overlaps(0, 192, 100, 8));
        assert!(!overlaps(0, 192, 192, 8));
    }
}
