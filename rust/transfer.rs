//! `transfer_to`: the contract of `FileChannel.transferTo` over borrowed file descriptors, and the
//! strategies that implement it. The contract is in the docs of [`transfer_to`] and in the README
//! ("Semantics").

use std::io;
use std::os::fd::BorrowedFd;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Call, Error, Side};
use crate::sys::{self, FileKind, MAX_OFFSET, MAX_RW_COUNT};
use crate::wake::Watch;
use crate::Strategy;

/// Size of the buffer [`Strategy::ReadWrite`] reads into (or the count, when smaller). Chosen by
/// measurement (README, "Choosing the read/write buffer"): to a loopback socket, 256 KiB beat
/// 8 KiB to 1 MiB at both 1 MiB and 64 MiB transfers.
pub const READ_WRITE_BUFFER: usize = 256 * 1024;

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
}

impl Default for Options<'_> {
    fn default() -> Self {
        Options {
            guard_sigpipe: true,
            checkpoint: None,
            target: None,
            wake: false,
            source_checked: false,
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
    mut options: Options<'_>,
) -> Result<Transferred, Error> {
    let mut syscalls = 0;
    if matches!(strategy, Strategy::Auto | Strategy::Sendfile)
        && count > 0
        && position <= MAX_OFFSET
        && !SENDFILE_MISSING.load(Ordering::Relaxed)
    {
        match sendfile_first(src, position, count, dst, &mut options) {
            Attempt::Done(result) => return result,
            Attempt::Classify { calls } => syscalls = calls,
        }
    }
    transfer_classified(src, position, count, dst, strategy, options, syscalls)
}

/// How the sendfile-first attempt ended.
enum Attempt {
    /// The transfer is over: this is its result.
    Done(Result<Transferred, Error>),
    /// Nothing moved, and what went wrong depends on what the descriptors are: classify them
    /// and plan the transfer (`calls` kernel calls were spent finding that out).
    Classify { calls: u64 },
}

/// The common case in the fewest kernel calls: sendfile straight away, with no `fstat(2)` of the
/// source (sendfile stops at its end by itself, so the clamp to its size needs no size) and none
/// of the target when the caller knows what it is. Whatever needs the size or the kinds (the
/// source at or past its end, a `/proc` file, an `O_APPEND` target, a directory, a pipe as
/// source, a kernel without sendfile) shows as sendfile moving nothing, and goes to
/// [`transfer_classified`], which asks.
fn sendfile_first(
    src: BorrowedFd<'_>,
    position: u64,
    count: u64,
    dst: BorrowedFd<'_>,
    options: &mut Options<'_>,
) -> Attempt {
    let mut job = Job::new(src, dst, position, options.checkpoint.take());
    let dst_kind = match options.target {
        Some(TargetKind::Socket) => FileKind::Socket,
        Some(TargetKind::Pipe) => FileKind::Fifo,
        Some(TargetKind::File) => FileKind::Regular,
        None => match job.call(Call::Fstat, Side::Target, || sys::fstat(dst)) {
            Ok(stat) if stat.kind != FileKind::Directory => stat.kind,
            _ => {
                options.checkpoint = job.checkpoint.take();
                return Attempt::Classify {
                    calls: job.syscalls,
                };
            }
        },
    };
    job.count = (MAX_OFFSET - position).min(count);
    job.size_known = false; // the end of the source ends the loop
    let result = job.run(Strategy::Sendfile, dst_kind, options);
    let classify = match &result {
        _ if job.bytes > 0 => false,
        // Nothing to send at `position`: past the end, truncated, or a file of unknown size.
        Ok(()) => job.ended_at_start,
        // What AUTO falls back from, and what a wrong kind or mode of descriptor gives.
        Err(e) => {
            can_fall_back(e)
                || matches!(errno_of(e), Some(libc::ESPIPE | libc::EISDIR | libc::EBADF))
        }
    };
    if classify {
        options.checkpoint = job.checkpoint.take();
        return Attempt::Classify {
            calls: job.syscalls,
        };
    }
    Attempt::Done(match result {
        Err(e) if job.bytes == 0 => Err(e),
        _ => Ok(job.done(Strategy::Sendfile)),
    })
}

/// The transfer planned from what the descriptors are: `fstat(2)` of both, the target's
/// `O_APPEND` flag, the source's size. `syscalls` were made before (by [`sendfile_first`]).
fn transfer_classified(
    src: BorrowedFd<'_>,
    position: u64,
    count: u64,
    dst: BorrowedFd<'_>,
    strategy: Strategy,
    mut options: Options<'_>,
    syscalls: u64,
) -> Result<Transferred, Error> {
    let mut job = Job::new(src, dst, position, options.checkpoint.take());
    job.syscalls = syscalls;
    let src_stat = job.call(Call::Fstat, Side::Source, || sys::fstat(src))?;
    job.size_known = match src_stat.kind {
        FileKind::Regular => src_stat.size > 0,
        FileKind::CharDevice | FileKind::BlockDevice => false,
        FileKind::Directory => return Err(bad(Side::Source, "a directory", libc::EISDIR)),
        FileKind::Socket | FileKind::Fifo | FileKind::Other => {
            return Err(bad(
                Side::Source,
                "not a file that can be read at a position (a pipe or socket)",
                libc::ESPIPE,
            ))
        }
    };
    let dst_stat = match options.target {
        Some(TargetKind::Socket) => sys::Stat {
            kind: FileKind::Socket,
            size: 0,
        },
        Some(TargetKind::Pipe) => sys::Stat {
            kind: FileKind::Fifo,
            size: 0,
        },
        Some(TargetKind::File) | None => job.call(Call::Fstat, Side::Target, || sys::fstat(dst))?,
    };
    if dst_stat.kind == FileKind::Directory {
        return Err(bad(Side::Target, "a directory", libc::EISDIR));
    }
    job.count = if position > MAX_OFFSET {
        0
    } else if job.size_known {
        src_stat.size.saturating_sub(position).min(count)
    } else {
        (MAX_OFFSET - position).min(count)
    };
    let dst_append = dst_stat.kind == FileKind::Regular
        && job
            .call(Call::Fcntl, Side::Target, || sys::status_flags(dst))?
            .append;
    if job.count == 0 {
        // Nothing would move, and transferTo returns 0 then whatever the channels: a strategy
        // that could not apply is refused only where bytes would move.
        return Ok(job.done(plan(strategy, job.size_known, dst_append).unwrap_or(strategy)));
    }
    let planned = match plan(strategy, job.size_known, dst_append) {
        Ok(planned) => planned,
        // A source of unknown size may have nothing at `position` (an empty file).
        Err(_) if !job.size_known && job.nothing_at_position()? => {
            return Ok(job.done(strategy));
        }
        Err(e) => return Err(e),
    };

    match job.run(planned, dst_stat.kind, &options) {
        Ok(()) => Ok(job.done(planned)),
        Err(_) if job.bytes > 0 => Ok(job.done(planned)),
        Err(e)
            if strategy == Strategy::Auto && planned == Strategy::Sendfile && can_fall_back(&e) =>
        {
            if errno_of(&e) == Some(libc::ENOSYS) {
                SENDFILE_MISSING.store(true, Ordering::Relaxed);
            }
            match job.run(Strategy::ReadWrite, dst_stat.kind, &options) {
                Err(e) if job.bytes == 0 => Err(e),
                _ => Ok(job.done(Strategy::ReadWrite)),
            }
        }
        Err(e) => Err(e),
    }
}

/// Set once `sendfile(2)` fails with `ENOSYS` (an old kernel or a seccomp filter): a property of
/// the process, unlike `EINVAL`, which depends on the descriptors (JDK 17's sticky per-kind flag
/// turns sendfile off for good after one append-mode target; we do not copy that).
pub(crate) static SENDFILE_MISSING: AtomicBool = AtomicBool::new(false);

pub(crate) fn bad(side: Side, what: &'static str, errno: i32) -> Error {
    Error::BadDescriptor { side, what, errno }
}

/// The strategy that will run, or why the requested one cannot.
fn plan(strategy: Strategy, size_known: bool, dst_append: bool) -> Result<Strategy, Error> {
    match strategy {
        Strategy::Auto => {
            // Sendfile to an O_APPEND file is always EINVAL, and a source of unknown size is
            // copied to its end the way the JDK does it, with read/write.
            if dst_append || !size_known || SENDFILE_MISSING.load(Ordering::Relaxed) {
                Ok(Strategy::ReadWrite)
            } else {
                Ok(Strategy::Sendfile)
            }
        }
        Strategy::Sendfile if dst_append => Err(Error::Unsupported {
            strategy,
            reason: "sendfile(2) cannot write to a target opened with O_APPEND",
        }),
        other => Ok(other),
    }
}

pub(crate) fn errno_of(e: &Error) -> Option<i32> {
    match e {
        Error::Os { source, .. } => source.raw_os_error(),
        _ => None,
    }
}

/// Errors that mean "this kernel or these descriptors cannot do sendfile", not "the I/O failed".
pub(crate) fn can_fall_back(e: &Error) -> bool {
    matches!(
        e,
        Error::Os {
            call: Call::Sendfile,
            ..
        }
    ) && matches!(
        errno_of(e),
        Some(libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP | libc::EXDEV)
    )
}

/// One transfer in progress: the clamped request and what has been done so far.
pub(crate) struct Job<'fd, 'cp> {
    pub(crate) src: BorrowedFd<'fd>,
    pub(crate) dst: BorrowedFd<'fd>,
    pub(crate) position: u64,
    /// Bytes to move, already clamped to the source's size (or to the largest offset).
    pub(crate) count: u64,
    /// False for a source that reports size 0 (a `/proc` file, a device): copy until its end.
    pub(crate) size_known: bool,
    pub(crate) dst_socket: bool,
    pub(crate) syscalls: u64,
    pub(crate) bytes: u64,
    /// `bytes` when the checkpoint last ran.
    pub(crate) checked_at: u64,
    /// The wake-up registration, while a blocked call must not block for good.
    pub(crate) watch: Option<Watch>,
    pub(crate) checkpoint: Option<&'cp mut dyn FnMut() -> bool>,
    /// The first read of the source returned nothing (sendfile or pread returned 0 at
    /// `position`).
    pub(crate) ended_at_start: bool,
    /// The last write-side call found a non-blocking target full.
    pub(crate) would_block: bool,
}

/// How a kernel call on the write side ended, for the loops.
pub(crate) enum Wrote {
    Bytes(usize),
    /// The target is non-blocking and full: end the transfer with what has moved.
    WouldBlock,
}

impl<'fd, 'cp> Job<'fd, 'cp> {
    pub(crate) fn new(
        src: BorrowedFd<'fd>,
        dst: BorrowedFd<'fd>,
        position: u64,
        checkpoint: Option<&'cp mut dyn FnMut() -> bool>,
    ) -> Self {
        Job {
            src,
            dst,
            position,
            count: 0,
            size_known: true,
            dst_socket: false,
            syscalls: 0,
            bytes: 0,
            checked_at: 0,
            watch: None,
            checkpoint,
            ended_at_start: false,
            would_block: false,
        }
    }

    /// Runs `strategy` (never AUTO) to a target of kind `dst_kind`, with the SIGPIPE guard and
    /// the wake-ups that kind and `options` ask for.
    pub(crate) fn run(
        &mut self,
        strategy: Strategy,
        dst_kind: FileKind,
        options: &Options<'_>,
    ) -> Result<(), Error> {
        let Options {
            guard_sigpipe,
            wake,
            ..
        } = *options;
        self.dst_socket = dst_kind == FileKind::Socket;
        // Only sendfile to a socket and write(2) to a pipe can raise SIGPIPE: the other socket
        // writes use send(MSG_NOSIGNAL). The guard is not free: besides three calls per
        // transfer, read/write to a socket measured 5-10% slower at 1-16 MiB with SIGPIPE
        // blocked (benches/interleaved.rs), so it is raised only where it is needed.
        let sigpipe_possible = match dst_kind {
            FileKind::Fifo => true,
            FileKind::Socket => strategy == Strategy::Sendfile,
            _ => false,
        };
        let _guard = (guard_sigpipe && sigpipe_possible).then(sys::SigpipeGuard::new);
        self.arm_watch(dst_kind, wake);
        match strategy {
            Strategy::Sendfile => self.sendfile(),
            Strategy::Mmap => self.mmap(),
            _ => self.read_write(),
        }
    }

    /// Starts the watchdog that wakes a call blocked on a target that can block for good (anything
    /// but a file) when `wake` asks for it and there is a checkpoint to run.
    pub(crate) fn arm_watch(&mut self, dst_kind: FileKind, wake: bool) {
        if wake
            && self.checkpoint.is_some()
            && self.watch.is_none()
            && !matches!(
                dst_kind,
                FileKind::Regular | FileKind::CharDevice | FileKind::BlockDevice
            )
        {
            self.watch = Watch::start();
        }
    }

    /// Runs the checkpoint once [`CHECKPOINT_BYTES`] have moved since it last ran, or when the
    /// watchdog woke a blocked call.
    pub(crate) fn checkpoint(&mut self) -> Result<(), Error> {
        let due = self.bytes - self.checked_at >= CHECKPOINT_BYTES
            || self.watch.as_ref().is_some_and(Watch::take_poke);
        if due {
            self.ask_checkpoint()?;
        }
        Ok(())
    }

    /// Runs the checkpoint now: [`Error::Stopped`] when it says stop.
    fn ask_checkpoint(&mut self) -> Result<(), Error> {
        if let Some(keep_going) = self.checkpoint.as_mut() {
            self.checked_at = self.bytes;
            if !keep_going() {
                return Err(Error::Stopped);
            }
        }
        Ok(())
    }

    /// The most one kernel call may move: less while a checkpoint must run in between.
    fn max_call(&self) -> u64 {
        if self.checkpoint.is_some() {
            CHECKPOINT_BYTES
        } else {
            MAX_RW_COUNT as u64
        }
    }

    pub(crate) fn done(&self, strategy: Strategy) -> Transferred {
        Transferred {
            bytes: self.bytes,
            strategy,
            syscalls: self.syscalls,
        }
    }

    pub(crate) fn remaining(&self) -> u64 {
        self.count - self.bytes
    }

    pub(crate) fn offset(&self) -> u64 {
        self.position + self.bytes
    }

    /// Runs one kernel call and counts it. On EINTR it asks the checkpoint and retries while
    /// that says go on; without a checkpoint, EINTR is the call's error (a C caller's signal
    /// handler, installed without `SA_RESTART`, ends the transfer as it would end `write(2)`).
    pub(crate) fn call<T>(
        &mut self,
        call: Call,
        side: Side,
        mut f: impl FnMut() -> io::Result<T>,
    ) -> Result<T, Error> {
        loop {
            self.syscalls += 1;
            match f() {
                Err(e) if e.kind() == io::ErrorKind::Interrupted && self.checkpoint.is_some() => {
                    if let Some(watch) = &self.watch {
                        watch.take_poke();
                    }
                    self.ask_checkpoint()?;
                }
                r => return r.map_err(|e| Error::os(call, side, e)),
            }
        }
    }

    /// A write-side call, with `EAGAIN` turned into [`Wrote::WouldBlock`].
    pub(crate) fn write_call(
        &mut self,
        call: Call,
        f: impl FnMut() -> io::Result<usize>,
    ) -> Result<Wrote, Error> {
        match self.call(call, Side::Target, f) {
            Ok(n) => Ok(Wrote::Bytes(n)),
            Err(Error::Os { source, .. }) if source.kind() == io::ErrorKind::WouldBlock => {
                self.would_block = true;
                Ok(Wrote::WouldBlock)
            }
            Err(e) => Err(e),
        }
    }

    /// A read that returned 0 bytes: the end of a source of unknown size, or a truncation.
    fn source_ended(&mut self) -> Result<(), Error> {
        self.ended_at_start = self.bytes == 0;
        if self.size_known {
            Err(Error::SourceEnded {
                offset: self.offset(),
            })
        } else {
            Ok(())
        }
    }

    /// Whether the source has no byte at `position`: one probe byte, for a source whose size
    /// says nothing (0 for a `/proc` file as for an empty one).
    pub(crate) fn nothing_at_position(&mut self) -> Result<bool, Error> {
        let (src, position) = (self.src, self.position);
        let mut probe = sys::ReadBuffer::with_capacity(1);
        let n = self.call(Call::Pread, Side::Source, || probe.pread(src, 1, position))?;
        Ok(n == 0)
    }

    fn sendfile(&mut self) -> Result<(), Error> {
        let (src, dst) = (self.src, self.dst);
        while self.bytes < self.count {
            self.checkpoint()?;
            let want = self.remaining().min(self.max_call()) as usize;
            let mut offset = self.offset();
            // sendfile reads the source and writes the target in one call; its errors are
            // reported against the target, where they nearly always come from.
            match self.write_call(Call::Sendfile, || {
                sys::sendfile(dst, src, &mut offset, want)
            })? {
                Wrote::WouldBlock => return Ok(()),
                Wrote::Bytes(0) => return self.source_ended(),
                Wrote::Bytes(n) => self.bytes += n as u64,
            }
        }
        Ok(())
    }

    pub(crate) fn read_write(&mut self) -> Result<(), Error> {
        let (src, dst, socket) = (self.src, self.dst, self.dst_socket);
        let mut buf =
            sys::ReadBuffer::with_capacity(self.remaining().min(READ_WRITE_BUFFER as u64) as usize);
        while self.bytes < self.count {
            self.checkpoint()?;
            let want = self.remaining().min(READ_WRITE_BUFFER as u64) as usize;
            let offset = self.offset();
            let data = self.call(Call::Pread, Side::Source, || buf.pread(src, want, offset))?;
            if data == 0 {
                return self.source_ended();
            }
            let mut written = 0;
            while written < data {
                match self.write_call(Call::Write, || {
                    sys::write(dst, &buf.filled()[written..], socket)
                })? {
                    Wrote::WouldBlock => return Ok(()),
                    Wrote::Bytes(0) => return Err(write_zero()),
                    Wrote::Bytes(n) => {
                        written += n;
                        self.bytes += n as u64;
                    }
                }
            }
        }
        Ok(())
    }

    fn mmap(&mut self) -> Result<(), Error> {
        if !self.size_known {
            // A source reporting size 0 is either empty or of unknown length (/proc, a device):
            // one probe byte tells which, and only the empty one has anything to map (nothing).
            if self.nothing_at_position()? {
                return Ok(());
            }
            return Err(Error::Unsupported {
                strategy: Strategy::Mmap,
                reason: "the source reports size 0 but has content (a /proc file or a device), so there is no length to map",
            });
        }
        let (src, dst, socket) = (self.src, self.dst, self.dst_socket);
        while self.bytes < self.count {
            self.checkpoint()?;
            let len = self.remaining().min(MMAP_WINDOW as u64) as usize;
            let offset = self.offset();
            let map = self
                .call(Call::Mmap, Side::Source, || {
                    sys::Mapping::new(src, offset, len)
                })
                .map_err(|e| match errno_of(&e) {
                    // mmap(2)'s word for a descriptor not open for reading; the other paths'
                    // (and the contract's) is EBADF.
                    Some(libc::EACCES) => Error::AccessMode { side: Side::Source },
                    _ => e,
                })?;
            self.syscalls += 1; // the munmap when `map` drops
            let mut done = 0;
            while done < len {
                match self.write_call(Call::Write, || {
                    sys::write(dst, &map.bytes()[done..], socket)
                }) {
                    Ok(Wrote::WouldBlock) => return Ok(()),
                    Ok(Wrote::Bytes(0)) => return Err(write_zero()),
                    Ok(Wrote::Bytes(n)) => {
                        done += n;
                        self.bytes += n as u64;
                    }
                    // The kernel faulted reading the mapping: the file shrank under it.
                    Err(e) if errno_of(&e) == Some(libc::EFAULT) => {
                        return Err(Error::SourceEnded {
                            offset: self.offset(),
                        })
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(())
    }
}

pub(crate) fn write_zero() -> Error {
    Error::os(
        Call::Write,
        Side::Target,
        io::Error::from(io::ErrorKind::WriteZero),
    )
}
