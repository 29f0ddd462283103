//! The one error type of the core. Each face maps it in exactly one place: the C face to an errno
//! ([`Error::errno`]), the Java face to the exception class the JDK would throw.

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
    /// `fcntl(F_DUPFD_CLOEXEC)`: the private duplicate of a caller's descriptor
    Dup,
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
            Call::Dup => "dup",
        })
    }
}

/// Which descriptor an argument error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The file the bytes come from.
    Source,
    /// The socket, pipe or file the bytes go to.
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
    /// The descriptor is of a kind this side cannot use (a pipe or directory as source, a
    /// directory as target); `errno` is what the C face returns.
    #[error("the {side} is {what}")]
    BadDescriptor {
        /// The descriptor at fault.
        side: Side,
        /// What it is, for the message.
        what: &'static str,
        /// The errno the C face returns (`EISDIR`, `ESPIPE`).
        errno: i32,
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

    /// The positive errno value the C face returns for this error: the OS error itself, `EINVAL`
    /// for [`Error::Unsupported`], `ENODATA` for [`Error::SourceEnded`], `EBADF` for
    /// [`Error::AccessMode`], `ECANCELED` for [`Error::Stopped`].
    pub fn errno(&self) -> i32 {
        match self {
            Error::Os { source, .. } => source.raw_os_error().unwrap_or(libc::EIO),
            Error::BadDescriptor { errno, .. } => *errno,
            Error::AccessMode { .. } => libc::EBADF,
            Error::Stopped => libc::ECANCELED,
            Error::Unsupported { .. } => libc::EINVAL,
            Error::SourceEnded { .. } => libc::ENODATA,
        }
    }
}
