//! `transfer_to`: the contract of `FileChannel.transferTo` over borrowed file descriptors (in the
//! docs of [`transfer_to`], and in `docs/design.md`), and the dispatcher that reads as the
//! fallback ladder: sendfile first, else classify the descriptors once ([`probe`]), plan, run the
//! path (`sendfile.rs`, `mmap.rs`, `read_write.rs`, each an `impl` of [`job::Job`]), and fall
//! back to read/write where the kernel refuses sendfile before the first byte.

mod calls;
mod copy_file_range;
mod job;
mod mmap;
mod probe;
mod read_write;
mod sendfile;

use std::os::fd::BorrowedFd;

pub(crate) use calls::{write_zero, Calls, Wrote};
pub(crate) use job::{nothing_at, Extent, Job};
pub(crate) use probe::{
    can_fall_back, sendfile_missing, source_stat, splice_sends_nothing, target_kind,
};

use crate::error::{Call, Error, Side};
use crate::sys::{self, FileKind, MAX_OFFSET};
use crate::Strategy;

/// Size of the buffer [`Strategy::ReadWrite`] reads into (or the count, when smaller). Chosen by
/// measurement (`docs/benchmarks.md`, "The read/write buffer"): to a loopback socket, 256 KiB beat
/// 8 KiB to 1 MiB at both 1 MiB and 64 MiB transfers.
pub const READ_WRITE_BUFFER: usize = 256 * 1024;

/// Most bytes one `sendfile(2)` sends to a pipe. sendfile fills a 64 KiB pipe in one call and
/// then waits for the reader to empty it; smaller calls keep the reader busy while the next one
/// is made. Measured to a pipe a thread drains (`bash .ci/compare --targets pipe`, AMD EPYC guest,
/// `docs/benchmarks.md`, "Pipes"): 16 KiB calls moved 1.65-2.46 GB/s at 64 KiB to 16 MiB against
/// 1.2-1.4 GB/s with whole-pipe calls, ahead of an 8 KiB stream copy, at a third less CPU than it.
pub const PIPE_CHUNK: usize = 16 * 1024;

/// Most bytes [`Strategy::Mmap`] maps at once; each window is unmapped before the next is mapped.
pub const MMAP_WINDOW: usize = 8 * 1024 * 1024;

/// What a finished transfer did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transferred {
    /// Bytes moved to the target, `0 <= bytes <= count`.
    pub bytes: u64,
    /// The strategy that actually ran: never [`Strategy::Auto`].
    pub strategy: Strategy,
    /// Kernel calls made: fstat, fcntl, sendfile, pread, write/send, mmap and munmap, counting
    /// failed calls and EINTR retries (the C face's signal-mask calls are not counted).
    pub syscalls: u64,
}

/// Bytes moved between two calls of an [`Options::checkpoint`] (at most; small transfers never
/// call it). Also caps each sendfile call while a checkpoint is set.
pub const CHECKPOINT_BYTES: u64 = 4 << 20;

/// What a caller may already know the target to be (see [`Options::target_is`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetKind {
    /// A socket (TCP, Unix).
    Socket,
    /// The writing end of a pipe.
    Pipe,
    /// A file (regular, or a device such as `/dev/null`). Spares the fast path's `fstat(2)`; an
    /// `O_APPEND` file is still found out (sendfile refuses it, and the transfer is then planned
    /// from what `fstat(2)` and `fcntl(2)` say).
    File,
}

/// Settings that differ between the faces.
#[non_exhaustive]
pub struct Options<'a> {
    /// Block `SIGPIPE` around the calls that can raise it, and discard one they raised. On by
    /// default; the JNI face turns it off because the JVM already ignores `SIGPIPE`.
    pub guard_sigpipe: bool,
    pub(crate) checkpoint: Option<&'a mut dyn FnMut() -> bool>,
    pub(crate) target: Option<TargetKind>,
    pub(crate) wake: bool,
    /// The caller checked that the source is a file open for reading (the JNI face, from the
    /// channel's own flags): `send_file` may write the header before it first reads the file.
    pub(crate) source_checked: bool,
    /// The caller's channel is blocking whatever its descriptor's `O_NONBLOCK` says (a JDK 21+
    /// socket used by a virtual thread is non-blocking underneath): `transfer_from` waits for it
    /// (`poll(2)`) instead of ending when it has nothing ready.
    pub(crate) source_blocks: bool,
    /// The caller checked that the source is a file open for reading (`transfer_from`; the JNI
    /// face, from the channel's class and flags): with a target claimed as a file, the copy is
    /// tried straight away, in one call (`transfer_from::copy_first`).
    pub(crate) source_is_file: bool,
}

