// SPDX-License-Identifier: LGPL-2.1-or-later

package tsmon

// The bounded clock of lib/clock.c: CLOCK_REALTIME with how far it may be
// from true time and whether that figure can be trusted, from the first
// cache line of the health block and one CLOCK_MONOTONIC read. The module
// keeps REALTIME - MONOTONIC in that line, so REALTIME is a MONOTONIC read
// plus a value that changes only when the clock is stepped: no REALTIME
// read is needed. The rules below are libtsmon's, one for one.

import (
	"math"
	"math/bits"
	"syscall"
	"unsafe"
)

// clockLine: health cache line 0 after seq, what a clock read uses.
type clockLine struct {
	offsRealNs     uint64
	syncMonoNs     uint64
	syncMaxerrorNs uint64
	syncIntervalNs uint64
	disruptMonoNs  uint64
	disruptType    uint32
	ntpStatus      uint32
	hooks          uint32
	ntpState       uint32
	// Read only while ntpState is not TIME_OK: a leap may be due.
	leapState  uint32
	leapRealNs uint64
}

// readLine copies line 0 under health.seq. With readClock, the returned
// mono (the module's CLOCK_MONOTONIC) is read after the copy and before
// seq is checked again: the copy was current when the clock was read, or
// an update in between fails the check and the whole read is redone.
func (t *Tsmon) readLine(l *clockLine, readClock bool) (mono uint64, err error) {
	// One local base: the atomic loads below keep the compiler from
	// caching anything loaded from memory across them, t.health included.
	hp := t.health
	seq := (*uint64)(unsafe.Add(hp, hSeq))
	var s spin
	for {
		// Pairs with the writer's smp_wmb() before seq turns even.
		begin := loadU64(seq)
		if begin&1 == 0 {
			l.offsRealNs = loadU64((*uint64)(unsafe.Add(hp, hOffsRealNs)))
			l.syncMonoNs = loadU64((*uint64)(unsafe.Add(hp, hSyncMonoNs)))
			l.syncMaxerrorNs = loadU64((*uint64)(unsafe.Add(hp, hSyncMaxerrorNs)))
			l.syncIntervalNs = loadU64((*uint64)(unsafe.Add(hp, hSyncIntervalNs)))
			l.disruptMonoNs = loadU64((*uint64)(unsafe.Add(hp, hDisruptMonoNs)))
			l.disruptType = loadU32((*uint32)(unsafe.Add(hp, hDisruptType)))
			l.ntpStatus = loadU32((*uint32)(unsafe.Add(hp, hNTPStatus)))
			l.hooks = loadU32((*uint32)(unsafe.Add(hp, hHooks)))
			l.ntpState = loadU32((*uint32)(unsafe.Add(hp, hNTPState)))
			// Another cache line, on the days a leap second is due
			// only; seq covers these two as well.
			if l.ntpState != timeOK {
				l.leapState = loadU32((*uint32)(unsafe.Add(hp, hLeapState)))
				l.leapRealNs = loadU64((*uint64)(unsafe.Add(hp, hLeapRealNs)))
			} else {
				l.leapState = LeapNone
				l.leapRealNs = 0
			}
			// The module's MONOTONIC: the caller may be in a time
			// namespace.
			if readClock {
				mono = monoNow() - t.timensOffset
			}
			// Pairs with the writer's smp_wmb() after seq turns odd: a
			// field of a newer update seen above means this reload,
			// ordered after those loads, sees that update's seq.
			if loadU64(seq) == begin {
				return mono, nil
			}
		}
		if !t.again(&s) {
			return 0, syscall.EAGAIN
		}
	}
}

// addOffset is a plus the two's complement offs, clamped to
// [0, MaxUint64].
func addOffset(a, offs uint64) uint64 {
	if int64(offs) >= 0 {
		r, c := bits.Add64(a, offs, 0)
		if c != 0 {
			return math.MaxUint64
		}
		return r
	}
	// -offs is the magnitude, also for MinInt64.
	if a > -offs {
		return a + offs
	}
	return 0
}

