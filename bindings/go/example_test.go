// SPDX-License-Identifier: LGPL-2.1-or-later

package tsmon_test

import (
	"fmt"
	"log"

	"tsmon"
)

// A bounded read of CLOCK_REALTIME.
func Example() {
	t, err := tsmon.Open("") // /dev/tsmon
	if err != nil {
		log.Fatal(err)
	}
	defer t.Close()
	tm, err := t.Now()
	fmt.Println(tm.RealNs, tm.BoundNs, tm.Status == tsmon.ClockSynchronized, err)
}

// Every record from the oldest, with lost-record reports in place.
func ExampleTsmon_Next() {
	t, err := tsmon.Open("")
	if err != nil {
		log.Fatal(err)
	}
	defer t.Close()
	c, _ := t.CursorInit(tsmon.FromOldest, 0)
	for {
		rec, err := t.Next(&c) // syscall.EAGAIN: nothing newer yet
		if err != nil {
			break
		}
		name, _ := tsmon.EventTypeName(rec.Type)
		fmt.Println(rec.Seq, name)
	}
}
