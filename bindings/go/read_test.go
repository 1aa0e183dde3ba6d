// SPDX-License-Identifier: LGPL-2.1-or-later

package tsmon

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

func wantErr(t *testing.T, what string, got error, want syscall.Errno) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := Open(filepath.Join(dir, "none"))
	wantErr(t, "missing file", err, syscall.ENOENT)

	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	r := newRegion(8, HealthSize, 7)
	_, err = Open(write("short", r.mem[:HeaderSizeV1-1]))
	wantErr(t, "shorter than a header", err, syscall.EBADMSG)
	_, err = Open(write("cut", r.mem[:RingOffsetV1]))
	wantErr(t, "shorter than the region", err, syscall.EBADMSG)

	good := write("good", r.mem)
	h, err := Open(good)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if in := h.Info(); in.InstanceID != 7 || in.RingEntries != 8 ||
		in.HealthSize != uint32(HealthSize) || in.RegionSize != uint32(len(r.mem)) {
		t.Fatalf("Info: %+v", in)
	}
	if fd, err := h.Fd(); err != nil || fd < 0 {
		t.Fatalf("Fd: %d %v", fd, err)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}

	bad := func(what string, want syscall.Errno, edit func(b []byte)) {
		t.Helper()
		b := append([]byte(nil), r.mem...)
		edit(b)
		_, err := Open(write(what, b))
		wantErr(t, "Open: "+what, err, want)
		// Attach: the same verdict on the same bytes.
		words := make([]uint64, len(b)/8)
		m := unsafe.Slice((*byte)(unsafe.Pointer(&words[0])), len(b))
		copy(m, b)
		_, err = Attach(m)
		wantErr(t, "Attach: "+what, err, want)
	}
	p32 := func(b []byte, off uintptr, v uint32) { *(*uint32)(unsafe.Pointer(&b[off])) = v }
	bad("magic", syscall.EBADMSG, func(b []byte) { b[0] ^= 1 })
	bad("abi", syscall.EPROTONOSUPPORT, func(b []byte) { p32(b, hdrABIVersion, 2) })
	bad("header_size", syscall.EBADMSG, func(b []byte) { p32(b, hdrHeaderSize, 191) })
	bad("health_size", syscall.EBADMSG, func(b []byte) { p32(b, hdrHealthSize, 7) })
	bad("health_offset", syscall.EBADMSG, func(b []byte) { p32(b, hdrHealthOffset, 260) })
	bad("record_size", syscall.EBADMSG, func(b []byte) { p32(b, hdrRecordSize, 96) })
	bad("ring_entries", syscall.EBADMSG, func(b []byte) { p32(b, hdrRingEntries, 6) })
	bad("ring_mask", syscall.EBADMSG, func(b []byte) { p32(b, hdrRingMask, 3) })
	bad("ring_end", syscall.EBADMSG, func(b []byte) { p32(b, hdrRingOffset, RingOffsetV1+8) })
	bad("overlap", syscall.EBADMSG, func(b []byte) { p32(b, hdrHealthOffset, 128) })

	// Attach's own checks: alignment and a region cut short.
	_, err = Attach(r.mem[4:])
	wantErr(t, "misaligned", err, syscall.EINVAL)
	_, err = Attach(r.mem[:len(r.mem)-8])
	wantErr(t, "cut", err, syscall.EINVAL)
	_, err = Attach(r.mem[:100])
	wantErr(t, "tiny", err, syscall.EINVAL)
}

func TestScanMonotonic(t *testing.T) {
	for _, c := range []struct {
		in        string
		sec, nsec int64
		ok        bool
	}{
		{"monotonic           0         0\n", 0, 0, true},
		{"monotonic -5 -250000000\n", -5, -250000000, true},
		{"monotonic+7\t+3", 7, 3, true},
		{"boottime 5 0\n", 0, 0, false},
		{" monotonic 5 0\n", 0, 0, false},
		{"monotonic 5\n", 0, 0, false},
		{"monotonic 5 x\n", 0, 0, false},
		{"monotonic 99999999999999999999 1", 1<<63 - 1, 1, true},
	} {
		s, n, ok := scanMonotonic([]byte(c.in))
		if s != c.sec || n != c.nsec || ok != c.ok {
			t.Errorf("%q: %d %d %v", c.in, s, n, ok)
		}
	}
	// This process's own offset: 0 outside a time namespace.
	off, ok := timensOffset()
	if !ok {
		t.Skip("no /proc")
	}
	if b, err := os.ReadFile("/proc/self/timens_offsets"); err == nil &&
		bytes.Contains(b, []byte("monotonic           0")) && off != 0 {
		t.Errorf("timens offset %d, file %q", off, b)
	}
}

