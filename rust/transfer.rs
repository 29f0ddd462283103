//! `transfer_to`: the contract of `FileChannel.transferTo` over borrowed file descriptors, and the
//! strategies that implement it. See DESIGN.md section 2 for the contract.

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
}

/// Settings that differ between the faces.
#[non_exhaustive]
pub struct Options<'a> {
    /// Block and discard `SIGPIPE` around calls that can raise it (see [`sys::SigpipeGuard`]).
    /// On by default; the JNI face turns it off because the JVM already ignores `SIGPIPE`.
    pub guard_sigpipe: bool,
    checkpoint: Option<&'a mut dyn FnMut() -> bool>,
    target: Option<TargetKind>,
    wake: bool,
}

impl Default for Options<'_> {
    fn default() -> Self {
        Options {
            guard_sigpipe: true,
            checkpoint: None,
            target: None,
            wake: false,
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
    /// know it already (the JNI face, from the channel's class). A wrong claim is not unsafe: the
    /// kernel refuses the calls made for that kind (`send(2)` on a pipe is `ENOTSOCK`).
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
    let mut job = Job {
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
        checkpoint: options.checkpoint,
    };
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
        None => job.call(Call::Fstat, Side::Target, || sys::fstat(dst))?,
    };
    if dst_stat.kind == FileKind::Directory {
        return Err(bad(Side::Target, "a directory", libc::EISDIR));
    }
    job.dst_socket = dst_stat.kind == FileKind::Socket;
    let dst_append = dst_stat.kind == FileKind::Regular
        && job
            .call(Call::Fcntl, Side::Target, || sys::status_flags(dst))?
            .append;

    let planned = plan(strategy, job.size_known, dst_append)?;
    job.count = if position > MAX_OFFSET {
        0
    } else if job.size_known {
        src_stat.size.saturating_sub(position).min(count)
    } else {
        (MAX_OFFSET - position).min(count)
    };
    if job.count == 0 {
        return Ok(job.done(planned));
    }

    // Only sendfile to a socket and write(2) to a pipe can raise SIGPIPE: the other socket
    // writes use send(MSG_NOSIGNAL). The guard is not free: besides three calls per transfer,
    // read/write to a socket measured 5-10% slower at 1-16 MiB with SIGPIPE blocked
    // (benches/interleaved.rs), so it is raised only where it is needed.
    let sigpipe_possible = match dst_stat.kind {
        FileKind::Fifo => true,
        FileKind::Socket => planned == Strategy::Sendfile,
        _ => false,
    };
    let _guard = (options.guard_sigpipe && sigpipe_possible).then(sys::SigpipeGuard::new);
    // Only a regular file never blocks for good.
    if options.wake && job.checkpoint.is_some() && dst_stat.kind != FileKind::Regular {
        job.watch = Watch::start();
    }

    let result = match planned {
        Strategy::Sendfile => job.sendfile(),
        Strategy::Mmap => job.mmap(),
        _ => job.read_write(),
    };
    match result {
        Ok(()) => Ok(job.done(planned)),
        Err(_) if job.bytes > 0 => Ok(job.done(planned)),
        Err(e)
            if strategy == Strategy::Auto && planned == Strategy::Sendfile && can_fall_back(&e) =>
        {
            if errno_of(&e) == Some(libc::ENOSYS) {
                SENDFILE_MISSING.store(true, Ordering::Relaxed);
            }
            match job.read_write() {
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
static SENDFILE_MISSING: AtomicBool = AtomicBool::new(false);

fn bad(side: Side, what: &'static str, errno: i32) -> Error {
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

fn errno_of(e: &Error) -> Option<i32> {
    match e {
        Error::Os { source, .. } => source.raw_os_error(),
        _ => None,
    }
}

/// Errors that mean "this kernel or these descriptors cannot do sendfile", not "the I/O failed".
fn can_fall_back(e: &Error) -> bool {
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
struct Job<'fd, 'cp> {
    src: BorrowedFd<'fd>,
    dst: BorrowedFd<'fd>,
    position: u64,
    /// Bytes to move, already clamped to the source's size (or to the largest offset).
    count: u64,
    /// False for a source that reports size 0 (a `/proc` file, a device): copy until its end.
    size_known: bool,
    dst_socket: bool,
    syscalls: u64,
    bytes: u64,
    /// `bytes` when the checkpoint last ran.
    checked_at: u64,
    /// The wake-up registration, while a blocked call must not block for good.
    watch: Option<Watch>,
    checkpoint: Option<&'cp mut dyn FnMut() -> bool>,
}

/// How a kernel call on the write side ended, for the loops.
enum Wrote {
    Bytes(usize),
    /// The target is non-blocking and full: end the transfer with what has moved.
    WouldBlock,
}

impl Job<'_, '_> {
    /// Runs the checkpoint once [`CHECKPOINT_BYTES`] have moved since it last ran, or when the
    /// watchdog woke a blocked call.
    fn checkpoint(&mut self) -> Result<(), Error> {
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

    fn done(&self, strategy: Strategy) -> Transferred {
        Transferred {
            bytes: self.bytes,
            strategy,
            syscalls: self.syscalls,
        }
    }

    fn remaining(&self) -> u64 {
        self.count - self.bytes
    }

    fn offset(&self) -> u64 {
        self.position + self.bytes
    }

    /// Runs one kernel call and counts it. On EINTR it asks the checkpoint and retries while
    /// that says go on; without a checkpoint, EINTR is the call's error (a C caller's signal
    /// handler, installed without `SA_RESTART`, ends the transfer as it would end `write(2)`).
    fn call<T>(
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
    fn write_call(
        &mut self,
        call: Call,
        f: impl FnMut() -> io::Result<usize>,
    ) -> Result<Wrote, Error> {
        match self.call(call, Side::Target, f) {
            Ok(n) => Ok(Wrote::Bytes(n)),
            Err(Error::Os { source, .. }) if source.kind() == io::ErrorKind::WouldBlock => {
                Ok(Wrote::WouldBlock)
            }
            Err(e) => Err(e),
        }
    }

    /// A read that returned 0 bytes: the end of a source of unknown size, or a truncation.
    fn source_ended(&self) -> Result<(), Error> {
        if self.size_known {
            Err(Error::SourceEnded {
                offset: self.offset(),
            })
        } else {
            Ok(())
        }
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

    fn read_write(&mut self) -> Result<(), Error> {
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
            let (src, position) = (self.src, self.position);
            let mut probe = sys::ReadBuffer::with_capacity(1);
            let n = self.call(Call::Pread, Side::Source, || probe.pread(src, 1, position))?;
            if n == 0 {
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
            let map = self.call(Call::Mmap, Side::Source, || {
                sys::Mapping::new(src, offset, len)
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

fn write_zero() -> Error {
    Error::os(
        Call::Write,
        Side::Target,
        io::Error::from(io::ErrorKind::WriteZero),
    )
}