// growBound is maxerror + age * ppb / 1e9, rounded down, or MaxUint64
// when that does not fit (exact in 128 bits: whole seconds contribute
// exactly secs * ppb, and ppb <= 1e9 keeps the rest's product under 1e18).
func growBound(maxerror, age, ppb uint64) uint64 {
	hi, p := bits.Mul64(age, ppb)
	if hi == 0 {
		r, c := bits.Add64(maxerror, p/nsecPerSec, 0)
		if c != 0 || r == math.MaxUint64 {
			return math.MaxUint64
		}
		return r
	}
	hi, lo := bits.Mul64(age/nsecPerSec, ppb)
	var c uint64
	lo, c = bits.Add64(lo, (age%nsecPerSec)*ppb/nsecPerSec, 0)
	hi += c
	lo, c = bits.Add64(lo, maxerror, 0)
	hi += c
	if hi != 0 || lo == math.MaxUint64 {
		return math.MaxUint64
	}
	return lo
}

// evaluateCommon is the common case on a straight path: NTP state known
// and synchronised, sync updates fresh, no disruption since the last one
// or within the cooldown, no arithmetic near its limits. It returns
// false, having written nothing, for anything else; evaluate then takes
// every rule one by one (and agrees with this where both apply).
func evaluateCommon(l *clockLine, mono, drift, cooldown uint64, factor uint32, out *Time) bool {
	sync, d := l.syncMonoNs, l.disruptMonoNs
	if l.hooks&HookAdjtimex == 0 || l.ntpState != timeOK ||
		l.ntpStatus&(staUnsync|staClockErr) != 0 ||
		sync == 0 || mono < sync || d > sync ||
		(d != 0 && mono-d < cooldown) {
		return false
	}
	age := mono - sync
	// No interval known yet gives limit 0: the fixed limit applies then,
	// which the full rules handle.
	hi, limit := bits.Mul64(uint64(factor), l.syncIntervalNs)
	if hi != 0 || age > limit {
		return false
	}
	hi, p := bits.Mul64(age, drift)
	if hi != 0 {
		return false
	}
	bound, c := bits.Add64(l.syncMaxerrorNs, p/nsecPerSec, 0)
	if c != 0 || int64(l.offsRealNs) < 0 {
		return false
	}
	real, c := bits.Add64(mono, l.offsRealNs, 0)
	if c != 0 || real < bound {
		return false
	}
	latest, c := bits.Add64(real, bound, 0)
	if c != 0 || latest == math.MaxUint64 {
		return false
	}
	// Field by field: a composite literal would be built on the stack and
	// copied with wider loads than its stores (a store-forwarding stall).
	out.RealNs = real
	out.MonoNs = mono
	out.EarliestNs = real - bound
	out.LatestNs = latest
	out.BoundNs = bound
	out.SyncAgeNs = age
	out.HeldNs = 0
	out.Status = ClockSynchronized
	out.Flags = 0
	return true
}

// leapEdge: a leap second is applied by the first tick at or after its
// instant, and until then REALTIME reads a whole second off true UTC. The
// tick can be late, so the edge lasts until the health block says the
// leap happened.
func leapEdge(l *clockLine, real uint64) bool {
	const day = 86400 * nsecPerSec
	if l.leapState == LeapInsertPending || l.leapState == LeapDeletePending {
		return l.leapRealNs != 0 && real >= l.leapRealNs
	}
	// TIME_DEL with no deletion announced: it would be the last second
	// of the day.
	if l.ntpState == timeDel {
		return real%day >= day-nsecPerSec
	}
	// TIME_INS and nothing in the timekeeper: ntp_clear() dropped it.
	return false
}

