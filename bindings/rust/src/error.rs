// SPDX-License-Identifier: LGPL-2.1-or-later
//! Errors: the negative errno libtsmon returns for the same condition.

use core::fmt;

/// Linux errno values libtsmon's calls return (negated) in this crate.
pub mod errno {
    /// No such file (the module is not loaded), or /proc unreadable.
    pub const ENOENT: i32 = 2;
    /// Out of memory.
    pub const ENOMEM: i32 = 12;
    /// Permission denied.
    pub const EACCES: i32 = 13;
    /// Not mappable.
    pub const ENODEV: i32 = 19;
    /// An invalid argument (a cursor never initialised, a setting out of range).
    pub const EINVAL: i32 = 22;
    /// Not there yet, or a writer held an update past the spin limit.
    pub const EAGAIN: i32 = 11;
    /// Not a device (a region file has no waiter).
    pub const ENOTTY: i32 = 25;
    /// A malformed region.
    pub const EBADMSG: i32 = 74;
    /// An ABI version this reader does not know.
    pub const EPROTONOSUPPORT: i32 = 93;
    /// The health block is shorter than its clock line.
    pub const EOPNOTSUPP: i32 = 95;
    /// A cursor of another module instance.
    pub const ESTALE: i32 = 116;
    /// I/O error (an OS error without an errno, which Linux never gives).
    pub const EIO: i32 = 5;
}

/// A failed call, carrying what libtsmon would have returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Error {
    /// A negative errno value, as libtsmon returns it (e.g. -22 for EINVAL).
    Errno(i32),
}

impl Error {
    /// The negative errno, as libtsmon's function returns it.
    pub fn errno(&self) -> i32 {
        match *self {
            Error::Errno(e) => e,
        }
    }

    /// The error for the positive errno `e`.
    pub(crate) const fn from_errno(e: i32) -> Error {
        Error::Errno(-e)
    }

    pub(crate) fn from_io(e: &std::io::Error) -> Error {
        Error::Errno(-e.raw_os_error().unwrap_or(errno::EIO))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", std::io::Error::from_raw_os_error(-self.errno()))
    }
}

impl std::error::Error for Error {}

impl From<Error> for std::io::Error {
    fn from(e: Error) -> std::io::Error {
        std::io::Error::from_raw_os_error(-e.errno())
    }
}

/// The result of a libtsmon-like call.
pub type Result<T> = core::result::Result<T, Error>;

pub(crate) const EINVAL: Error = Error::from_errno(errno::EINVAL);
pub(crate) const EAGAIN: Error = Error::from_errno(errno::EAGAIN);
pub(crate) const ESTALE: Error = Error::from_errno(errno::ESTALE);
pub(crate) const EBADMSG: Error = Error::from_errno(errno::EBADMSG);
pub(crate) const EPROTONOSUPPORT: Error = Error::from_errno(errno::EPROTONOSUPPORT);
pub(crate) const EOPNOTSUPP: Error = Error::from_errno(errno::EOPNOTSUPP);
