//! The one error type of the core. Its errno is decided in one place, [`Error::errno`], which the
//! C face returns; the JNI face turns the error into a status (`rust/jni/status.rs`), which
//! `dev.zerocopy.Outcome` turns into the exception class the JDK would throw.

use std::fmt;
use std::io;

use crate::Strategy;

/// The kernel call that failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    /// `fstat(2)`
    Fstat,
    /// `fcntl(2)` (`F_GETFL`)
    Fcntl,
    /// `pread(2)`
    Pread,
    /// `write(2)` or `send(2)`
    Write,
    /// `sendfile(2)`
    Sendfile,
    /// `mmap(2)`
    Mmap,
    /// `copy_file_range(2)`
    CopyFileRange,
    /// `fcntl(F_DUPFD_CLOEXEC)`: the private duplicate of a caller's descriptor
    Dup,
    /// `read(2)`
    Read,
    /// `pwrite(2)`
    Pwrite,
    /// `splice(2)`
    Splice,
    /// `lseek(2)`
    Lseek,
    /// `pipe2(2)` (and `F_SETPIPE_SZ`): the pipe a splice goes through
    Pipe,
    /// `open(2)` of `/proc/self/fd/N`: a second description of the target
    Open,
    /// `poll(2)`: waiting for a source whose channel blocks on a non-blocking descriptor
    Poll,
    /// `fstatfs(2)`: whether the target's file system copies in place
    Fstatfs,
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Call::Fstat => "fstat",
            Call::Fcntl => "fcntl",
            Call::Pread => "pread",
            Call::Write => "write",
            Call::Sendfile => "sendfile",
            Call::Mmap => "mmap",
            Call::CopyFileRange => "copy_file_range",
            Call::Dup => "dup",
            Call::Read => "read",
            Call::Pwrite => "pwrite",
            Call::Splice => "splice",
            Call::Lseek => "lseek",
            Call::Pipe => "pipe",
            Call::Open => "open",
            Call::Poll => "poll",
            Call::Fstatfs => "fstatfs",
        })
    }
}

/// Which descriptor an argument error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// Where the bytes come from: the file of `transfer_to`, the socket, pipe or file of
    /// `transfer_from`.
    Source,
    /// Where the bytes go: the socket, pipe or file of `transfer_to`, the file of
    /// `transfer_from`.
    Target,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Source => "source",
            Side::Target => "target",
        })
    }
}

/// Why a descriptor cannot serve its side of a transfer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unusable {
    /// A directory (`EISDIR`).
    Directory,
    /// A pipe or socket as the source of `transfer_to`, or as the target of `transfer_from`: it
    /// cannot be read or written at a position (`ESPIPE`).
    NotSeekable,
}

impl fmt::Display for Unusable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Unusable::Directory => "a directory",
            Unusable::NotSeekable => {
                "not a file that can be read or written at a position (a pipe or socket)"
            }
        })
    }
}

/// Why a transfer moved no bytes. (An error after some bytes moved is not reported: the call
/// returns the partial count, and the condition shows again on the next call, as with `write(2)`.)
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A kernel call failed; `source` is the OS error (`EPIPE`, `EBADF`, ...).
    #[error("{call} on the {side}: {source}")]
    Os {
        /// The call that failed.
        call: Call,
        /// The descriptor it failed on (sendfile errors are reported against the target).
        side: Side,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// The descriptor is of a kind this side cannot use: a directory on either side, a pipe or
    /// socket as the source.
    #[error("the {side} is {what}")]
    BadDescriptor {
        /// The descriptor at fault.
        side: Side,
        /// What it is.
        what: Unusable,
    },
    /// The source is not open for reading, or the target not for writing.
    #[error("the {side} is not open for {}", if *side == Side::Source { "reading" } else { "writing" })]
    AccessMode {
        /// The descriptor at fault.
        side: Side,
    },
    /// The caller's checkpoint ([`crate::Options::checkpoint`]) stopped the transfer before any
    /// byte moved.
    #[error("the transfer was stopped by its checkpoint")]
    Stopped,
    /// The requested strategy cannot run with these descriptors. Nothing was transferred and no
    /// other path was tried.
    #[error("{strategy} cannot be used: {reason}")]
    Unsupported {
        /// The strategy that was asked for.
        strategy: Strategy,
        /// Why it cannot run.
        reason: &'static str,
    },
    /// The source ended at `offset`, before the size it had when the transfer started: the file
    /// was truncated during the transfer.
    #[error("the source ended at byte {offset}, before its size when the transfer started (truncated during the transfer)")]
    SourceEnded {
        /// The source offset at which reading returned nothing.
        offset: u64,
    },
}

impl Error {
    pub(crate) fn os(call: Call, side: Side, source: io::Error) -> Self {
        Error::Os { call, side, source }
    }

    /// The positive errno value of this error, the one place it is decided (the C face returns
    /// it): the OS error itself, `EISDIR` or `ESPIPE` for [`Error::BadDescriptor`], `EINVAL` for
    /// [`Error::Unsupported`], `ENODATA` for [`Error::SourceEnded`], `EBADF` for
    /// [`Error::AccessMode`], `ECANCELED` for [`Error::Stopped`].
    pub fn errno(&self) -> i32 {
        match self {
            Error::Os { source, .. } => source.raw_os_error().unwrap_or(libc::EIO),
            Error::BadDescriptor {
                what: Unusable::Directory,
                ..
            } => libc::EISDIR,
            Error::BadDescriptor {
                what: Unusable::NotSeekable,
                ..
            } => libc::ESPIPE,
            Error::AccessMode { .. } => libc::EBADF,
            Error::Stopped => libc::ECANCELED,
            Error::Unsupported { .. } => libc::EINVAL,
            Error::SourceEnded { .. } => libc::ENODATA,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_its_errno() {
        let os = Error::os(
            Call::Write,
            Side::Target,
            io::Error::from_raw_os_error(libc::EPIPE),
        );
        assert_eq!(os.errno(), libc::EPIPE);
        let no_code = Error::os(Call::Write, Side::Target, io::ErrorKind::WriteZero.into());
        assert_eq!(no_code.errno(), libc::EIO);
        let dir = Error::BadDescriptor {
            side: Side::Target,
            what: Unusable::Directory,
        };
        assert_eq!(dir.errno(), libc::EISDIR);
        assert_eq!(dir.to_string(), "the target is a directory");
        let pipe = Error::BadDescriptor {
            side: Side::Source,
            what: Unusable::NotSeekable,
        };
        assert_eq!(pipe.errno(), libc::ESPIPE);
        assert_eq!(
            Error::AccessMode { side: Side::Source }.errno(),
            libc::EBADF
        );
        assert_eq!(Error::Stopped.errno(), libc::ECANCELED);
        let unsupported = Error::Unsupported {
            strategy: Strategy::Mmap,
            reason: "r",
        };
        assert_eq!(unsupported.errno(), libc::EINVAL);
        assert_eq!(Error::SourceEnded { offset: 3 }.errno(), libc::ENODATA);
    }
}
