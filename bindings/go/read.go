// SPDX-License-Identifier: LGPL-2.1-or-later

package tsmon

// The read paths of lib/read.c: the health block and the event ring.
// Nothing here makes a system call, takes a lock or allocates. Every load
// from the region is atomic (loadU64/loadU32): the kernel writes it
// concurrently, and the sequence checks decide whether a copy is kept.

import (
	"syscall"
	"unsafe"
)

// spinFast: retries a read makes before it looks at the clock. A live
// writer holds a count odd for well under a microsecond, so these are
// enough unless the writer was stopped in the middle of an update.
const spinFast = 64

// spin is a reader waiting for a writer to finish an update.
type spin struct {
	n        uint32
	deadline uint64
}

// again is false once the reader should give up with EAGAIN: after
// spinFast tries, when the handle's spin limit has passed on the clock.
func (t *Tsmon) again(s *spin) bool {
	procyield(1)
	s.n++
	if s.n < spinFast {
		return true
	}
	now := monoNow()
	if s.deadline == 0 {
		s.deadline = now + t.spinLimitNs.Load()
	}
	return now < s.deadline
}

func putU64(dst []byte, v uint64) { *(*[8]byte)(dst) = *(*[8]byte)(unsafe.Pointer(&v)) }
func putU32(dst []byte, v uint32) { *(*[4]byte)(dst) = *(*[4]byte)(unsafe.Pointer(&v)) }

func zero(b []byte) {
	for i := range b {
		b[i] = 0
	}
}

// copyBody copies len(dst) bytes from the region at src (8-byte aligned)
// with atomic loads; a tail shorter than a word comes from an atomic load
// of the aligned word holding it. An aligned dst (a Health, a Record)
// takes word stores, anything else byte copies.
func copyBody(dst []byte, src unsafe.Pointer) {
	words := uintptr(len(dst) / 8)
	if words == 0 {
		// nothing but a tail
	} else if d := unsafe.Pointer(&dst[0]); uintptr(d)%8 == 0 {
		for i := uintptr(0); i < words; i++ {
			*(*uint64)(unsafe.Add(d, i*8)) = loadU64((*uint64)(unsafe.Add(src, i*8)))
		}
	} else {
		for i := uintptr(0); i < words; i++ {
			putU64(dst[i*8:], loadU64((*uint64)(unsafe.Add(src, i*8))))
		}
	}
	if rest := uintptr(len(dst)) - words*8; rest > 0 {
		v := loadU64((*uint64)(unsafe.Add(src, words*8)))
		copy(dst[words*8:], (*[8]byte)(unsafe.Pointer(&v))[:rest])
	}
}

// HealthInto copies the health block into buf with libtsmon's rule for
// sized structures (tsmon_health_sz()): min(len(buf), HealthSize, the
// module's health_size) bytes, the rest of buf zeroed. EINVAL when buf
// cannot hold seq (8 bytes), EAGAIN when the writer stayed inside an
// update for the spin limit.
func (t *Tsmon) HealthInto(buf []byte) error {
	size := len(buf)
	if size < 8 {
		return errInval
	}
	seq := (*uint64)(unsafe.Add(t.health, hSeq))
	bodySeq := t.bodySeq
	// min(caller, library, region): the library's own copy is the bound.
	n := size
	if n > int(t.healthCopy) {
		n = int(t.healthCopy)
	}
	var s spin
	var bodyBegin uint64
	for {
		// Pairs with the smp_wmb() the writer issues before it makes the
		// counts even: even values seen here mean the fields stored
		// before them are visible.
		begin := loadU64(seq)
		if bodySeq != nil {
			bodyBegin = loadU64(bodySeq)
		}
		if (begin|bodyBegin)&1 == 0 {
			copyBody(buf[8:n], unsafe.Add(t.health, 8))
			// Pairs with the smp_wmb() between the writer's odd counts
			// and the fields: if the copy saw any word of a newer
			// update, these reloads (ordered after the copy's loads)
			// see that update's odd (or a later) count.
			if loadU64(seq) == begin &&
				(bodySeq == nil || loadU64(bodySeq) == bodyBegin) {
				putU64(buf, begin)
				// An older module fills less: the rest reads 0.
				zero(buf[n:])
				return nil
			}
		}
		if !t.again(&s) {
			return syscall.EAGAIN
		}
	}
}

