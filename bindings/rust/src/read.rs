// SPDX-License-Identifier: LGPL-2.1-or-later
//! Read paths: the health block and the event ring (lib/read.c). Nothing
//! here makes a system call (but for the vDSO clock of the spin limit),
//! takes a lock or allocates.

use core::sync::atomic::Ordering::{Acquire, Relaxed};
use core::sync::atomic::{fence, AtomicU64};

use crate::abi::*;
use crate::error::{Result, EAGAIN, EINVAL, ESTALE};
use crate::handle::Tsmon;
use crate::pod::{self, Pod};
use crate::sys::mono_now;

/// Retries a read makes before it looks at the clock: a live writer holds
/// a count odd for well under a microsecond.
const SPIN_FAST: u32 = 64;

/// A reader waiting for a writer to finish an update: spins SPIN_FAST
/// times, then until the handle's spin limit has passed on the clock.
pub(crate) struct Spin {
    n: u32,
    deadline: u64,
}

impl Spin {
    pub(crate) fn new() -> Spin {
        Spin { n: 0, deadline: 0 }
    }

    /// False once the reader should give up with -EAGAIN.
    #[inline]
    pub(crate) fn again(&mut self, t: &Tsmon) -> bool {
        core::hint::spin_loop();
        self.n = self.n.wrapping_add(1);
        if self.n < SPIN_FAST {
            return true;
        }
        let now = mono_now();
        if self.deadline == 0 {
            self.deadline = now.wrapping_add(t.spin_limit_ns.load(Relaxed));
        }
        now < self.deadline
    }
}

/// Where a new cursor starts (enum tsmon_whence).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Whence {
    /// The oldest record still in the ring.
    Oldest = 0,
    /// The next record to be published.
    Now = 1,
    /// A given sequence number.
    Seq = 2,
}

/// struct tsmon_cursor: a reader's position in the ring, made by
/// [`Tsmon::cursor_init`]. Used with another module instance it gives
/// -ESTALE.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub(crate) next: u64,
    pub(crate) instance_id: u64,
    pub(crate) __reserved: [u64; 2],
}

// SAFETY: repr(C), u64 fields.
unsafe impl Pod for Cursor {}

impl Cursor {
    /// Sequence number of the next record wanted.
    pub fn next(&self) -> u64 {
        self.next
    }

    /// The region's instance id when the cursor was set up.
    pub fn instance_id(&self) -> u64 {
        self.instance_id
    }

    /// A position saved earlier (`next()`, `instance_id()`), e.g. across
    /// a restart of the reader. Nothing is checked here: [`Tsmon::next`]
    /// checks it as tsmon_next() checks a caller's struct (-EINVAL for
    /// next 0, -ESTALE for another module instance).
    pub fn from_raw(next: u64, instance_id: u64) -> Cursor {
        Cursor { next, instance_id, __reserved: [0; 2] }
    }

    /// The structure's bytes, as struct tsmon_cursor holds them.
    pub fn as_bytes(&self) -> &[u8] {
        pod::bytes(self)
    }
}

/// Copies `dst.len()` bytes from the region at `off` with atomic loads:
/// the writer may be storing to the same words, and the caller's sequence
/// check decides whether the result is kept.
#[inline]
fn copy_body(t: &Tsmon, dst: &mut [u8], off: usize) {
    let words = dst.len() / 8;
    for (d, s) in dst.chunks_exact_mut(8).zip(t.map.words(off, words)) {
        d.copy_from_slice(&s.load(Relaxed).to_ne_bytes());
    }
    let tail = &mut dst[words * 8..];
    let n = tail.len();
    if n != 0 {
        for (d, s) in tail.iter_mut().zip(t.map.bytes(off + words * 8, n)) {
            *d = s.load(Relaxed);
        }
    }
}

impl Tsmon {
    /// A consistent copy of the health block (tsmon_health()): what the
    /// module fills, at most this version's structure, the rest zero.
    pub fn health(&self) -> Result<Health> {
        let mut h = Health::zeroed();
        self.health_into(h.as_bytes_mut())?;
        Ok(h)
    }

    /// tsmon_health_sz(): copies into `out` as into a struct tsmon_health
    /// of `out.len()` bytes: min(that, this version's, the module's) bytes
    /// are filled and the rest of `out` zeroed. -EINVAL below 8 bytes.
    pub fn health_into(&self, out: &mut [u8]) -> Result<()> {
        let size = out.len();
        if size < 8 {
            return Err(EINVAL);
        }
        let n = size.min(self.health_copy);
        let seq = &self.map.words(self.health_off, 1)[0];
        let body_seq: Option<&AtomicU64> = if self.has_body_seq {
            Some(&self.map.words(self.health_off + H_BODY_SEQ, 1)[0])
        } else {
            None
        };
        let mut spin = crate::read::Spin::new();
        loop {
            // Pairs with the smp_wmb() the writer issues before it makes
            // the counts even: even values seen here mean the fields
            // stored before them are visible.
            let begin = seq.load(Acquire);
            let body_begin = body_seq.map_or(0, |b| b.load(Acquire));
            if (begin | body_begin) & 1 == 0 {
                copy_body(self, &mut out[8..n], self.health_off + 8);
                // Pairs with the smp_wmb() between the writer's odd counts
                // and the fields: if the copy saw any word of a newer
                // update, the reloads below see that update's odd (or a
                // later) count.
                fence(Acquire);
                if seq.load(Relaxed) == begin && body_seq.map_or(true, |b| b.load(Relaxed) == body_begin) {
                    out[..8].copy_from_slice(&begin.to_ne_bytes());
                    // An older module or library fills less: the rest reads 0.
                    out[n..].fill(0);
                    return Ok(());
                }
            }
            if !spin.again(self) {
                return Err(EAGAIN);
            }
        }
    }

