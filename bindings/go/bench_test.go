// SPDX-License-Identifier: LGPL-2.1-or-later

package tsmon

import (
	"testing"
	"time"
)

var benchSink uint64

func benchHandle(b *testing.B) *Tsmon {
	r := newRegion(64, HealthSize, 1)
	in := synced(monoNow() - 1e9)
	r.setHealth(&in)
	for i := 0; i < 64; i++ {
		r.publish(Record{Type: EventResume})
	}
	return r.attach(b)
}

func BenchmarkNow(b *testing.B) {
	h := benchHandle(b)
	for i := 0; i < b.N; i++ {
		tm, _ := h.Now()
		benchSink += tm.RealNs
	}
}

func BenchmarkNowAt(b *testing.B) {
	h := benchHandle(b)
	mono := monoNow()
	for i := 0; i < b.N; i++ {
		tm, _ := h.NowAt(mono + uint64(i))
		benchSink += tm.RealNs
	}
}

func BenchmarkForwardNow(b *testing.B) {
	h := benchHandle(b)
	var f Forward
	for i := 0; i < b.N; i++ {
		tm, _ := h.ForwardNow(&f)
		benchSink += tm.RealNs
	}
}

func BenchmarkTimeNow(b *testing.B) {
	for i := 0; i < b.N; i++ {
		benchSink += uint64(time.Now().UnixNano())
	}
}

func BenchmarkNanotime(b *testing.B) {
	for i := 0; i < b.N; i++ {
		benchSink += monoNow()
	}
}

func BenchmarkHealth(b *testing.B) {
	h := benchHandle(b)
	for i := 0; i < b.N; i++ {
		hb, _ := h.Health()
		benchSink += hb.Seq
	}
}

func BenchmarkNext(b *testing.B) {
	h := benchHandle(b)
	c, _ := h.CursorInit(FromOldest, 0)
	first := c
	for i := 0; i < b.N; i++ {
		rec, err := h.Next(&c)
		if err != nil {
			c = first
		}
		benchSink += rec.Seq
	}
}
