// SPDX-License-Identifier: GPL-2.0-only

// fixture-dump prints what the Go reader sees in a region, in the format
// of tests/fixtures/FORMAT.md; tests/fixtures/dump.c (libtsmon) is the
// reference it must match byte for byte.
//
//	fixture-dump REGION
package main

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"os"
	"syscall"

	"tsmon"
)

const maxRecords = 100000

var out = bufio.NewWriter(os.Stdout)

// ret is the return code libtsmon would give: 0 or a negative errno.
func ret(err error) int {
	if err == nil {
		return 0
	}
	if e, ok := err.(syscall.Errno); ok {
		return -int(e)
	}
	return -int(syscall.EIO)
}

func pr(format string, a ...interface{}) { fmt.Fprintf(out, format, a...) }

func dumpInfo(t *tsmon.Tsmon) {
	in := t.Info()
	pr("info abi_version=%d header_size=%d health_size=%d record_size=%d "+
		"ring_entries=%d region_size=%d instance_id=%d load_real_ns=%d "+
		"load_mono_ns=%d\n", in.ABIVersion, in.HeaderSize, in.HealthSize,
		in.RecordSize, in.RingEntries, in.RegionSize, in.InstanceID,
		in.LoadRealNs, in.LoadMonoNs)
}

func dumpHealth(t *tsmon.Tsmon, what string, size int) {
	var h tsmon.Health
	buf := h.Bytes()[:size]
	err := t.HealthInto(buf)
	pr("%s %d ", what, ret(err))
	if err == nil {
		pr("%s", hex.EncodeToString(buf))
	}
	pr("\n")
}

func dumpCursors(t *tsmon.Tsmon, head uint64) {
	cs := []struct {
		whence tsmon.Whence
		add    uint64
		rel    bool
	}{
		{tsmon.FromOldest, 0, false}, {tsmon.FromNow, 0, false},
		{tsmon.FromSeq, 0, false}, {tsmon.FromSeq, 1, false},
		{tsmon.FromSeq, 0, true}, {tsmon.FromSeq, 1, true},
		{tsmon.FromSeq, 2, true},
	}
	for _, c := range cs {
		seq := c.add
		if c.rel {
			seq += head
		}
		cur, err := t.CursorInit(c.whence, seq)
		pr("cursor %d %d %d %d\n", int(c.whence), seq, ret(err), cur.NextSeq())
	}
}

func dumpRing(t *tsmon.Tsmon) {
	var err error
	cur, _ := t.CursorInit(tsmon.FromOldest, 0)
	for n := 0; n < maxRecords; n++ {
		var rec tsmon.Record
		rec, err = t.Next(&cur)
		if err != nil {
			break
		}
		pr("rec 0 %s\n", hex.EncodeToString(rec.Bytes()))
	}
	pr("rec_end %d %d\n", ret(err), cur.NextSeq())

	// From the first record ever: what a reader that fell behind sees.
	cur, _ = t.CursorInit(tsmon.FromSeq, 1)
	for n := 0; n < 3; n++ {
		rec, err := t.Next(&cur)
		pr("rec1 %d ", ret(err))
		if err == nil {
			pr("%s", hex.EncodeToString(rec.Bytes()))
		}
		pr("\n")
		if err != nil {
			break
		}
	}

	cur, _ = t.CursorInit(tsmon.FromOldest, 0)
	var rec tsmon.Record
	err = t.NextInto(&cur, rec.Bytes()[:64])
	pr("next_size %d ", ret(err))
	if err == nil {
		pr("%s", hex.EncodeToString(rec.Bytes()[:64]))
	}
	pr("\n")

	// A cursor of another module instance: stored, changed, restored.
	cur, _ = t.CursorInit(tsmon.FromOldest, 0)
	b, _ := cur.MarshalBinary()
	id := cur.InstanceID() + 1
	for i := 0; i < 8; i++ {
		b[8+i] = byte(id >> (8 * i))
	}
	if err := cur.UnmarshalBinary(b); err != nil {
		panic(err)
	}
	_, err = t.Next(&cur)
	pr("next_stale %d\n", ret(err))

	var zero tsmon.Cursor
	_, err = t.Next(&zero)
	pr("next_zero %d\n", ret(err))
}

func dumpReads(t *tsmon.Tsmon) {
	deltas := []int64{
		-2000000000, -1, 0, 1, 1000000, 1000000000, 4999999999,
		5000000000, 5000000001, 60000000000, 3600000000000,
		8192000000001,
	}
	limits := []uint64{1000000, 1000000000}
	h, _ := t.Health()
	bases := []uint64{h.SyncMonoNs, h.DisruptMonoNs, h.NTPCaptureMonoNs,
		h.UpdateMonoNs, h.VMDisruptMonoNs, t.Info().LoadMonoNs}

	for _, base := range bases {
		if base == 0 {
			continue
		}
		for _, d := range deltas {
			if d < 0 && base < uint64(-d) {
				continue
			}
			q := base + uint64(d)
			tm, err := t.NowAt(q)
			if err != nil {
				tm = tsmon.Time{}
			}
			pr("now_at %d %d real=%d earliest=%d latest=%d bound=%d age=%d "+
				"held=%d status=%d flags=%d\n", q, ret(err), tm.RealNs,
				tm.EarliestNs, tm.LatestNs, tm.BoundNs, tm.SyncAgeNs,
				tm.HeldNs, tm.Status, tm.Flags)
			// The decision OneWayValid makes on such a read.
			for _, l := range limits {
				v := 0
				if err == nil && tm.Status == tsmon.ClockSynchronized &&
					tm.Flags&tsmon.TimeUnbounded == 0 && tm.BoundNs <= l {
					v = 1
				}
				pr("owv %d %d %d\n", q, l, v)
			}
		}
	}
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: fixture-dump REGION")
		os.Exit(2)
	}
	path := os.Args[1]
	defer out.Flush()
	t, err := tsmon.Open(path)
	pr("open %d\n", ret(err))
	if err != nil {
		return
	}
	dumpInfo(t)
	dumpHealth(t, "health", tsmon.HealthSize)
	dumpHealth(t, "health_prefix", 64)
	head := t.Head()
	pr("head 0 %d\n", head)
	dumpCursors(t, head)
	dumpRing(t)

	// Each setting on a fresh handle: nothing carries over.
	t.Close()
	if t, err = tsmon.Open(path); err != nil {
		out.Flush()
		os.Exit(1)
	}
	pr("settings default\n")
	dumpReads(t)
	pr("settings kernel\n")
	pr("set_drift 500000 %d\n", ret(t.SetDrift(500000)))
	pr("set_cooldown 1000000000 %d\n", ret(t.SetCooldown(1000000000)))
	pr("set_stale_factor 2 %d\n", ret(t.SetStaleFactor(2)))
	dumpReads(t)
	pr("settings tight\n")
	pr("set_drift 0 %d\n", ret(t.SetDrift(0)))
	pr("set_cooldown 0 %d\n", ret(t.SetCooldown(0)))
	pr("set_stale_factor 1 %d\n", ret(t.SetStaleFactor(1)))
	pr("set_drift 1000000001 %d\n", ret(t.SetDrift(1000000001)))
	pr("set_stale_factor 0 %d\n", ret(t.SetStaleFactor(0)))
	dumpReads(t)
	pr("end\n")
	t.Close()
}