func TestCursorRules(t *testing.T) {
	r := newRegion(8, HealthSize, 42)
	h := r.attach(t)

	// Empty ring.
	c, err := h.CursorInit(FromOldest, 0)
	if err != nil || c.NextSeq() != 1 || c.InstanceID() != 42 {
		t.Fatalf("oldest on empty: %v %d", err, c.NextSeq())
	}
	if _, err := h.Next(&c); err != syscall.EAGAIN {
		t.Fatalf("Next on empty: %v", err)
	}
	if c, err := h.CursorInit(FromNow, 99); err != nil || c.NextSeq() != 1 {
		t.Fatalf("now on empty: %v %d", err, c.NextSeq())
	}
	if c, err := h.CursorInit(FromSeq, 0); err != syscall.EINVAL || c.NextSeq() != 0 {
		t.Fatalf("seq 0: %v %d", err, c.NextSeq())
	}
	if _, err := h.CursorInit(Whence(3), 1); err != syscall.EINVAL {
		t.Fatalf("whence 3: %v", err)
	}
	var zero Cursor
	if _, err := h.Next(&zero); err != syscall.EINVAL {
		t.Fatalf("zero cursor: %v", err)
	}
	if _, err := h.Next(nil); err != syscall.EINVAL {
		t.Fatalf("nil cursor: %v", err)
	}

	for i := 0; i < 5; i++ {
		r.publish(Record{Type: EventResume, MonoNs: uint64(i), Payload: [32]byte{byte(i)}})
	}
	if h.Head() != 5 {
		t.Fatalf("head %d", h.Head())
	}
	for i := uint64(1); i <= 5; i++ {
		rec, err := h.Next(&c)
		if err != nil || rec.Seq != i || rec.Type != EventResume ||
			rec.MonoNs != i-1 || rec.Resume().SleepNs != i-1 {
			t.Fatalf("record %d: %v %+v", i, err, rec)
		}
	}
	if _, err := h.Next(&c); err != syscall.EAGAIN || c.NextSeq() != 6 {
		t.Fatalf("past head: %v %d", err, c.NextSeq())
	}
	if c, _ := h.CursorInit(FromNow, 0); c.NextSeq() != 6 {
		t.Fatalf("now: %d", c.NextSeq())
	}

	// 20 more into an 8-entry ring: a reader at 6 lost 6..17.
	for i := 0; i < 20; i++ {
		r.publish(Record{Type: EventClockStep})
	}
	rec, err := h.Next(&c)
	if err != nil || rec.Type != EventLost || rec.Seq != 6 || rec.Lost().Count != 12 ||
		rec.MonoNs != 0 || c.NextSeq() != 18 {
		t.Fatalf("lost: %v %+v next %d", err, rec, c.NextSeq())
	}
	if rec, err := h.Next(&c); err != nil || rec.Seq != 18 || rec.Type != EventClockStep {
		t.Fatalf("after lost: %v %+v", err, rec)
	}
	if c, _ := h.CursorInit(FromOldest, 0); c.NextSeq() != 18 {
		t.Fatalf("oldest: %d", c.NextSeq())
	}

	// Another instance's cursor, and one restored from its bytes.
	other := newRegion(8, HealthSize, 43).attach(t)
	oc, _ := other.CursorInit(FromOldest, 0)
	if _, err := h.Next(&oc); err != syscall.ESTALE {
		t.Fatalf("other instance: %v", err)
	}
	b, _ := c.MarshalBinary()
	var back Cursor
	if err := back.UnmarshalBinary(b); err != nil || back != c {
		t.Fatalf("unmarshal: %v", err)
	}
	b[8]++
	back.UnmarshalBinary(b)
	if _, err := h.Next(&back); err != syscall.ESTALE {
		t.Fatalf("changed instance: %v", err)
	}
	if err := back.UnmarshalBinary(b[:31]); err != syscall.EINVAL {
		t.Fatalf("short cursor: %v", err)
	}

	// Sized reads: fewer than 64 bytes is refused, more are zeroed.
	c, _ = h.CursorInit(FromOldest, 0)
	if err := h.NextInto(&c, make([]byte, 63)); err != syscall.EINVAL {
		t.Fatalf("63 bytes: %v", err)
	}
	big := bytes.Repeat([]byte{0xff}, 100)
	if err := h.NextInto(&c, big); err != nil || !bytes.Equal(big[64:], make([]byte, 36)) ||
		*(*uint64)(unsafe.Pointer(&big[0])) != 18 {
		t.Fatalf("100 bytes: %v %x", err, big)
	}
}

