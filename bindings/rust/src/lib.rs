// SPDX-License-Identifier: LGPL-2.1-or-later
//! A pure-Rust reader of tsmon's shared-memory ABI
//! (include/uapi/tsmon/abi.h), with libtsmon's semantics: the same
//! validation and error codes, the same seqlock reads of the health block
//! and the event ring, the same bounded-clock rules.
//!
//! ```no_run
//! let t = tsmon::Tsmon::open(None)?; // /dev/tsmon, or a region file
//! let now = t.now()?;
//! println!("{} ±{} ns, status {}", now.real_ns, now.bound_ns, now.status);
//! let mut c = t.cursor_init(tsmon::Whence::Oldest, 0)?;
//! while let Ok(rec) = t.next(&mut c) {
//!     println!("{} {}", rec.seq, rec.type_name().unwrap_or("unknown"));
//! }
//! # Ok::<(), tsmon::Error>(())
//! ```
//!
//! After [`Tsmon::open`], reads make no system call (the clock comes from
//! the vDSO), take no lock and allocate nothing. Errors carry the negative
//! errno libtsmon returns for the same condition ([`Error::errno`]).

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

#[cfg(not(all(target_os = "linux", target_pointer_width = "64", target_has_atomic = "64")))]
compile_error!(
    "tsmon needs 64-bit Linux with lock-free 64-bit atomics: the region's words are shared with the kernel"
);

mod abi;
mod clock;
mod error;
mod handle;
mod pod;
mod read;
mod sys;

#[cfg(test)]
mod layout_tests;

pub use abi::*;
pub use clock::*;
pub use error::{errno, Error, Result};
pub use handle::{Info, Tsmon, INFO_TIMENS_UNKNOWN};
pub use read::{Cursor, Whence};

/// The version of libtsmon's API this crate follows (TSMON_VERSION_CODE).
pub const VERSION_CODE: u32 = 0 << 16 | 1 << 8;

/// Event type names (include/tsmon/names.h, and "lost"), by type.
const TYPE_NAMES: [Option<&str>; EVENT_TYPE_COUNT as usize] = [
    None,
    Some("clock_step"),
    Some("leap_armed"),
    Some("leap_disarmed"),
    Some("leap_applied"),
    Some("tai_change"),
    Some("clocksource_change"),
    Some("resume"),
    Some("lost"),
    Some("ntp_sync"),
    Some("ntp_unsync"),
    Some("ntp_mode"),
    Some("ntp_state"),
    Some("phc_step"),
    Some("phc_freq"),
    Some("phc_phase"),
    Some("phc_extts"),
    Some("phc_pps"),
    Some("phc_add"),
    Some("phc_remove"),
    Some("vm_disruption"),
];

/// The name of an event type (tsmon_event_type_name()); None where
/// libtsmon returns -EINVAL (EVENT_NONE, types newer than this crate).
pub fn event_type_name(t: u32) -> Option<&'static str> {
    TYPE_NAMES.get(t as usize).copied().flatten()
}

/// The event type of a name (tsmon_event_type_from_name()).
pub fn event_type_from_name(name: &str) -> Option<u32> {
    TYPE_NAMES.iter().position(|&n| n == Some(name)).map(|i| i as u32)
}
