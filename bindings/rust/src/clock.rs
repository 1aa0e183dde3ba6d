// SPDX-License-Identifier: LGPL-2.1-or-later
//! The bounded clock (lib/clock.c): CLOCK_REALTIME together with how far
//! it may be from true time and whether that figure can be trusted, from
//! the health block's first cache line and one CLOCK_MONOTONIC read.
//!
//! REALTIME is a MONOTONIC read plus the line's offset, which changes only
//! when the clock is stepped: reading MONOTONIC inside the sequence count
//! window ties the time, the bound and the status to one instant. The
//! bound is the maxerror the synchronisation daemon last reported, grown
//! by the worst drift the caller assumes for the time since.

use core::sync::atomic::Ordering::{Acquire, Relaxed};
use core::sync::atomic::{fence, AtomicU64};

use crate::abi::*;
use crate::error::{Result, EAGAIN, EINVAL, EOPNOTSUPP};
use crate::handle::Tsmon;
use crate::pod::{self, Pod};
use crate::read::Spin;
use crate::sys::mono_now;

const NSEC_PER_SEC: u64 = 1_000_000_000;

/* enum tsmon_clock_status */
/// No NTP state seen, or the hook is missing.
pub const CLOCK_UNKNOWN: u32 = 0;
/// Synchronised, with a bound.
pub const CLOCK_SYNCHRONIZED: u32 = 1;
/// Unsynchronised, or sync updates stale.
pub const CLOCK_FREE_RUNNING: u32 = 2;
/// Within the cooldown after a disruption, or no sync update since it.
pub const CLOCK_DISRUPTED: u32 = 3;

/* Time::flags: why the status is what it is. */
/// NTP hook not attached.
pub const TIME_NO_HOOK: u32 = 1 << 0;
/// No adjtimex call seen yet.
pub const TIME_NO_CAPTURE: u32 = 1 << 1;
/// No sync update seen yet.
pub const TIME_NO_SYNC: u32 = 1 << 2;
/// STA_UNSYNC or STA_CLOCKERR set.
pub const TIME_UNSYNC: u32 = 1 << 3;
/// Last sync update too old.
pub const TIME_STALE: u32 = 1 << 4;
/// Disruption within the cooldown.
pub const TIME_COOLDOWN: u32 = 1 << 5;
/// No bound known: bound_ns = u64::MAX.
pub const TIME_UNBOUNDED: u32 = 1 << 6;
/// forward_now() held time still.
pub const TIME_HELD: u32 = 1 << 7;
/// The sync source asserted no error (maxerror 0), no budget declared.
pub const TIME_NO_ERROR: u32 = 1 << 8;
/// Past a pending leap second's instant, before the tick that applies it.
pub const TIME_LEAP_EDGE: u32 = 1 << 9;

/// Default drift assumed since the last sync update: 50 ppm.
pub const DRIFT_DEFAULT_PPB: u64 = 50_000;
/// The kernel's maxerror growth rule.
pub const DRIFT_KERNEL_PPB: u64 = 500_000;
/// Default cooldown after a disruption: 5 s.
pub const COOLDOWN_DEFAULT_NS: u64 = 5_000_000_000;
/// Default: sync updates are stale past 4 intervals.
pub const STALE_FACTOR_DEFAULT: u32 = 4;
/// The staleness limit while no interval is known.
pub const STALE_UNKNOWN_NS: u64 = 2_048_000_000_000;
/// The largest drift: 100 %, the clock could stand still.
pub const DRIFT_MAX_PPB: u64 = 1_000_000_000;
/// How long a read waits for a writer stopped inside an update.
pub const SPIN_LIMIT_DEFAULT_NS: u64 = 200_000;

