// SPDX-License-Identifier: LGPL-2.1-or-later
//! Byte views of the ABI's plain structures, for the size-carrying copies
//! (libtsmon's min/zero-fill rule works on bytes) and for dumping them.

use core::mem::size_of;

/// A `repr(C)` structure of u32/u64 fields (arrays and structures of
/// them) with explicit padding only.
///
/// # Safety
///
/// Every byte of a value is initialised and every bit pattern is a valid
/// value: viewing one as bytes, or writing any bytes into one, is sound.
pub(crate) unsafe trait Pod: Copy + 'static {}

pub(crate) fn bytes<T: Pod>(v: &T) -> &[u8] {
    // SAFETY: T: Pod has no uninitialised bytes; the slice covers exactly
    // the value and borrows it.
    unsafe { core::slice::from_raw_parts(v as *const T as *const u8, size_of::<T>()) }
}

pub(crate) fn bytes_mut<T: Pod>(v: &mut T) -> &mut [u8] {
    // SAFETY: as above, and any bytes written make a valid T (Pod).
    unsafe { core::slice::from_raw_parts_mut(v as *mut T as *mut u8, size_of::<T>()) }
}