impl Default for Options<'_> {
    fn default() -> Self {
        Options {
            guard_sigpipe: true,
            checkpoint: None,
            target: None,
            wake: false,
            source_checked: false,
            source_blocks: false,
            source_is_file: false,
        }
    }
}

impl<'a> Options<'a> {
    /// Sets [`Options::guard_sigpipe`].
    pub fn guard_sigpipe(mut self, on: bool) -> Self {
        self.guard_sigpipe = on;
        self
    }

    /// Declares what the target is, sparing the `fstat(2)` that would find out: for callers that
    /// know it already (the JNI face, from the channel's class). A wrong claim is no memory hazard
    /// (the kernel refuses the calls made for that kind: `send(2)` on a pipe is `ENOTSOCK`), but
    /// the claim decides the SIGPIPE guard: a socket or pipe claimed as a [`TargetKind::File`] is
    /// written unguarded, and a hung-up peer then raises `SIGPIPE` unless the process ignores it.
    pub fn target_is(mut self, kind: TargetKind) -> Self {
        self.target = Some(kind);
        self
    }

    /// Calls `keep_going` after every [`CHECKPOINT_BYTES`] moved; when it returns false the
    /// transfer stops there: with the bytes moved so far, or [`Error::Stopped`] if none. The
    /// Java face uses it to notice an interrupt or a closed channel during a long transfer.
    ///
    /// A kernel call interrupted by a signal (`EINTR`) also runs it: the call is retried while it
    /// returns true. (Without a checkpoint, `EINTR` ends the transfer, as it ends `write(2)`.)
    pub fn checkpoint(mut self, keep_going: &'a mut dyn FnMut() -> bool) -> Self {
        self.checkpoint = Some(keep_going);
        self
    }

    /// Runs the checkpoint while a call is blocked, too: a transfer to a target that can block
    /// (anything but a regular file) is interrupted with a signal after [`WAKE_INTERVAL`] in
    /// flight, and every interval after that, and runs its checkpoint each time. This is how the
    /// Java face stops a transfer to a peer that stopped reading when the thread is interrupted or
    /// a channel closed. The signal is the JDK's own wake-up signal (`SIGRTMAX - 2`, a handler that
    /// does nothing); a program that gives that signal a handler with `SA_RESTART` gets no wake-up.
    /// Does nothing without a checkpoint.
    ///
    /// [`WAKE_INTERVAL`]: crate::WAKE_INTERVAL
    pub fn wake_blocked_calls(mut self) -> Self {
        self.wake = true;
        self
    }
}

/// Moves up to `count` bytes of the regular file `src`, starting at `position`, to `dst` (a
/// socket, a pipe, or a file opened for writing), with the semantics of
/// `FileChannel.transferTo`:
///
/// - `src`'s file offset never changes; the bytes go to `dst`'s current offset, which advances
///   (an `O_APPEND` file appends).
/// - `position` at or past the end of `src` moves nothing; `count` is clamped to the bytes left.
///   A source that reports size 0 but has content (a `/proc` file, a character device) is copied
///   until its end or `count`.
/// - The call loops until `count` bytes have moved, any size (each kernel call moves at most
///   0x7ffff000 bytes), except: a non-blocking target that would block ends it with the bytes
///   moved so far (0 if none), and so does an error after some bytes moved (the next call
///   reports it).
///
/// # Errors
/// Only when no byte moved: the OS error of the failing call (`EBADF` for a closed or
/// wrong-mode descriptor, `EPIPE`/`ECONNRESET` for a peer that hung up, ...), a descriptor of
/// the wrong kind, a strategy that cannot apply ([`Error::Unsupported`]: an explicit strategy
/// never runs another path), or a source truncated during the transfer ([`Error::SourceEnded`]),
/// or `EINTR` from a signal that interrupted a blocked call (see [`Options::checkpoint`]).
pub fn transfer_to(
    src: BorrowedFd<'_>,
    position: u64,
    count: u64,
    dst: BorrowedFd<'_>,
    strategy: Strategy,
) -> Result<Transferred, Error> {
    transfer_to_with(src, position, count, dst, strategy, Options::default())
}