/// struct tsmon_time: a bounded read of CLOCK_REALTIME.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Time {
    /// CLOCK_REALTIME.
    pub real_ns: u64,
    /// The CLOCK_MONOTONIC it was derived from (the caller's namespace).
    pub mono_ns: u64,
    /// real_ns - bound_ns, 0 if that underflows.
    pub earliest_ns: u64,
    /// real_ns + bound_ns, u64::MAX if unbounded.
    pub latest_ns: u64,
    /// u64::MAX when no bound is known.
    pub bound_ns: u64,
    /// Since the last sync update, u64::MAX if none.
    pub sync_age_ns: u64,
    /// forward_now(): how far real_ns is ahead of the clock.
    pub held_ns: u64,
    /// CLOCK_* status.
    pub status: u32,
    /// TIME_* flags.
    pub flags: u32,
}

// SAFETY: repr(C), u32/u64 fields, no padding (tests/layout.rs).
unsafe impl Pod for Time {}

impl Time {
    /// What tsmon_one_way_valid() decides for this read: synchronised,
    /// bounded, and the bound at most `max_bound_ns`.
    pub fn one_way_valid(&self, max_bound_ns: u64) -> bool {
        // SYNCHRONIZED always comes with a bound today; the flag check
        // keeps a limit of u64::MAX from ever accepting "unknown".
        self.status == CLOCK_SYNCHRONIZED && self.flags & TIME_UNBOUNDED == 0 && self.bound_ns <= max_bound_ns
    }

    /// The structure's bytes, as struct tsmon_time holds them.
    pub fn as_bytes(&self) -> &[u8] {
        pod::bytes(self)
    }
}

/// struct tsmon_forward: the state of a forward-only clock. One state
/// may be shared by any number of threads (it is updated with a
/// compare-and-swap); separate states are independent clocks.
#[repr(C)]
#[derive(Debug, Default)]
pub struct Forward {
    pub(crate) last_ns: AtomicU64,
    pub(crate) __reserved: [u64; 3],
}

impl Forward {
    /// A fresh state (zero), usable in a `static`.
    pub const fn new() -> Forward {
        Forward { last_ns: AtomicU64::new(0), __reserved: [0; 3] }
    }

    /// The largest time handed out through this state so far.
    pub fn last_ns(&self) -> u64 {
        self.last_ns.load(Relaxed)
    }
}

/// Health cache line 0 after seq: what a clock read uses.
struct Line {
    offs_real_ns: u64,
    sync_mono_ns: u64,
    sync_maxerror_ns: u64,
    sync_interval_ns: u64,
    disrupt_mono_ns: u64,
    disrupt_type: u32,
    ntp_status: u32,
    hooks: u32,
    ntp_state: u32,
    /// Read only while ntp_state is not TIME_OK: a leap may be due.
    leap_state: u32,
    leap_real_ns: u64,
}

/// `a` plus the two's complement `offs`, clamped to [0, u64::MAX].
#[inline(always)]
fn add_offset(a: u64, offs: u64) -> u64 {
    if offs as i64 >= 0 {
        return a.checked_add(offs).unwrap_or(u64::MAX);
    }
    // -offs is the magnitude, also for i64::MIN.
    if a > offs.wrapping_neg() {
        a.wrapping_add(offs)
    } else {
        0
    }
}

/// maxerror + age * ppb / 1e9, rounded down, or u64::MAX when that does
/// not fit. Past 64 bits the age is split into whole seconds and the rest,
/// which is exact: ppb <= 1e9 keeps the rest's product under 1e18.
#[inline(always)]
fn grow_bound(maxerror: u64, age: u64, ppb: u64) -> u64 {
    if let Some(p) = age.checked_mul(ppb) {
        return match maxerror.checked_add(p / NSEC_PER_SEC) {
            Some(r) if r != u64::MAX => r,
            _ => u64::MAX,
        };
    }
    let b = (age / NSEC_PER_SEC) as u128 * ppb as u128
        + ((age % NSEC_PER_SEC) * ppb / NSEC_PER_SEC) as u128
        + maxerror as u128;
    if b >= u64::MAX as u128 {
        u64::MAX
    } else {
        b as u64
    }
}

