//! [`Job`]: one transfer in progress, the clamped request and what has moved, and the
//! dispatch to the path that moves the bytes (`sendfile.rs`, `mmap.rs`, `read_write.rs`).

use std::os::fd::BorrowedFd;

use super::calls::Calls;
use super::{Options, Transferred};
use crate::error::{Call, Error, Side};
use crate::sys::{self, FileKind};
use crate::Strategy;

/// What a job moves: `count` bytes of the source from `position`, already clamped to the
/// source's size (or to the largest offset). `size_known` is false for a source that reports
/// size 0 (a `/proc` file, a device), which is copied until its end.
#[derive(Clone, Copy)]
pub(crate) struct Extent {
    pub(crate) position: u64,
    pub(crate) count: u64,
    pub(crate) size_known: bool,
}

/// One transfer in progress.
pub(crate) struct Job<'fd, 'cp> {
    pub(crate) src: BorrowedFd<'fd>,
    pub(crate) dst: BorrowedFd<'fd>,
    pub(crate) position: u64,
    pub(crate) count: u64,
    pub(crate) size_known: bool,
    pub(crate) dst_socket: bool,
    pub(crate) dst_pipe: bool,
    pub(crate) calls: Calls<'cp>,
    /// Bytes moved so far.
    pub(crate) bytes: u64,
    /// `bytes` when the checkpoint last ran.
    checked_at: u64,
    /// The first read of the source returned nothing (sendfile or pread returned 0 at
    /// `position`).
    pub(crate) ended_at_start: bool,
}

impl<'fd, 'cp> Job<'fd, 'cp> {
    pub(crate) fn new(
        (src, dst): (BorrowedFd<'fd>, BorrowedFd<'fd>),
        extent: Extent,
        dst_kind: FileKind,
        calls: Calls<'cp>,
    ) -> Self {
        Job {
            src,
            dst,
            position: extent.position,
            count: extent.count,
            size_known: extent.size_known,
            dst_socket: dst_kind == FileKind::Socket,
            dst_pipe: dst_kind == FileKind::Fifo,
            calls,
            bytes: 0,
            checked_at: 0,
            ended_at_start: false,
        }
    }

    /// Runs `strategy` (never AUTO), with the SIGPIPE guard and the wake-ups the target's kind
    /// and `options` ask for.
    pub(crate) fn run(
        &mut self,
        strategy: Strategy,
        dst_kind: FileKind,
        options: &Options<'_>,
    ) -> Result<(), Error> {
        // Only sendfile to a socket and write(2) to a pipe can raise SIGPIPE: the other socket
        // writes use send(MSG_NOSIGNAL). The guard is not free: besides three calls per
        // transfer, read/write to a socket measured 5-10% slower at 1-16 MiB with SIGPIPE
        // blocked (benches/interleaved.rs), so it is raised only where it is needed.
        let sigpipe_possible = match dst_kind {
            FileKind::Fifo => true,
            FileKind::Socket => strategy == Strategy::Sendfile,
            _ => false,
        };
        let _guard = (options.guard_sigpipe && sigpipe_possible).then(sys::SigpipeGuard::new);
        self.calls.arm_watch(dst_kind, options.wake);
        match strategy {
            Strategy::Sendfile => self.sendfile(),
            Strategy::Mmap => self.mmap(),
            Strategy::CopyFileRange => self.copy_file_range(),
            _ => self.read_write(),
        }
    }

    /// Runs the checkpoint once [`CHECKPOINT_BYTES`](super::CHECKPOINT_BYTES) have moved since it last ran, or when the
    /// watchdog woke a blocked call ([`Calls::checkpoint_every`]).
    pub(crate) fn checkpoint(&mut self) -> Result<(), Error> {
        self.calls
            .checkpoint_every(self.bytes, &mut self.checked_at)
    }

    /// The most one kernel call may move ([`Calls::max_call`]).
    pub(crate) fn max_call(&self) -> u64 {
        self.calls.max_call()
    }

    pub(crate) fn done(&self, strategy: Strategy) -> Transferred {
        Transferred {
            bytes: self.bytes,
            strategy,
            syscalls: self.calls.count,
        }
    }

    pub(crate) fn remaining(&self) -> u64 {
        self.count - self.bytes
    }

    pub(crate) fn offset(&self) -> u64 {
        self.position + self.bytes
    }

    /// A read that returned 0 bytes: the end of a source of unknown size, or a truncation.
    pub(crate) fn source_ended(&mut self) -> Result<(), Error> {
        self.ended_at_start = self.bytes == 0;
        if self.size_known {
            Err(Error::SourceEnded {
                offset: self.offset(),
            })
        } else {
            Ok(())
        }
    }

    /// Whether the source has no byte at `position` (see [`nothing_at`]).
    pub(crate) fn nothing_at_position(&mut self) -> Result<bool, Error> {
        nothing_at(&mut self.calls, self.src, self.position)
    }
}

/// Whether `src` has no byte at `position`: one probe byte, for a source whose size says nothing
/// (0 for a `/proc` file as for an empty one).
pub(crate) fn nothing_at(
    calls: &mut Calls<'_>,
    src: BorrowedFd<'_>,
    position: u64,
) -> Result<bool, Error> {
    let mut probe = sys::ReadBuffer::with_capacity(1);
    let n = calls.call(Call::Pread, Side::Source, || probe.pread(src, 1, position))?;
    Ok(n == 0)
}