/// Checks that `src` is open for reading and `dst` for writing. `transfer_to` leaves that to the
/// kernel (its first read or write fails with `EBADF`); this is for callers that must tell which
/// side is wrong, or report it before other errors (the Java face follows the JDK's order).
///
/// # Errors
/// [`Error::AccessMode`] for the side at fault, or the OS error of `fcntl(2)` (`EBADF`).
pub fn check_access(src: BorrowedFd<'_>, dst: BorrowedFd<'_>) -> Result<(), Error> {
    let src_mode = sys::status_flags(src).map_err(|e| Error::os(Call::Fcntl, Side::Source, e))?;
    if !src_mode.readable {
        return Err(Error::AccessMode { side: Side::Source });
    }
    let dst_mode = sys::status_flags(dst).map_err(|e| Error::os(Call::Fcntl, Side::Target, e))?;
    if !dst_mode.writable {
        return Err(Error::AccessMode { side: Side::Target });
    }
    Ok(())
}

/// [`transfer_to`] with [`Options`].
pub fn transfer_to_with(
    src: BorrowedFd<'_>,
    position: u64,
    count: u64,
    dst: BorrowedFd<'_>,
    strategy: Strategy,
    options: Options<'_>,
) -> Result<Transferred, Error> {
    let result = uncounted(src, position, count, dst, strategy, options);
    crate::stats::record(crate::stats::Direction::To, strategy, &result);
    result
}

/// [`transfer_to_with`] before it is counted in [`crate::statistics`].
fn uncounted(
    src: BorrowedFd<'_>,
    position: u64,
    count: u64,
    dst: BorrowedFd<'_>,
    strategy: Strategy,
    mut options: Options<'_>,
) -> Result<Transferred, Error> {
    let mut calls = Calls::new(options.checkpoint.take());
    let sendfile_may_do = matches!(strategy, Strategy::Auto | Strategy::Sendfile)
        && count > 0
        && position <= MAX_OFFSET
        && !probe::sendfile_missing();
    if sendfile_may_do {
        match sendfile_first((src, dst), position, count, &options, calls) {
            Attempt::Done(result) => return result,
            Attempt::Classify(back) => calls = back,
        }
    }
    let descriptors = probe::classify(&mut calls, src, dst, options.target)?;
    let extent = descriptors.extent(position, count);
    let mut job = Job::new((src, dst), extent, descriptors.dst_kind, calls);
    let plan = probe::plan(strategy, &descriptors, probe::sendfile_missing());
    if extent.count == 0 {
        // Nothing would move, and transferTo returns 0 then whatever the channels: a strategy
        // that could not apply is refused only where bytes would move.
        return Ok(job.done(plan.unwrap_or(strategy)));
    }
    let planned = match plan {
        Ok(planned) => planned,
        // A source of unknown size may have nothing at `position` (an empty file).
        Err(_) if !extent.size_known && job.nothing_at_position()? => {
            return Ok(job.done(strategy));
        }
        Err(e) => return Err(e),
    };
    run_with_fallback(&mut job, strategy, planned, descriptors.dst_kind, &options)
}

/// The fallback ladder: `planned` runs; where the kernel refuses its path for these descriptors
/// before the first byte ([`probe::can_fall_back`]), the next rung runs: copy_file_range, then
/// sendfile, then read/write. AUTO takes the ladder from sendfile, COPY_FILE_RANGE from its own
/// rung; an explicit SENDFILE, MMAP or READ_WRITE never runs another path. An error after some
/// bytes returns their count (the next call reports it).
fn run_with_fallback(
    job: &mut Job<'_, '_>,
    requested: Strategy,
    planned: Strategy,
    dst_kind: FileKind,
    options: &Options<'_>,
) -> Result<Transferred, Error> {
    let mut rung = planned;
    loop {
        let before = job.bytes;
        match job.run_rung(rung, requested, dst_kind, options) {
            Ok(None) => return Ok(job.done(rung)),
            Err(_) if job.bytes > before => return Ok(job.done(rung)),
            Err(e) => return Err(e),
            Ok(Some(next)) => rung = next,
        }
    }
}