/// The common case on a straight path: NTP state known and synchronised,
/// sync updates fresh, no disruption since the last one or within the
/// cooldown, no arithmetic near its limits. None for anything else, for
/// evaluate() to take every rule one by one.
#[inline(always)]
fn evaluate_common(l: &Line, mono: u64, drift: u64, cooldown: u64, factor: u32) -> Option<Time> {
    let (sync, d) = (l.sync_mono_ns, l.disrupt_mono_ns);
    if l.hooks & HOOK_ADJTIMEX == 0
        || l.ntp_state != TIME_OK
        || l.ntp_status & (STA_UNSYNC | STA_CLOCKERR) != 0
        || sync == 0
        || mono < sync
        || d > sync
        || (d != 0 && mono - d < cooldown)
    {
        return None;
    }
    let age = mono - sync;
    // No interval known yet gives limit 0: the fixed limit applies then,
    // which the full rules handle (and at age 0 both agree).
    match (factor as u64).checked_mul(l.sync_interval_ns) {
        Some(limit) if age <= limit => {}
        _ => return None,
    }
    let bound = l.sync_maxerror_ns.checked_add(age.checked_mul(drift)? / NSEC_PER_SEC)?;
    if (l.offs_real_ns as i64) < 0 {
        return None;
    }
    let real = mono.checked_add(l.offs_real_ns)?;
    if real < bound {
        return None;
    }
    let latest = real.checked_add(bound)?;
    if latest == u64::MAX {
        return None;
    }
    Some(Time {
        real_ns: real,
        mono_ns: mono,
        earliest_ns: real - bound,
        latest_ns: latest,
        bound_ns: bound,
        sync_age_ns: age,
        held_ns: 0,
        status: CLOCK_SYNCHRONIZED,
        flags: 0,
    })
}

/// A leap second is applied by the first tick at or after its instant;
/// until then REALTIME reads a whole second off true UTC. The edge lasts
/// until the health block says the leap happened.
#[inline]
fn leap_edge(l: &Line, real: u64) -> bool {
    let day = 86400 * NSEC_PER_SEC;
    if l.leap_state == LEAP_INSERT_PENDING || l.leap_state == LEAP_DELETE_PENDING {
        return l.leap_real_ns != 0 && real >= l.leap_real_ns;
    }
    // TIME_DEL with no deletion announced: the kernel's schedule may have
    // been dropped before tsmon saw it, or not. It would be the last
    // second of the day.
    if l.ntp_state == TIME_DEL {
        return real % day >= day - NSEC_PER_SEC;
    }
    // TIME_INS and nothing in the timekeeper: ntp_clear() dropped it.
    false
}

impl Tsmon {
    /// Copies line 0 under the sequence count, field by field. With
    /// `read_clock`, the module's MONOTONIC is read after the copy and
    /// before the count is checked again: the copy was current when the
    /// clock was read, or the whole read is redone.
    #[inline(always)]
    fn read_line(&self, read_clock: bool) -> Result<(Line, u64)> {
        let h = self.map.line(self.health_off);
        let mut spin = Spin::new();
        loop {
            // Pairs with the writer's smp_wmb() before seq turns even.
            let begin = h.seq.load(Acquire);
            if begin & 1 == 0 {
                let mut l = Line {
                    offs_real_ns: h.offs_real_ns.load(Relaxed),
                    sync_mono_ns: h.sync_mono_ns.load(Relaxed),
                    sync_maxerror_ns: h.sync_maxerror_ns.load(Relaxed),
                    sync_interval_ns: h.sync_interval_ns.load(Relaxed),
                    disrupt_mono_ns: h.disrupt_mono_ns.load(Relaxed),
                    disrupt_type: h.disrupt_type.load(Relaxed),
                    ntp_status: h.ntp_status.load(Relaxed),
                    hooks: h.hooks.load(Relaxed),
                    ntp_state: h.ntp_state.load(Relaxed),
                    leap_state: LEAP_NONE,
                    leap_real_ns: 0,
                };
                // Another cache line, on the days a leap second is due
                // only; seq covers these two as well.
                if l.ntp_state != TIME_OK {
                    (l.leap_state, l.leap_real_ns) = self.leap_fields();
                }
                // The module's MONOTONIC: the caller may be in a time namespace.
                let mono = if read_clock { mono_now().wrapping_sub(self.timens_offset) } else { 0 };
                // Pairs with the writer's smp_wmb() after seq turns odd: a
                // field of a newer update seen above means the reload sees
                // that update's seq.
                fence(Acquire);
                if h.seq.load(Relaxed) == begin {
                    return Ok((l, mono));
                }
            }
            if !spin.again(self) {
                return Err(EAGAIN);
            }
        }
    }