// A slot overwritten while the reader copies it: the reload of seq fails
// and the reader resumes past the record it missed.
func TestNextLappedInCopy(t *testing.T) {
	r := newRegion(4, HealthSize, 1)
	h := r.attach(t)
	for i := 0; i < 3; i++ {
		r.publish(Record{Type: EventResume})
	}
	c, _ := h.CursorInit(FromSeq, 2)
	// The writer has started record 6 in slot 2 (seq 0), head still 3.
	atomic.StoreUint64(&r.words[RingOffsetV1/8+2*8], 0)
	rec, err := h.Next(&c)
	if err != nil || rec.Type != EventLost || rec.Seq != 2 || rec.Lost().Count != 1 ||
		c.NextSeq() != 3 {
		t.Fatalf("lapped: %v %+v next %d", err, rec, c.NextSeq())
	}
}

func TestHealthRules(t *testing.T) {
	r := newRegion(8, HealthSize, 1)
	h := r.attach(t)
	in := synced(5000)
	in.EventCount[3] = 33
	in.PHC[7].FreqUpdates = 77
	in.NTPLost = 9
	copy(in.Clocksource[:], "tsc")
	r.setHealth(&in)
	got, err := h.Health()
	in.Seq, in.BodySeq = 2, 2
	if err != nil || got != in || got.ClocksourceName() != "tsc" {
		t.Fatalf("Health: %v\n%+v\n%+v", err, got, in)
	}
	// The 64-byte prefix, and the size rule.
	buf := bytes.Repeat([]byte{0xee}, 80)
	if err := h.HealthInto(buf[:64]); err != nil || !bytes.Equal(buf[:64], in.Bytes()[:64]) ||
		buf[64] != 0xee {
		t.Fatalf("prefix: %v", err)
	}
	if err := h.HealthInto(buf[:7]); err != syscall.EINVAL {
		t.Fatalf("7 bytes: %v", err)
	}
	if err := h.HealthInto(buf[:13]); err != nil || !bytes.Equal(buf[:13], in.Bytes()[:13]) {
		t.Fatalf("13 bytes: %v", err)
	}
	long := bytes.Repeat([]byte{0xee}, HealthSize+16)
	if err := h.HealthInto(long); err != nil || !bytes.Equal(long[HealthSize:], make([]byte, 16)) {
		t.Fatalf("long: %v", err)
	}

	// A writer stopped inside an update: EAGAIN once the spin limit passed.
	h.SetSpinLimit(2_000_000)
	for _, w := range []*uint64{r.health(), r.w(HealthOffsetV1 + hBodySeq)} {
		atomic.AddUint64(w, 1)
		start := time.Now()
		_, err := h.Health()
		el := time.Since(start)
		if err != syscall.EAGAIN || el < 2*time.Millisecond || el > time.Second {
			t.Fatalf("odd count: %v after %v", err, el)
		}
		atomic.AddUint64(w, 1)
	}
	// body_seq does not cover the clock line.
	atomic.AddUint64(r.w(HealthOffsetV1+hBodySeq), 1)
	if _, err := h.Now(); err != nil {
		t.Fatalf("Now under an odd body_seq: %v", err)
	}
	atomic.AddUint64(r.health(), 1)
	if _, err := h.Now(); err != syscall.EAGAIN {
		t.Fatalf("Now under an odd seq: %v", err)
	}

	// An older module: no body_seq, seq covers the block, the tail is 0.
	old := newRegion(8, int(unsafe.Offsetof(Health{}.SyncFlags))+4, 1)
	oh := old.attach(t)
	in = synced(5000)
	in.ProbesMissed = 5
	in.SyncFlags = 3
	old.setHealth(&in)
	old.words[HealthOffsetV1/8+int(hBodySeq/8)] = 1 // past health_size: ignored
	got, err = oh.Health()
	if err != nil || got.SyncFlags != 3 || got.ProbesMissed != 0 || got.BodySeq != 0 {
		t.Fatalf("older module: %v %+v", err, got)
	}
	// A block without line 0: no clock.
	tiny := newRegion(8, 56, 1).attach(t)
	if _, err := tiny.Now(); err != syscall.EOPNOTSUPP {
		t.Fatalf("no clock line: %v", err)
	}
	if _, err := tiny.NowAt(1); err != syscall.EOPNOTSUPP {
		t.Fatalf("no clock line: %v", err)
	}
}

