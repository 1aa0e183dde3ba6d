// SPDX-License-Identifier: GPL-2.0-only

package main

import "unsafe"

// The record's bytes are in the writer's (the host's) byte order.
func nativeU32(b []byte) uint32 { return *(*uint32)(unsafe.Pointer((*[4]byte)(b))) }
func nativeU64(b []byte) uint64 { return *(*uint64)(unsafe.Pointer((*[8]byte)(b))) }