    /// health.leap_state and leap_real_ns, relaxed (read_line's seq
    /// covers them). libtsmon reads them whatever health_size says; where
    /// they would lie outside the region they read as 0 here.
    #[inline(never)]
    fn leap_fields(&self) -> (u32, u64) {
        let (s, r) = (self.health_off + H_LEAP_STATE, self.health_off + H_LEAP_REAL_NS);
        let state = if self.map.contains(s, 4) { self.map.u32s(s, 1)[0].load(Relaxed) } else { 0 };
        let real = if self.map.contains(r, 8) { self.map.words(r, 1)[0].load(Relaxed) } else { 0 };
        (state, real)
    }

    #[inline(always)]
    fn evaluate(&self, l: &Line, mono: u64) -> Time {
        let drift = self.drift_ppb.load(Relaxed);
        let cooldown = self.cooldown_ns.load(Relaxed);
        let factor = self.stale_factor.load(Relaxed);

        let real = add_offset(mono, l.offs_real_ns);
        if let Some(t) = evaluate_common(l, mono, drift, cooldown, factor) {
            return t;
        }
        self.evaluate_rules(l, mono, real, drift, cooldown, factor)
    }

    /// Every rule one by one (lib/clock.c's evaluate() past the common case).
    #[inline(never)]
    fn evaluate_rules(&self, l: &Line, mono: u64, real: u64, drift: u64, cooldown: u64, factor: u32) -> Time {
        let mut flags = 0u32;

        if l.hooks & HOOK_ADJTIMEX == 0 {
            flags |= TIME_NO_HOOK;
        }
        if l.ntp_state == NTP_STATE_UNKNOWN {
            flags |= TIME_NO_CAPTURE;
        }
        // Before the last disruption REALTIME had another offset, which the
        // line no longer holds: such an instant counts as within the
        // cooldown, and has no bound (below).
        let before = l.disrupt_mono_ns != 0 && mono < l.disrupt_mono_ns;
        if before || (l.disrupt_mono_ns != 0 && mono.wrapping_sub(l.disrupt_mono_ns) < cooldown) {
            flags |= TIME_COOLDOWN;
        }
        if l.ntp_status & (STA_UNSYNC | STA_CLOCKERR) != 0 {
            flags |= TIME_UNSYNC;
        }
        if l.ntp_state != TIME_OK && leap_edge(l, real) {
            flags |= TIME_LEAP_EDGE;
        }

        let age;
        if l.sync_mono_ns == 0 {
            flags |= TIME_NO_SYNC;
            age = u64::MAX;
        } else {
            // An instant before the update is as far from it as one after.
            age = if mono > l.sync_mono_ns { mono - l.sync_mono_ns } else { l.sync_mono_ns - mono };
            // A limit past 64 bits is never reached.
            let stale = if l.sync_interval_ns != 0 {
                matches!((factor as u64).checked_mul(l.sync_interval_ns), Some(limit) if age > limit)
            } else {
                age > STALE_UNKNOWN_NS
            };
            if stale {
                flags |= TIME_STALE;
            }
        }

        // A step, resume or clocksource change after the last sync update
        // moved the clock by an amount no measurement has covered. A leap
        // second moves REALTIME by exactly what UTC prescribes.
        let unmeasured =
            l.sync_mono_ns != 0 && l.disrupt_mono_ns > l.sync_mono_ns && l.disrupt_type != EVENT_LEAP_APPLIED;
        // The source asserted no error, and no budget stands in for it.
        if l.sync_mono_ns != 0 && l.sync_maxerror_ns == SYNC_ERROR_UNKNOWN {
            flags |= TIME_NO_ERROR;
        }
        let bound =
            if l.sync_mono_ns == 0 || unmeasured || before || flags & (TIME_NO_ERROR | TIME_LEAP_EDGE) != 0 {
                u64::MAX
            } else {
                grow_bound(l.sync_maxerror_ns, age, drift)
            };
        if bound == u64::MAX {
            flags |= TIME_UNBOUNDED;
        }

        let status = if flags & (TIME_NO_HOOK | TIME_NO_CAPTURE) != 0 {
            CLOCK_UNKNOWN
        } else if flags & (TIME_COOLDOWN | TIME_LEAP_EDGE) != 0 {
            CLOCK_DISRUPTED
        } else if flags & (TIME_UNSYNC | TIME_NO_SYNC | TIME_STALE) != 0 {
            CLOCK_FREE_RUNNING
        } else if unmeasured {
            // Past the cooldown, a clock nothing has measured since it
            // moved is still the disrupted one.
            CLOCK_DISRUPTED
        } else if flags & TIME_NO_ERROR != 0 {
            // Disciplined, error unknown: nothing to take for a bound.
            CLOCK_UNKNOWN
        } else {
            CLOCK_SYNCHRONIZED
        };

        let (earliest, latest) = if bound == u64::MAX {
            (0, u64::MAX)
        } else {
            (real.saturating_sub(bound), real.checked_add(bound).unwrap_or(u64::MAX))
        };
        Time {
            real_ns: real,
            mono_ns: mono,
            earliest_ns: earliest,
            latest_ns: latest,
            bound_ns: bound,
            sync_age_ns: age,
            held_ns: 0,
            status,
            flags,
        }
    }