// Health reads the health block (tsmon_health()). Fields past what the
// module fills read 0. HealthInto(h.Bytes()) fills an existing Health in
// place (no 1216-byte copy on return). After an error, h is not valid.
func (t *Tsmon) Health() (h Health, err error) {
	err = t.HealthInto(h.Bytes())
	return
}

// Head is the sequence number of the newest published record, 0 if none.
func (t *Tsmon) Head() uint64 { return t.loadHead() }

func (t *Tsmon) loadHead() uint64 {
	// Pairs with the writer's smp_store_release(&hdr->head, seq), which
	// follows smp_store_release(&rec->seq, seq): once a head value is
	// seen, the seq and body of every record up to it are visible too.
	return loadU64(t.head)
}

// oldestSeq: the oldest record a ring whose newest is head still holds.
func (t *Tsmon) oldestSeq(head uint64) uint64 {
	if head >= t.ringEntries {
		return head - t.ringEntries + 1
	}
	return 1
}

// CursorInit makes a cursor (tsmon_cursor_init()): FromOldest, FromNow
// (seq ignored), or FromSeq at seq (EINVAL for 0). EINVAL for another
// whence.
func (t *Tsmon) CursorInit(whence Whence, seq uint64) (Cursor, error) {
	switch whence {
	case FromOldest:
		seq = t.oldestSeq(t.loadHead())
	case FromNow:
		seq = t.loadHead() + 1
	case FromSeq:
		if seq == 0 {
			return Cursor{}, errInval
		}
	default:
		return Cursor{}, errInval
	}
	return Cursor{next: seq, instanceID: t.info.InstanceID}, nil
}

// reportLost fills buf with the marker for records c.next .. resume - 1,
// which the writer overwrote before this reader got to them, and moves
// past them.
func reportLost(c *Cursor, buf []byte, resume uint64) error {
	zero(buf)
	putU64(buf[0:], c.next)
	putU32(buf[8:], EventLost)
	putU64(buf[32:], resume-c.next)
	c.next = resume
	return nil
}

// Next reads the record the cursor points at and moves it on
// (tsmon_next()). EAGAIN: nothing new yet. Records overwritten before the
// reader got to them come as one EventLost record (Seq the first missed,
// Lost().Count how many). ESTALE: the cursor belongs to another module
// instance. EINVAL: a zero Cursor.
func (t *Tsmon) Next(c *Cursor) (r Record, err error) {
	err = t.NextInto(c, r.Bytes())
	return
}

// NextInto is Next into a buffer of at least RecordSizeV1 bytes, with the
// sized-structure rule (tsmon_next_sz()): min(len(buf), RecordSize, the
// module's record_size) bytes, the rest zeroed.
func (t *Tsmon) NextInto(c *Cursor, buf []byte) error {
	size := len(buf)
	if c == nil || c.next == 0 || size < RecordSizeV1 {
		return errInval
	}
	// Sequence numbers of another module instance mean nothing here.
	if c.instanceID != t.info.InstanceID {
		return syscall.ESTALE
	}
	n := size
	if n > RecordSize {
		n = RecordSize
	}
	if n > int(t.recordSize) {
		n = int(t.recordSize)
	}
	want := c.next

	head := t.loadHead()
	if want > head {
		return syscall.EAGAIN
	}
	oldest := t.oldestSeq(head)
	if want < oldest {
		return reportLost(c, buf, oldest)
	}

	slot := unsafe.Add(t.ring, (want&t.ringMask)*uint64(t.recordSize))
	// Pairs with the writer's smp_store_release(&rec->seq, seq): seeing
	// our sequence number here makes the body stored before it visible.
	if loadU64((*uint64)(slot)) == want {
		copyBody(buf[8:n], unsafe.Add(slot, 8))
		// Pairs with the writer's smp_wmb() between storing 0 into
		// rec->seq and the new body: if the copy read any word of a
		// later record in this slot, this reload (ordered after the
		// copy's loads) sees 0 or that record's sequence, never ours.
		if loadU64((*uint64)(slot)) == want {
			putU64(buf, want)
			zero(buf[n:])
			c.next = want + 1
			return nil
		}
	}

	// The writer lapped us between the head load and the copy: resume at
	// the oldest record a fresh head leaves in the ring, and at least one
	// past the one we missed (the head lags the slot by one record while
	// the writer fills it).
	oldest = t.oldestSeq(t.loadHead())
	if oldest <= want {
		oldest = want + 1
	}
	return reportLost(c, buf, oldest)
}