// Readers racing a writer never see a torn health block or record: the
// writer keeps every word of an update equal to one counter.
func TestSeqlockUnderWriter(t *testing.T) {
	r := newRegion(16, HealthSize, 1)
	h := r.attach(t)
	h.SetSpinLimit(1_000_000_000)
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for k := uint64(1); !stop.Load(); k++ {
			var in Health
			w := unsafe.Slice((*uint64)(unsafe.Pointer(&in)), HealthSize/8)
			for i := range w {
				w[i] = k
			}
			r.setHealth(&in)
			var rec Record
			rw := unsafe.Slice((*uint64)(unsafe.Pointer(&rec)), RecordSize/8)
			for i := range rw {
				rw[i] = k
			}
			r.publish(rec)
		}
	}()
	deadline := time.Now().Add(300 * time.Millisecond)
	var reads, records, lost int
	c, _ := h.CursorInit(FromOldest, 0)
	for time.Now().Before(deadline) {
		got, err := h.Health()
		if err != nil {
			t.Fatal(err)
		}
		w := unsafe.Slice((*uint64)(unsafe.Pointer(&got)), HealthSize/8)
		for i := 1; i < len(w)-1; i++ {
			if w[i] != w[1] {
				t.Fatalf("torn health block: word %d %d, word 1 %d", i, w[i], w[1])
			}
		}
		reads++
		rec, err := h.Next(&c)
		if err == syscall.EAGAIN {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if rec.Type == EventLost {
			lost++
			continue
		}
		rw := unsafe.Slice((*uint64)(unsafe.Pointer(&rec)), RecordSize/8)
		for i := 2; i < len(rw); i++ {
			if rw[i] != rw[2] {
				t.Fatalf("torn record %d: %x", rec.Seq, rw)
			}
		}
		records++
	}
	stop.Store(true)
	wg.Wait()
	t.Logf("%d health reads, %d records, %d lost reports", reads, records, lost)
}

func TestNoAllocation(t *testing.T) {
	r := newRegion(8, HealthSize, 1)
	in := synced(monoNow() - 1_000_000_000)
	r.setHealth(&in)
	for i := 0; i < 10; i++ {
		r.publish(Record{Type: EventResume})
	}
	h := r.attach(t)
	var f Forward
	var sink uint64
	cases := map[string]func(){
		"Now":        func() { tm, _ := h.Now(); sink += tm.RealNs },
		"NowAt":      func() { tm, _ := h.NowAt(5); sink += tm.RealNs },
		"ForwardNow": func() { tm, _ := h.ForwardNow(&f); sink += tm.RealNs },
		"Health":     func() { hb, _ := h.Health(); sink += hb.Seq },
		"Head":       func() { sink += h.Head() },
		"Next": func() {
			c, _ := h.CursorInit(FromOldest, 0)
			rec, _ := h.Next(&c)
			sink += rec.Seq
		},
		"NextEAGAIN": func() {
			c, _ := h.CursorInit(FromNow, 0)
			_, err := h.Next(&c)
			sink += uint64(err.(syscall.Errno))
		},
		"NextLost": func() {
			c, _ := h.CursorInit(FromSeq, 1)
			rec, _ := h.Next(&c)
			sink += rec.Lost().Count
		},
	}
	cases["OneWayValid"] = func() {
		if ok, tm, _ := h.OneWayValid(1e9); ok {
			sink += tm.BoundNs
		}
	}
	for name, fn := range cases {
		if n := testing.AllocsPerRun(1000, fn); n != 0 {
			t.Errorf("%s: %v allocations per call", name, n)
		}
	}
	_ = sink
}

// The runtime's clock is CLOCK_MONOTONIC: between two clock_gettime(2)
// system calls.
func TestNanotimeIsMonotonic(t *testing.T) {
	var ts syscall.Timespec
	sys := func() uint64 {
		_, _, e := syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, 1 /* CLOCK_MONOTONIC */, uintptr(unsafe.Pointer(&ts)), 0)
		if e != 0 {
			t.Fatal(e)
		}
		return uint64(ts.Nano())
	}
	for i := 0; i < 100; i++ {
		a := sys()
		m := monoNow()
		b := sys()
		if m < a || m > b {
			t.Fatalf("nanotime %d not within CLOCK_MONOTONIC [%d, %d]", m, a, b)
		}
	}
}

func TestEventTypeNames(t *testing.T) {
	for typ := uint32(0); typ < 40; typ++ {
		n, err := EventTypeName(typ)
		if (typ == 0 || typ >= EventTypeCount) != (err == syscall.EINVAL) {
			t.Fatalf("type %d: %q %v", typ, n, err)
		}
		if err == nil {
			if back, err := EventTypeFromName(n); err != nil || back != typ {
				t.Fatalf("%q: %d %v", n, back, err)
			}
		}
	}
	if _, err := EventTypeFromName("nope"); err != syscall.EINVAL {
		t.Fatal(err)
	}
}
