// SPDX-License-Identifier: LGPL-2.1-or-later

package tsmon

import (
	"sync/atomic"
	_ "unsafe" // go:linkname
)

// nanotime is the runtime's clock: on Linux, clock_gettime(CLOCK_MONOTONIC)
// through the vDSO (runtime·nanotime1), in the caller's time namespace, as
// libtsmon's tsmon_mono_now(). No system call, no allocation.
//
//go:linkname nanotime runtime.nanotime
func nanotime() int64

// procyield executes the CPU's spin-wait hint (PAUSE, YIELD) n times:
// libtsmon's tsmon_cpu_relax().
//
//go:linkname procyield runtime.procyield
func procyield(n uint32)

func monoNow() uint64 { return uint64(nanotime()) }

// loadU64 is a load of a region word the writer may be storing to. Go's
// atomics are sequentially consistent: each load is at least an acquire
// load, and loads are never reordered with one another, which gives the
// guarantees libtsmon gets from acquire loads plus its read barrier (the
// variant libtsmon builds for ThreadSanitizer: acquire loads of the body).
func loadU64(p *uint64) uint64 { return atomic.LoadUint64(p) }
func loadU32(p *uint32) uint32 { return atomic.LoadUint32(p) }

func casU64(p *uint64, old, new uint64) bool { return atomic.CompareAndSwapUint64(p, old, new) }
