//! What the descriptors are, asked once, and the plan made from it: which path runs, how far,
//! and which errors AUTO falls back from. The pure rules (`plan`, `can_fall_back`, the clamp)
//! have their unit tests here.

use std::os::fd::BorrowedFd;
use std::sync::atomic::{AtomicBool, Ordering};

use super::calls::Calls;
use super::job::Extent;
use super::TargetKind;
use crate::error::{Call, Error, Side, Unusable};
use crate::sys::{self, FileKind, MAX_OFFSET};
use crate::Strategy;

/// Set once `sendfile(2)` fails with `ENOSYS` (an old kernel or a seccomp filter): a property of
/// the process, unlike `EINVAL`, which depends on the descriptors (JDK 17's sticky per-kind flag
/// turns sendfile off for good after one append-mode target; we do not copy that).
pub(crate) static SENDFILE_MISSING: AtomicBool = AtomicBool::new(false);

/// Remembers an `ENOSYS` from sendfile for the process.
pub(crate) fn note_fallback(e: &Error) {
    let from_sendfile = matches!(
        e,
        Error::Os {
            call: Call::Sendfile,
            ..
        }
    );
    if from_sendfile && errno_of(e) == Some(libc::ENOSYS) {
        SENDFILE_MISSING.store(true, Ordering::Relaxed);
    }
}

pub(crate) fn sendfile_missing() -> bool {
    SENDFILE_MISSING.load(Ordering::Relaxed)
}

/// What `fstat(2)` and `fcntl(2)` say about the two descriptors, as far as a transfer cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Descriptors {
    /// The source's size; meaningful only when `size_known`.
    pub(crate) src_size: u64,
    /// False for a source that reports size 0 (a `/proc` file, a device): read it to its end.
    pub(crate) size_known: bool,
    pub(crate) dst_kind: FileKind,
    pub(crate) dst_append: bool,
}

impl Descriptors {
    /// What a transfer of `count` bytes from `position` moves: clamped to the source's size
    /// when it is known, else to the largest offset.
    pub(crate) fn extent(&self, position: u64, count: u64) -> Extent {
        let count = if position > MAX_OFFSET {
            0
        } else if self.size_known {
            self.src_size.saturating_sub(position).min(count)
        } else {
            (MAX_OFFSET - position).min(count)
        };
        Extent {
            position,
            count,
            size_known: self.size_known,
        }
    }
}

/// The file kind a caller's claim names (`None`: nobody said).
pub(crate) fn claimed_kind(target: Option<TargetKind>) -> Option<FileKind> {
    match target? {
        TargetKind::Socket => Some(FileKind::Socket),
        TargetKind::Pipe => Some(FileKind::Fifo),
        TargetKind::File => Some(FileKind::Regular),
    }
}

/// What the target is: as the caller says, else as `fstat(2)` says (a directory is `EISDIR`).
pub(crate) fn target_kind(
    calls: &mut Calls<'_>,
    dst: BorrowedFd<'_>,
    target: Option<TargetKind>,
) -> Result<FileKind, Error> {
    if let Some(kind) = claimed_kind(target) {
        return Ok(kind);
    }
    match calls
        .call(Call::Fstat, Side::Target, || sys::fstat(dst))?
        .kind
    {
        FileKind::Directory => Err(bad(Side::Target, Unusable::Directory)),
        kind => Ok(kind),
    }
}

/// The source as a file that can be read at a position: its `fstat(2)`, or the error for a
/// directory (`EISDIR`), a pipe or a socket (`ESPIPE`).
pub(crate) fn source_stat(calls: &mut Calls<'_>, src: BorrowedFd<'_>) -> Result<sys::Stat, Error> {
    let stat = calls.call(Call::Fstat, Side::Source, || sys::fstat(src))?;
    match stat.kind {
        FileKind::Regular | FileKind::CharDevice | FileKind::BlockDevice => Ok(stat),
        FileKind::Directory => Err(bad(Side::Source, Unusable::Directory)),
        FileKind::Socket | FileKind::Fifo | FileKind::Other => {
            Err(bad(Side::Source, Unusable::NotSeekable))
        }
    }
}

/// Classifies both descriptors: `fstat(2)` of the source, of the target unless the caller says
/// it is a socket or a pipe, and the `O_APPEND` flag of a file target.
pub(crate) fn classify(
    calls: &mut Calls<'_>,
    src: BorrowedFd<'_>,
    dst: BorrowedFd<'_>,
    target: Option<TargetKind>,
) -> Result<Descriptors, Error> {
    let src_stat = source_stat(calls, src)?;
    // A file claimed as such is still asked: its O_APPEND flag decides the plan.
    let claim = target.filter(|t| *t != TargetKind::File);
    let dst_kind = target_kind(calls, dst, claim)?;
    let dst_append = dst_kind == FileKind::Regular
        && calls
            .call(Call::Fcntl, Side::Target, || sys::status_flags(dst))?
            .append;
    Ok(Descriptors {
        src_size: src_stat.size,
        size_known: src_stat.kind == FileKind::Regular && src_stat.size > 0,
        dst_kind,
        dst_append,
    })
}