func (t *Tsmon) evaluate(l *clockLine, mono uint64, out *Time) {
	drift := t.driftPPB.Load()
	cooldown := t.cooldownNs.Load()
	factor := t.staleFactor.Load()

	if evaluateCommon(l, mono, drift, cooldown, factor, out) {
		return
	}
	evaluateRules(l, mono, drift, cooldown, factor, out)
}

// evaluateRules takes every rule one by one.
func evaluateRules(l *clockLine, mono, drift, cooldown uint64, factor uint32, out *Time) {
	real := addOffset(mono, l.offsRealNs)
	var flags, status uint32
	var age, bound uint64
	if l.hooks&HookAdjtimex == 0 {
		flags |= TimeNoHook
	}
	if l.ntpState == NTPStateUnknown {
		flags |= TimeNoCapture
	}
	// Before the last disruption REALTIME had another offset, which the
	// line no longer holds: such an instant counts as within the
	// cooldown, and has no bound.
	before := l.disruptMonoNs != 0 && mono < l.disruptMonoNs
	if before || (l.disruptMonoNs != 0 && mono-l.disruptMonoNs < cooldown) {
		flags |= TimeCooldown
	}
	if l.ntpStatus&(staUnsync|staClockErr) != 0 {
		flags |= TimeUnsync
	}
	if l.ntpState != timeOK && leapEdge(l, real) {
		flags |= TimeLeapEdge
	}

	if l.syncMonoNs == 0 {
		flags |= TimeNoSync
		age = math.MaxUint64
	} else {
		// An instant before the update is as far from it as one after.
		if mono > l.syncMonoNs {
			age = mono - l.syncMonoNs
		} else {
			age = l.syncMonoNs - mono
		}
		// A limit past 64 bits is never reached.
		var stale bool
		if l.syncIntervalNs != 0 {
			hi, limit := bits.Mul64(uint64(factor), l.syncIntervalNs)
			stale = hi == 0 && age > limit
		} else {
			stale = age > StaleUnknownNs
		}
		if stale {
			flags |= TimeStale
		}
	}

	// A step, resume or clocksource change after the last sync update
	// moved the clock by an amount no measurement has covered. A leap
	// second moves REALTIME by exactly what UTC prescribes.
	unmeasured := l.syncMonoNs != 0 && l.disruptMonoNs > l.syncMonoNs &&
		l.disruptType != EventLeapApplied
	// The source asserted no error, and no budget stands in for it.
	if l.syncMonoNs != 0 && l.syncMaxerrorNs == SyncErrorUnknown {
		flags |= TimeNoError
	}
	if l.syncMonoNs == 0 || unmeasured || before ||
		flags&(TimeNoError|TimeLeapEdge) != 0 {
		bound = math.MaxUint64
	} else {
		bound = growBound(l.syncMaxerrorNs, age, drift)
	}
	if bound == math.MaxUint64 {
		flags |= TimeUnbounded
	}

	switch {
	case flags&(TimeNoHook|TimeNoCapture) != 0:
		status = ClockUnknown
	case flags&(TimeCooldown|TimeLeapEdge) != 0:
		status = ClockDisrupted
	case flags&(TimeUnsync|TimeNoSync|TimeStale) != 0:
		status = ClockFreeRunning
	case unmeasured:
		// Past the cooldown, a clock nothing has measured since it
		// moved is still the disrupted one.
		status = ClockDisrupted
	case flags&TimeNoError != 0:
		// Disciplined, error unknown: nothing to take for a bound.
		status = ClockUnknown
	default:
		status = ClockSynchronized
	}

	out.RealNs = real
	out.MonoNs = mono
	if bound == math.MaxUint64 {
		out.EarliestNs = 0
		out.LatestNs = math.MaxUint64
	} else {
		if real > bound {
			out.EarliestNs = real - bound
		} else {
			out.EarliestNs = 0
		}
		latest, c := bits.Add64(real, bound, 0)
		if c != 0 {
			latest = math.MaxUint64
		}
		out.LatestNs = latest
	}
	out.BoundNs = bound
	out.SyncAgeNs = age
	out.HeldNs = 0
	out.Status = status
	out.Flags = flags
}

