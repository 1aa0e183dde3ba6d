// SPDX-License-Identifier: LGPL-2.1-or-later

// Package tsmon reads tsmon's shared-memory region (/dev/tsmon, or a region
// file) in pure Go, with libtsmon's semantics: the health block, the event
// ring with lost-record reports, and the bounded clock (Now, NowAt,
// OneWayValid, ForwardNow).
//
// After Open, the read paths (Health, Head, Next, Now ...) make no system
// call (CLOCK_MONOTONIC comes through the vDSO), take no lock and allocate
// nothing, and any number of goroutines may use one handle at once; the
// Set* settings may change while others read. Cursors belong to one
// goroutine at a time; a Forward state may be shared.
//
// Errors are syscall.Errno values, the errno libtsmon returns negated
// (syscall.EAGAIN, syscall.ESTALE, syscall.EINVAL, ...).
package tsmon