    /// Sequence number of the newest published record, 0 if none.
    pub fn head(&self) -> u64 {
        // Pairs with the writer's smp_store_release(&hdr->head, seq), which
        // follows smp_store_release(&rec->seq, seq): once a head value is
        // seen, the seq and body of every record up to it are visible too.
        self.map.header().head.load(Acquire)
    }

    /// Sequence of the oldest record a ring whose newest is `head` holds.
    fn oldest_seq(&self, head: u64) -> u64 {
        if head >= self.ring_entries {
            head - self.ring_entries + 1
        } else {
            1
        }
    }

    /// A new cursor (tsmon_cursor_init()): at the oldest record still held,
    /// at the next one to be published, or at `seq` (-EINVAL for 0). `seq`
    /// is used with `Whence::Seq` only.
    pub fn cursor_init(&self, whence: Whence, seq: u64) -> Result<Cursor> {
        let next = match whence {
            Whence::Oldest => self.oldest_seq(self.head()),
            Whence::Now => self.head().wrapping_add(1),
            Whence::Seq if seq == 0 => return Err(EINVAL),
            Whence::Seq => seq,
        };
        Ok(Cursor { next, instance_id: self.info.instance_id, __reserved: [0; 2] })
    }

    /// The record `c.next()` (tsmon_next()), the cursor moved past it; or
    /// a lost-record report (type EVENT_LOST, `lost().count` records
    /// starting at its seq, times 0) when the writer overwrote what the
    /// cursor wanted. -EAGAIN: not published yet (nothing changed);
    /// -ESTALE: a cursor of another module instance; -EINVAL: next 0.
    pub fn next(&self, c: &mut Cursor) -> Result<Record> {
        let mut rec = Record::zeroed();
        self.next_into(c, rec.as_bytes_mut())?;
        Ok(rec)
    }

    /// tsmon_next_sz(): as [`next`](Self::next), into a struct
    /// tsmon_record of `out.len()` bytes (at least 64, else -EINVAL):
    /// min(that, this version's, the module's record size) bytes filled,
    /// the rest zeroed.
    pub fn next_into(&self, c: &mut Cursor, out: &mut [u8]) -> Result<()> {
        let size = out.len();
        if c.next == 0 || size < RECORD_SIZE_V1 {
            return Err(EINVAL);
        }
        // Sequence numbers of another module instance mean nothing here.
        if c.instance_id != self.info.instance_id {
            return Err(ESTALE);
        }
        // min(caller, library, region): record_size >= 64 was checked.
        let n = size.min(core::mem::size_of::<Record>()).min(self.record_size);
        let want = c.next;

        let head = self.head();
        if want > head {
            return Err(EAGAIN);
        }
        let oldest = self.oldest_seq(head);
        if want < oldest {
            report_lost(c, out, oldest);
            return Ok(());
        }

        let off = self.ring_off + ((want & self.ring_mask) * self.record_size as u64) as usize;
        let seq = &self.map.words(off, 1)[0];
        // Pairs with the writer's smp_store_release(&rec->seq, seq): seeing
        // our sequence number here makes the body stored before it visible.
        if seq.load(Acquire) == want {
            copy_body(self, &mut out[8..n], off + 8);
            // Pairs with the writer's smp_wmb() between storing 0 into
            // rec->seq and the new body: if the copy read any word of a
            // later record in this slot, the reload sees 0 or that
            // record's sequence, never ours.
            fence(Acquire);
            if seq.load(Relaxed) == want {
                out[..8].copy_from_slice(&want.to_ne_bytes());
                out[n..].fill(0);
                c.next = want.wrapping_add(1);
                return Ok(());
            }
        }

        // The writer lapped us between the head load and the copy: resume
        // at the oldest record a fresh head leaves in the ring, and at
        // least one past the one we missed (the head lags the slot by one
        // record while the writer fills it).
        let oldest = self.oldest_seq(self.head());
        report_lost(c, out, if oldest > want { oldest } else { want.wrapping_add(1) });
        Ok(())
    }
}

/// Fills `out` with the report of records c.next .. resume - 1, which the
/// writer overwrote before this reader got to them, and moves past them.
fn report_lost(c: &mut Cursor, out: &mut [u8], resume: u64) {
    out.fill(0);
    out[..8].copy_from_slice(&c.next.to_ne_bytes());
    out[REC_TYPE..REC_TYPE + 4].copy_from_slice(&EVENT_LOST.to_ne_bytes());
    out[REC_LOST_COUNT..REC_LOST_COUNT + 8].copy_from_slice(&resume.wrapping_sub(c.next).to_ne_bytes());
    c.next = resume;
}