// clockRead is tsmon_now(): MonoNs goes back to the caller's namespace.
func (t *Tsmon) clockRead(out *Time) error {
	var l clockLine
	if !t.clockLine {
		return syscall.EOPNOTSUPP
	}
	mono, err := t.readLine(&l, true)
	if err != nil {
		return err
	}
	t.evaluate(&l, mono, out)
	out.MonoNs += t.timensOffset
	return nil
}

// Now reads CLOCK_REALTIME with its error bound and status (tsmon_now()).
// EAGAIN: the writer stayed inside an update for the spin limit;
// EOPNOTSUPP: the health block is shorter than its first cache line.
func (t *Tsmon) Now() (Time, error) {
	var tm Time
	err := t.clockRead(&tm)
	return tm, err
}

// NowAt evaluates the clock for the caller's CLOCK_MONOTONIC instant
// monoNs, with the health block as it is now (tsmon_now_at()).
func (t *Tsmon) NowAt(monoNs uint64) (Time, error) {
	var tm Time
	err := t.nowAt(monoNs, &tm)
	return tm, err
}

// The exported calls are small enough to be inlined: the caller's Time is
// filled in place rather than returned through registers and copied.
func (t *Tsmon) nowAt(monoNs uint64, tm *Time) error {
	var l clockLine
	if !t.clockLine {
		return syscall.EOPNOTSUPP
	}
	if _, err := t.readLine(&l, false); err != nil {
		return err
	}
	// monoNs is the caller's; the line holds the module's.
	t.evaluate(&l, monoNs-t.timensOffset, tm)
	tm.MonoNs = monoNs
	return nil
}

// OneWayValid reads the clock and says whether it is SYNCHRONIZED with a
// bound of at most maxBoundNs (tsmon_one_way_valid()): a timestamp from
// it may be compared with another host's.
func (t *Tsmon) OneWayValid(maxBoundNs uint64) (bool, Time, error) {
	var tm Time
	ok, err := t.oneWayValid(maxBoundNs, &tm)
	return ok, tm, err
}

func (t *Tsmon) oneWayValid(maxBoundNs uint64, tm *Time) (bool, error) {
	if err := t.clockRead(tm); err != nil {
		*tm = Time{}
		return false, err
	}
	// The flag check keeps a limit of MaxUint64 from accepting "unknown".
	return tm.Status == ClockSynchronized && tm.Flags&TimeUnbounded == 0 &&
		tm.BoundNs <= maxBoundNs, nil
}

// ForwardNow is Now with RealNs never below a time handed out before
// through f (tsmon_forward_now()): while the clock is behind, time stands
// still (TimeHeld, HeldNs says by how much). Only RealNs is held; the rest
// describes the clock as read. f may be shared by goroutines.
func (t *Tsmon) ForwardNow(f *Forward) (Time, error) {
	var tm Time
	err := t.forwardNow(f, &tm)
	return tm, err
}

func (t *Tsmon) forwardNow(f *Forward, tm *Time) error {
	if f == nil {
		return errInval
	}
	if err := t.clockRead(tm); err != nil {
		*tm = Time{}
		return err
	}
	// f.lastNs only ever grows and publishes nothing else: a CAS loop
	// on the one word is all the ordering this needs.
	last := loadU64(&f.lastNs)
	for tm.RealNs > last {
		if casU64(&f.lastNs, last, tm.RealNs) {
			return nil
		}
		last = loadU64(&f.lastNs)
	}
	if tm.RealNs < last {
		// Earliest and latest still describe the clock as read.
		tm.HeldNs = last - tm.RealNs
		tm.RealNs = last
		tm.Flags |= TimeHeld
	}
	return nil
}
