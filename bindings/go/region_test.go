// SPDX-License-Identifier: LGPL-2.1-or-later

package tsmon

// A region in memory, written with the module's protocol, for the tests.

import (
	"sync/atomic"
	"testing"
	"unsafe"
)

type region struct {
	words []uint64
	mem   []byte
	// the health block's words, and its size in the header
	healthSize int
	entries    uint64
}

func (r *region) w(off uintptr) *uint64 { return &r.words[off/8] }

// newRegion: the module's layout (header, health at 256, ring at 4096).
func newRegion(entries uint32, healthSize int, instance uint64) *region {
	size := RingOffsetV1 + int(entries)*RecordSizeV1
	r := &region{words: make([]uint64, size/8), healthSize: healthSize, entries: uint64(entries)}
	r.mem = unsafe.Slice((*byte)(unsafe.Pointer(&r.words[0])), size)
	put32 := func(off uintptr, v uint32) { *(*uint32)(unsafe.Pointer(&r.mem[off])) = v }
	*r.w(hdrMagic) = Magic
	put32(hdrABIVersion, ABIVersion)
	put32(hdrHeaderSize, HeaderSizeV1)
	put32(hdrRegionSize, uint32(size))
	put32(hdrHealthOffset, HealthOffsetV1)
	put32(hdrHealthSize, uint32(healthSize))
	put32(hdrRingOffset, RingOffsetV1)
	put32(hdrRecordSize, RecordSizeV1)
	put32(hdrRingEntries, entries)
	put32(hdrRingMask, entries-1)
	*r.w(hdrInstanceID) = instance
	*r.w(hdrLoadMonoNs) = 1000
	return r
}

func (r *region) attach(t testing.TB) *Tsmon {
	h, err := Attach(r.mem)
	if err != nil {
		t.Fatalf("Attach: %v", err)
	}
	return h
}

func (r *region) health() *uint64 { return r.w(HealthOffsetV1) }

func (r *region) hasBodySeq() bool { return uintptr(r.healthSize) >= hBodySeq+8 }

// setHealth publishes h as the module does: counts odd, write barrier
// (Go's atomic stores are sequentially consistent), fields, counts even.
func (r *region) setHealth(h *Health) {
	base := HealthOffsetV1 / 8
	seq := &r.words[base]
	body := &r.words[base+int(hBodySeq/8)]
	s := atomic.LoadUint64(seq)
	atomic.StoreUint64(seq, s+1)
	var b uint64
	if r.hasBodySeq() {
		b = atomic.LoadUint64(body)
		atomic.StoreUint64(body, b+1)
	}
	src := unsafe.Slice((*uint64)(unsafe.Pointer(h)), HealthSize/8)
	for i := 1; i < (r.healthSize+7)/8 && i < len(src); i++ {
		if r.hasBodySeq() && uintptr(i*8) == hBodySeq {
			continue
		}
		atomic.StoreUint64(&r.words[base+i], src[i])
	}
	if r.hasBodySeq() {
		atomic.StoreUint64(body, b+2)
	}
	atomic.StoreUint64(seq, s+2)
}

// publish writes the next record as the module does: seq 0, body, seq
// (release), head (release).
func (r *region) publish(rec Record) uint64 {
	head := atomic.LoadUint64(r.w(hdrHead)) + 1
	slot := RingOffsetV1/8 + int(head&(r.entries-1))*RecordSizeV1/8
	atomic.StoreUint64(&r.words[slot], 0)
	rec.Seq = head
	src := unsafe.Slice((*uint64)(unsafe.Pointer(&rec)), RecordSize/8)
	for i := 1; i < len(src); i++ {
		atomic.StoreUint64(&r.words[slot+i], src[i])
	}
	atomic.StoreUint64(&r.words[slot], head)
	atomic.StoreUint64(r.w(hdrHead), head)
	return head
}

// synced is a health block of a synchronised clock: the NTP hook, state
// TIME_OK, a sync update at syncMono with maxerror 1 ms every 64 s.
func synced(syncMono uint64) Health {
	return Health{
		OffsRealNs:     1_700_000_000_000_000_000,
		SyncMonoNs:     syncMono,
		SyncMaxerrorNs: 1_000_000,
		SyncIntervalNs: 64_000_000_000,
		Hooks:          HookTimekeeper | HookAdjtimex | HookSettime,
		NTPStatus:      0x2001,
		NTPState:       timeOK,
	}
}
