// SPDX-License-Identifier: GPL-2.0-only

// tsmon-bench measures the Go package's bounded clock read next to
// time.Now() (clock_gettime(CLOCK_REALTIME) and CLOCK_MONOTONIC through
// the vDSO) on a region file, ns per call, best and median of several
// runs. The operations take turns within each run, so that a noisy
// neighbour weighs on all of them alike.
//
//	tsmon-bench [-runs N] [-calls N] REGION
package main

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"time"
	_ "unsafe" // go:linkname

	"tsmon"
)

//go:linkname nanotime runtime.nanotime
func nanotime() int64

var sink uint64

type op struct {
	name string
	run  func(n int) int // returns how many reads were not SYNCHRONIZED
	ns   []float64
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func best(v []float64) float64 {
	b := v[0]
	for _, x := range v {
		if x < b {
			b = x
		}
	}
	return b
}

func main() {
	runs := flag.Int("runs", 7, "runs of each operation")
	calls := flag.Int("calls", 2000000, "calls per run")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: tsmon-bench [-runs N] [-calls N] REGION")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 || *runs < 1 || *calls < 1 {
		flag.Usage()
		os.Exit(2)
	}
	t, err := tsmon.Open(flag.Arg(0))
	if err != nil {
		fmt.Fprintf(os.Stderr, "tsmon-bench: cannot open %s: %v\n", flag.Arg(0), err)
		os.Exit(1)
	}
	defer t.Close()
	tm, err := t.Now()
	if err != nil {
		fmt.Fprintf(os.Stderr, "tsmon-bench: Now: %v\n", err)
		os.Exit(1)
	}
	if tm.Status != tsmon.ClockSynchronized {
		fmt.Fprintf(os.Stderr, "tsmon-bench: the region's clock is not synchronized "+
			"(status %d, flags %#x): Now() would not take its common path\n", tm.Status, tm.Flags)
		os.Exit(1)
	}

	var fw tsmon.Forward
	var h tsmon.Health
	mono := uint64(nanotime())
	ops := []*op{
		{name: "tsmon Now()", run: func(n int) int {
			bad := 0
			for i := 0; i < n; i++ {
				tm, _ := t.Now()
				if tm.Status != tsmon.ClockSynchronized {
					bad++
				}
				sink += tm.RealNs
			}
			return bad
		}},
		{name: "time.Now()", run: func(n int) int {
			for i := 0; i < n; i++ {
				sink += uint64(time.Now().UnixNano())
			}
			return 0
		}},
		{name: "runtime nanotime() (vDSO MONOTONIC)", run: func(n int) int {
			for i := 0; i < n; i++ {
				sink += uint64(nanotime())
			}
			return 0
		}},
		{name: "tsmon NowAt(): line read, no clock", run: func(n int) int {
			for i := 0; i < n; i++ {
				tm, _ := t.NowAt(mono + uint64(i))
				sink += tm.RealNs
			}
			return 0
		}},
		{name: "tsmon ForwardNow()", run: func(n int) int {
			for i := 0; i < n; i++ {
				tm, _ := t.ForwardNow(&fw)
				sink += tm.RealNs
			}
			return 0
		}},
		{name: "tsmon HealthInto(), whole block", run: func(n int) int {
			for i := 0; i < n; i++ {
				t.HealthInto(h.Bytes())
				sink += h.Seq
			}
			return 0
		}},
	}
	ratios := make([]float64, 0, *runs)
	bad := 0
	for r := 0; r < *runs; r++ {
		for _, o := range ops {
			start := nanotime()
			bad += o.run(*calls)
			o.ns = append(o.ns, float64(nanotime()-start)/float64(*calls))
		}
		ratios = append(ratios, ops[0].ns[r]/ops[1].ns[r])
	}

	fmt.Printf("Go package tsmon: %d runs x %d calls, region %s\n\n", *runs, *calls, flag.Arg(0))
	fmt.Printf("%-40s %8s %8s\n", "operation", "best ns", "median")
	for _, o := range ops {
		fmt.Printf("%-40s %8.1f %8.1f\n", o.name, best(o.ns), median(o.ns))
	}
	fmt.Printf("\ntsmon Now() / time.Now(), per run: best %.2f, median %.2f\n", best(ratios), median(ratios))
	if bad != 0 {
		fmt.Printf("note: %d Now() reads were not SYNCHRONIZED (the region aged?)\n", bad)
	}
}