    /// A clock read; mono_ns goes back to the caller's time namespace.
    #[inline(always)]
    fn clock_read(&self) -> Result<Time> {
        if !self.clock_line {
            return Err(EOPNOTSUPP);
        }
        let (l, mono) = self.read_line(true)?;
        let mut t = self.evaluate(&l, mono);
        t.mono_ns = t.mono_ns.wrapping_add(self.timens_offset);
        Ok(t)
    }

    /// CLOCK_REALTIME now, with its error bound and status (tsmon_now()).
    /// -EAGAIN: the writer stayed inside an update for the spin limit;
    /// -EOPNOTSUPP: the health block is shorter than its clock line.
    pub fn now(&self) -> Result<Time> {
        self.clock_read()
    }

    /// The clock as the health block describes it at `mono_ns`, a
    /// CLOCK_MONOTONIC of the caller's namespace (tsmon_now_at()).
    pub fn now_at(&self, mono_ns: u64) -> Result<Time> {
        if !self.clock_line {
            return Err(EOPNOTSUPP);
        }
        let (l, _) = self.read_line(false)?;
        // mono_ns is the caller's; the line holds the module's.
        let mut t = self.evaluate(&l, mono_ns.wrapping_sub(self.timens_offset));
        t.mono_ns = mono_ns;
        Ok(t)
    }

    /// tsmon_one_way_valid(): whether a timestamp taken now may be used
    /// for a one-way decision (synchronised, bounded within
    /// `max_bound_ns`), and the read it is based on.
    pub fn one_way_valid(&self, max_bound_ns: u64) -> Result<(bool, Time)> {
        let t = self.clock_read()?;
        Ok((t.one_way_valid(max_bound_ns), t))
    }