/// The rung after `rung` on the fallback ladder for a transfer that asked for `requested`, if it
/// has one: copy_file_range falls to sendfile, and sendfile (unless asked for by name) to
/// read/write.
pub(crate) fn next_rung(requested: Strategy, rung: Strategy) -> Option<Strategy> {
    match rung {
        Strategy::CopyFileRange => Some(Strategy::Sendfile),
        Strategy::Sendfile if requested != Strategy::Sendfile => Some(Strategy::ReadWrite),
        _ => None,
    }
}

impl Job<'_, '_> {
    /// Runs one rung of the ladder: `Ok(None)` when it ran, `Ok(Some(next))` when the kernel
    /// refused its path for these descriptors before it moved a byte and `next` should run.
    pub(crate) fn run_rung(
        &mut self,
        rung: Strategy,
        requested: Strategy,
        dst_kind: FileKind,
        options: &Options<'_>,
    ) -> Result<Option<Strategy>, Error> {
        let before = self.bytes;
        let err = match self.run(rung, dst_kind, options) {
            Ok(()) => return Ok(None),
            Err(e) => e,
        };
        match next_rung(requested, rung) {
            Some(next) if self.bytes == before && probe::can_fall_back(&err) => {
                probe::note_fallback(&err);
                crate::stats::fell_back(rung);
                Ok(Some(next))
            }
            _ => Err(err),
        }
    }
}

/// How the sendfile-first attempt ended.
enum Attempt<'cp> {
    /// The transfer is over: this is its result.
    Done(Result<Transferred, Error>),
    /// Nothing moved, and what went wrong depends on what the descriptors are: classify them
    /// and plan the transfer (with these calls, which counted what was spent finding that out).
    Classify(Calls<'cp>),
}

/// The common case in the fewest kernel calls: sendfile straight away, with no `fstat(2)` of the
/// source (sendfile stops at its end by itself, so the clamp to its size needs no size) and none
/// of the target when the caller knows what it is. Whatever needs the size or the kinds (the
/// source at or past its end, a `/proc` file, an `O_APPEND` target, a directory, a pipe as
/// source, a kernel without sendfile) shows as sendfile moving nothing, and goes to
/// [`probe::classify`], which asks.
fn sendfile_first<'cp>(
    fds: (BorrowedFd<'_>, BorrowedFd<'_>),
    position: u64,
    count: u64,
    options: &Options<'_>,
    mut calls: Calls<'cp>,
) -> Attempt<'cp> {
    let dst_kind = match probe::claimed_kind(options.target) {
        Some(kind) => kind,
        None => match calls.call(Call::Fstat, Side::Target, || sys::fstat(fds.1)) {
            Ok(stat) if stat.kind != FileKind::Directory => stat.kind,
            _ => return Attempt::Classify(calls),
        },
    };
    // The end of the source ends the loop.
    let extent = Extent {
        position,
        count: (MAX_OFFSET - position).min(count),
        size_known: false,
    };
    let mut job = Job::new(fds, extent, dst_kind, calls);
    let result = job.run(Strategy::Sendfile, dst_kind, options);
    let classify = match &result {
        _ if job.bytes > 0 => false,
        // Nothing to send at `position`: past the end, truncated, or a file of unknown size.
        Ok(()) => job.ended_at_start,
        // What AUTO falls back from, and what a wrong kind or mode of descriptor gives.
        Err(e) => {
            probe::can_fall_back(e)
                || matches!(
                    probe::errno_of(e),
                    Some(libc::ESPIPE | libc::EISDIR | libc::EBADF)
                )
        }
    };
    if classify {
        return Attempt::Classify(job.calls);
    }
    Attempt::Done(match result {
        Err(e) if job.bytes == 0 => Err(e),
        _ => Ok(job.done(Strategy::Sendfile)),
    })
}