/// The strategy that will run, or why the requested one cannot.
pub(crate) fn plan(
    strategy: Strategy,
    descriptors: &Descriptors,
    sendfile_missing: bool,
) -> Result<Strategy, Error> {
    match strategy {
        // Sendfile to an O_APPEND file is always EINVAL, and a source of unknown size is copied
        // to its end the way the JDK does it, with read/write.
        Strategy::Auto if descriptors.dst_append || !descriptors.size_known || sendfile_missing => {
            Ok(Strategy::ReadWrite)
        }
        Strategy::Auto => Ok(Strategy::Sendfile),
        Strategy::Sendfile if descriptors.dst_append => Err(Error::Unsupported {
            strategy,
            reason: "sendfile(2) cannot write to a target opened with O_APPEND",
        }),
        Strategy::CopyFileRange if descriptors.dst_kind != FileKind::Regular => {
            Err(Error::Unsupported {
                strategy,
                reason: "copy_file_range(2) copies between files, and the target is not a file",
            })
        }
        Strategy::CopyFileRange if descriptors.dst_append => Err(Error::Unsupported {
            strategy,
            reason: "copy_file_range(2) cannot write to a target opened with O_APPEND",
        }),
        Strategy::Splice => Err(splice_sends_nothing()),
        other => Ok(other),
    }
}

/// SPLICE asked of `transfer_to` or `send_file`.
pub(crate) fn splice_sends_nothing() -> Error {
    Error::Unsupported {
        strategy: Strategy::Splice,
        reason: "splice(2) receives a socket or pipe into a file (transferFrom); a file is sent by SENDFILE",
    }
}

/// The OS error number of an error from a kernel call.
pub(crate) fn errno_of(e: &Error) -> Option<i32> {
    match e {
        Error::Os { source, .. } => source.raw_os_error(),
        _ => None,
    }
}

/// Errors that mean "this kernel or these descriptors cannot do sendfile (or copy_file_range, or
/// splice)", not "the I/O failed": what a transfer falls back from, before the first byte.
pub(crate) fn can_fall_back(e: &Error) -> bool {
    matches!(
        e,
        Error::Os {
            call: Call::Sendfile | Call::CopyFileRange | Call::Splice,
            ..
        }
    ) && matches!(
        errno_of(e),
        Some(libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP | libc::EXDEV)
    )
}

/// A descriptor of a kind its side cannot use.
pub(crate) fn bad(side: Side, what: Unusable) -> Error {
    Error::BadDescriptor { side, what }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

    fn files(size_known: bool, dst_append: bool) -> Descriptors {
        Descriptors {
            src_size: 100,
            size_known,
            dst_kind: FileKind::Regular,
            dst_append,
        }
    }

    #[test]
    fn auto_sends_a_file_of_known_size_and_copies_the_rest() {
        let plan_of = |d: Descriptors, missing| plan(Strategy::Auto, &d, missing).unwrap();
        assert_eq!(plan_of(files(true, false), false), Strategy::Sendfile);
        assert_eq!(plan_of(files(true, true), false), Strategy::ReadWrite);
        assert_eq!(plan_of(files(false, false), false), Strategy::ReadWrite);
        assert_eq!(plan_of(files(true, false), true), Strategy::ReadWrite);
    }

    #[test]
    fn an_explicit_strategy_runs_or_is_refused() {
        for s in [
            Strategy::Sendfile,
            Strategy::Mmap,
            Strategy::ReadWrite,
            Strategy::CopyFileRange,
        ] {
            assert_eq!(plan(s, &files(false, false), true).unwrap(), s);
        }
        let to_socket = Descriptors {
            dst_kind: FileKind::Socket,
            ..files(true, false)
        };
        assert!(plan(Strategy::CopyFileRange, &to_socket, false).is_err());
        assert!(plan(Strategy::CopyFileRange, &files(true, true), false).is_err());
        let refused = plan(Strategy::Sendfile, &files(true, true), false).unwrap_err();
        assert!(matches!(refused, Error::Unsupported { .. }));
        assert_eq!(refused.errno(), libc::EINVAL);
        assert_eq!(
            plan(Strategy::Mmap, &files(true, true), false).unwrap(),
            Strategy::Mmap
        );
    }

    #[test]
    fn auto_falls_back_only_from_sendfile_refusing_the_descriptors() {
        let os = |call, errno| Error::os(call, Side::Target, io::Error::from_raw_os_error(errno));
        for errno in [libc::EINVAL, libc::ENOSYS, libc::EOPNOTSUPP, libc::EXDEV] {
            assert!(can_fall_back(&os(Call::Sendfile, errno)), "{errno}");
            assert!(can_fall_back(&os(Call::CopyFileRange, errno)), "{errno}");
            assert!(!can_fall_back(&os(Call::Write, errno)), "{errno}");
        }
        for errno in [
            libc::EPIPE,
            libc::ECONNRESET,
            libc::EBADF,
            libc::EAGAIN,
            libc::EIO,
        ] {
            assert!(!can_fall_back(&os(Call::Sendfile, errno)), "{errno}");
        }
        assert!(!can_fall_back(&Error::Stopped));
    }

    #[test]
    fn the_extent_is_clamped_to_the_size_or_the_largest_offset() {
        let known = files(true, false);
        assert_eq!(known.extent(0, u64::MAX).count, 100);
        assert_eq!(known.extent(40, 10).count, 10);
        assert_eq!(known.extent(100, 10).count, 0);
        assert_eq!(known.extent(u64::MAX, 10).count, 0);
        let unknown = files(false, false);
        assert_eq!(unknown.extent(0, u64::MAX).count, MAX_OFFSET);
        assert_eq!(unknown.extent(MAX_OFFSET, 10).count, 0);
        assert!(!unknown.extent(5, 5).size_known);
    }
}