    /// tsmon_forward_now(): [`now`](Self::now), but real_ns never below
    /// what `f` handed out before. While the clock is behind, time stands
    /// still (TIME_HELD, held_ns says by how much); the bound and status
    /// describe the clock as read.
    pub fn forward_now(&self, f: &Forward) -> Result<Time> {
        let mut t = self.clock_read()?;
        // last_ns only grows and publishes no other memory: relaxed order
        // is enough, coherence of the one atomic keeps a call from loading
        // a value older than one an earlier call loaded or stored.
        let mut last = f.last_ns.load(Relaxed);
        while t.real_ns > last {
            match f.last_ns.compare_exchange_weak(last, t.real_ns, Relaxed, Relaxed) {
                Ok(_) => return Ok(t),
                Err(cur) => last = cur,
            }
        }
        if t.real_ns < last {
            // Earliest and latest still describe the clock as read.
            t.held_ns = last - t.real_ns;
            t.real_ns = last;
            t.flags |= TIME_HELD;
        }
        Ok(t)
    }

    /// The drift assumed since the last sync update, in ppb (at most
    /// DRIFT_MAX_PPB, else -EINVAL).
    pub fn set_drift(&self, ppb: u64) -> Result<()> {
        if ppb > DRIFT_MAX_PPB {
            return Err(EINVAL);
        }
        self.drift_ppb.store(ppb, Relaxed);
        Ok(())
    }

    /// How long after a disruption the clock counts as disrupted.
    pub fn set_cooldown(&self, ns: u64) -> Result<()> {
        self.cooldown_ns.store(ns, Relaxed);
        Ok(())
    }

    /// Sync updates older than `factor` intervals are stale (0: -EINVAL).
    pub fn set_stale_factor(&self, factor: u32) -> Result<()> {
        if factor == 0 {
            return Err(EINVAL);
        }
        self.stale_factor.store(factor, Relaxed);
        Ok(())
    }

    /// How long a read waits for a writer stopped inside an update.
    pub fn set_spin_limit(&self, ns: u64) -> Result<()> {
        self.spin_limit_ns.store(ns, Relaxed);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_clamp() {
        assert_eq!(add_offset(10, 5), 15);
        assert_eq!(add_offset(u64::MAX - 1, 5), u64::MAX);
        assert_eq!(add_offset(10, (-4i64) as u64), 6);
        assert_eq!(add_offset(10, (-10i64) as u64), 0);
        assert_eq!(add_offset(10, i64::MIN as u64), 0);
        assert_eq!(add_offset(u64::MAX, i64::MIN as u64), u64::MAX - (1 << 63));
    }

    #[test]
    fn bound_growth() {
        assert_eq!(grow_bound(1000, 1_000_000_000, 50_000), 51_000);
        assert_eq!(grow_bound(u64::MAX - 1, 0, 50_000), u64::MAX - 1);
        // Reaching u64::MAX exactly is "unbounded" too.
        assert_eq!(grow_bound(u64::MAX - 1, NSEC_PER_SEC, 1), u64::MAX);
        assert_eq!(grow_bound(u64::MAX - 1, NSEC_PER_SEC, NSEC_PER_SEC), u64::MAX);
        assert_eq!(grow_bound(u64::MAX - 2, 0, 0), u64::MAX - 2);
        // Past 64 bits of age * ppb: split exactly.
        let age = 400_000 * NSEC_PER_SEC + 123_456_789;
        assert_eq!(grow_bound(7, age, 1_000_000_000), 7 + 400_000 * 1_000_000_000 + 123_456_789);
        assert_eq!(grow_bound(0, u64::MAX, DRIFT_MAX_PPB), u64::MAX);
    }
}
