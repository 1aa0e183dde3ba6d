// SPDX-License-Identifier: LGPL-2.1-or-later

package tsmon

import (
	"math"
	"math/big"
	"math/rand"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func TestGrowBound(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	vals := []uint64{0, 1, 999_999_999, 1e9, 1e9 + 1, 1 << 40, 1 << 63, math.MaxUint64 - 1, math.MaxUint64}
	rnd := func() uint64 {
		if rng.Intn(3) == 0 {
			return vals[rng.Intn(len(vals))]
		}
		return rng.Uint64() >> uint(rng.Intn(64))
	}
	max := new(big.Int).SetUint64(math.MaxUint64)
	for i := 0; i < 200000; i++ {
		m, age, ppb := rnd(), rnd(), rnd()%(DriftMaxPPB+1)
		want := new(big.Int).Mul(new(big.Int).SetUint64(age), new(big.Int).SetUint64(ppb))
		want.Div(want, big.NewInt(nsecPerSec))
		want.Add(want, new(big.Int).SetUint64(m))
		if want.Cmp(max) > 0 {
			want = max
		}
		if got := growBound(m, age, ppb); got != want.Uint64() {
			t.Fatalf("growBound(%d, %d, %d) = %d, want %s", m, age, ppb, got, want)
		}
	}
}

func TestAddOffset(t *testing.T) {
	for _, c := range []struct{ a, offs, want uint64 }{
		{5, 3, 8},
		{math.MaxUint64 - 1, 2, math.MaxUint64},
		{5, uint64(1<<64 - 3), 2}, // -3
		{3, uint64(1<<64 - 3), 0},
		{math.MaxUint64, 1 << 63, math.MaxUint64 - 1<<63}, // MinInt64
		{1 << 62, 1 << 63, 0},
	} {
		if got := addOffset(c.a, c.offs); got != c.want {
			t.Errorf("addOffset(%d, %#x) = %d, want %d", c.a, c.offs, got, c.want)
		}
	}
}

// Where the straight path answers, the full rules answer the same.
func TestCommonPathAgrees(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	pick := func(v ...uint64) uint64 { return v[rng.Intn(len(v))] }
	hits := 0
	for i := 0; i < 500000; i++ {
		sync := pick(0, 1, 1e9, 5e9, 1<<40, math.MaxUint64-5)
		l := clockLine{
			offsRealNs:     pick(0, 1, 1.7e18, 1<<63-1, math.MaxUint64, 1<<63, math.MaxUint64-1e18),
			syncMonoNs:     sync,
			syncMaxerrorNs: pick(0, 1, 1e6, SyncErrorUnknown, math.MaxUint64-2, 1<<62),
			syncIntervalNs: pick(0, 1, 64e9, 1<<62, math.MaxUint64),
			disruptMonoNs:  pick(0, sync, sync-1, sync+1, 1),
			disruptType:    uint32(pick(EventClockStep, EventLeapApplied)),
			ntpStatus:      uint32(pick(0x2001, 0x2041, 0x3001)),
			hooks:          uint32(pick(7, 1)),
			ntpState:       uint32(pick(timeOK, timeOK, timeIns, NTPStateUnknown)),
		}
		mono := l.syncMonoNs + pick(0, 1, 1e9, 5e9, 1<<30, 1<<45, 1<<63, math.MaxUint64-10)
		drift := pick(0, 50000, 500000, DriftMaxPPB)
		cooldown := pick(0, 5e9, math.MaxUint64)
		factor := uint32(pick(1, 4, math.MaxUint32))
		var a, b Time
		if !evaluateCommon(&l, mono, drift, cooldown, factor, &a) {
			continue
		}
		hits++
		evaluateRules(&l, mono, drift, cooldown, factor, &b)
		if a != b {
			t.Fatalf("line %+v mono %d drift %d cooldown %d factor %d:\ncommon %+v\nrules  %+v",
				l, mono, drift, cooldown, factor, a, b)
		}
	}
	if hits < 1000 {
		t.Fatalf("only %d straight-path cases", hits)
	}
}

func TestClockRules(t *testing.T) {
	const s = uint64(1e9)
	const sync = 1000 * s
	base := synced(sync)
	cases := []struct {
		name   string
		edit   func(h *Health)
		at     uint64 // mono of the read
		status uint32
		flags  uint32
		bound  uint64
	}{
		{"synced", nil, sync + s, ClockSynchronized, 0, 1e6 + 50000},
		{"no hook", func(h *Health) { h.Hooks = HookTimekeeper }, sync + s,
			ClockUnknown, TimeNoHook, 1e6 + 50000},
		{"no capture", func(h *Health) { h.NTPState = NTPStateUnknown }, sync + s,
			ClockUnknown, TimeNoCapture, 1e6 + 50000},
		{"no sync", func(h *Health) { h.SyncMonoNs = 0 }, sync + s,
			ClockFreeRunning, TimeNoSync | TimeUnbounded, math.MaxUint64},
		{"unsync", func(h *Health) { h.NTPStatus |= staUnsync }, sync + s,
			ClockFreeRunning, TimeUnsync, 1e6 + 50000},
		{"clockerr", func(h *Health) { h.NTPStatus |= staClockErr }, sync + s,
			ClockFreeRunning, TimeUnsync, 1e6 + 50000},
		{"stale", nil, sync + 257*s, ClockFreeRunning, TimeStale, 1e6 + 257*50000},
		{"before the update", nil, sync - s, ClockSynchronized, 0, 1e6 + 50000},
		{"no interval, young", func(h *Health) { h.SyncIntervalNs = 0 }, sync + s,
			ClockSynchronized, 0, 1e6 + 50000},
		{"no interval, old", func(h *Health) { h.SyncIntervalNs = 0 }, sync + StaleUnknownNs + 1,
			ClockFreeRunning, TimeStale, 1e6 + (StaleUnknownNs+1)*50000/nsecPerSec},
		{"no error", func(h *Health) { h.SyncMaxerrorNs = SyncErrorUnknown }, sync + s,
			ClockUnknown, TimeNoError | TimeUnbounded, math.MaxUint64},
		{"step in cooldown", func(h *Health) { h.DisruptMonoNs = sync + s; h.DisruptType = EventClockStep },
			sync + 2*s, ClockDisrupted, TimeCooldown | TimeUnbounded, math.MaxUint64},
		{"step unmeasured", func(h *Health) { h.DisruptMonoNs = sync + s; h.DisruptType = EventClockStep },
			sync + 10*s, ClockDisrupted, TimeUnbounded, math.MaxUint64},
		{"before the step", func(h *Health) { h.DisruptMonoNs = sync - 10*s; h.DisruptType = EventClockStep },
			sync - 11*s, ClockDisrupted, TimeCooldown | TimeUnbounded, math.MaxUint64},
		{"leap applied", func(h *Health) { h.DisruptMonoNs = sync + s; h.DisruptType = EventLeapApplied },
			sync + 10*s, ClockSynchronized, 0, 1e6 + 10*50000},
		{"leap applied, cooldown", func(h *Health) { h.DisruptMonoNs = sync + s; h.DisruptType = EventLeapApplied },
			sync + 2*s, ClockDisrupted, TimeCooldown, 1e6 + 2*50000},
		{"leap pending", func(h *Health) {
			h.NTPState = timeIns
			h.LeapState = LeapInsertPending
			h.LeapRealNs = uint64(h.OffsRealNs) + sync + 5*s
		}, sync + s, ClockSynchronized, 0, 1e6 + 50000},
		{"leap edge", func(h *Health) {
			h.NTPState = timeIns
			h.LeapState = LeapInsertPending
			h.LeapRealNs = uint64(h.OffsRealNs) + sync + 5*s
		}, sync + 5*s, ClockDisrupted, TimeLeapEdge | TimeUnbounded, math.MaxUint64},
		{"TIME_DEL, last second", func(h *Health) {
			h.NTPState = timeDel
			h.OffsRealNs = 86400*20000*int64(s) - int64(sync) - int64(s) + 1
		}, sync, ClockDisrupted, TimeLeapEdge | TimeUnbounded, math.MaxUint64},
		{"TIME_DEL, earlier", func(h *Health) {
			h.NTPState = timeDel
			h.OffsRealNs = 86400*20000*int64(s) - int64(sync) - int64(s) - 1
		}, sync, ClockSynchronized, 0, 1e6},
		{"TIME_INS, nothing pending", func(h *Health) { h.NTPState = timeIns },
			sync + s, ClockSynchronized, 0, 1e6 + 50000},
	}
	for _, c := range cases {
		r := newRegion(8, HealthSize, 1)
		in := base
		if c.edit != nil {
			c.edit(&in)
		}
		r.setHealth(&in)
		h := r.attach(t)
		tm, err := h.NowAt(c.at)
		if err != nil || tm.Status != c.status || tm.Flags != c.flags || tm.BoundNs != c.bound {
			t.Errorf("%s: %v status %d flags %#x bound %d, want %d %#x %d", c.name, err,
				tm.Status, tm.Flags, tm.BoundNs, c.status, c.flags, c.bound)
			continue
		}
		if real := addOffset(c.at, uint64(in.OffsRealNs)); tm.RealNs != real || tm.MonoNs != c.at {
			t.Errorf("%s: real %d mono %d", c.name, tm.RealNs, tm.MonoNs)
		}
	}
}

func TestSettings(t *testing.T) {
	h := newRegion(8, HealthSize, 1).attach(t)
	if err := h.SetDrift(DriftMaxPPB + 1); err != syscall.EINVAL || h.driftPPB.Load() != DriftDefaultPPB {
		t.Fatal("SetDrift above the maximum")
	}
	if err := h.SetStaleFactor(0); err != syscall.EINVAL || h.staleFactor.Load() != StaleFactorDefault {
		t.Fatal("SetStaleFactor(0)")
	}
	if h.SetDrift(DriftMaxPPB) != nil || h.SetCooldown(0) != nil || h.SetStaleFactor(1) != nil ||
		h.SetSpinLimit(0) != nil {
		t.Fatal("valid settings refused")
	}
}

func TestNowAndOneWay(t *testing.T) {
	r := newRegion(8, HealthSize, 1)
	in := synced(monoNow() - 1e9)
	r.setHealth(&in)
	h := r.attach(t)
	before := monoNow()
	tm, err := h.Now()
	after := monoNow()
	if err != nil || tm.MonoNs < before || tm.MonoNs > after ||
		tm.RealNs != tm.MonoNs+uint64(in.OffsRealNs) || tm.Status != ClockSynchronized {
		t.Fatalf("Now: %v %+v", err, tm)
	}
	if ok, tm, err := h.OneWayValid(2e6); !ok || err != nil || tm.BoundNs > 2e6 {
		t.Fatalf("OneWayValid(2 ms): %v %v %+v", ok, err, tm)
	}
	if ok, _, _ := h.OneWayValid(1e6); ok {
		t.Fatal("OneWayValid(1 ms) with a bound over 1 ms")
	}
	in.SyncMaxerrorNs = SyncErrorUnknown
	r.setHealth(&in)
	if ok, _, _ := h.OneWayValid(math.MaxUint64); ok {
		t.Fatal("OneWayValid accepted an unknown error")
	}

	// A caller in a time namespace: its MONOTONIC is the module's + off.
	h.timensOffset = 1 << 40
	tm, _ = h.Now()
	if tm.RealNs != tm.MonoNs-(1<<40)+uint64(in.OffsRealNs) {
		t.Fatalf("time namespace: %+v", tm)
	}
	at, _ := h.NowAt(tm.MonoNs)
	if at.RealNs != tm.RealNs || at.MonoNs != tm.MonoNs {
		t.Fatalf("NowAt in a namespace: %+v vs %+v", at, tm)
	}
}

// Times from one Forward never go back in any goroutine, while the clock
// is stepped back and forth under them.
func TestForwardMonotonic(t *testing.T) {
	r := newRegion(8, HealthSize, 1)
	in := synced(monoNow())
	r.setHealth(&in)
	h := r.attach(t)
	var f Forward
	var stop atomic.Bool
	var held atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 2; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var last uint64
			for !stop.Load() {
				tm, err := h.ForwardNow(&f)
				if err != nil {
					t.Error(err)
					return
				}
				if tm.RealNs < last {
					t.Errorf("went back: %d after %d", tm.RealNs, last)
					return
				}
				if tm.Flags&TimeHeld != 0 {
					held.Add(1)
					if tm.HeldNs == 0 {
						t.Error("held by 0")
					}
				}
				last = tm.RealNs
			}
		}()
	}
	for i := 0; i < 20; i++ {
		if i%2 == 0 {
			in.OffsRealNs -= 1e9 // a step back
		} else {
			in.OffsRealNs += 1e9 - 1e6
		}
		r.setHealth(&in)
		time.Sleep(time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	if held.Load() == 0 {
		t.Fatal("never held")
	}
	if f.LastNs() == 0 {
		t.Fatal("LastNs 0")
	}
	if _, err := h.ForwardNow(nil); err != syscall.EINVAL {
		t.Fatal("nil Forward")
	}
}
