//! `transfer_from`: the contract of `FileChannel.transferFrom` over borrowed file descriptors (in
//! the docs of [`transfer_from`], and in `docs/design.md`): the source is asked about once, the
//! plan made from that ([`plan`], pure, with its unit tests), and the path run (`paths.rs`, and
//! `splice.rs` with its cached pipe), falling back to read/write where the kernel refuses
//! copy_file_range or splice before the first byte.

mod paths;
mod splice;

use std::os::fd::BorrowedFd;

use crate::error::{Call, Error, Side, Unusable};
use crate::sys::{self, FileKind, MAX_OFFSET};
use crate::transfer::{Calls, Options, TargetKind, Transferred};
use crate::Strategy;

pub use splice::SPLICE_PIPE;

/// The smallest file-to-file transfer AUTO splices through the thread's pipe rather than copies
/// with copy_file_range(2), on a file system that does not copy in place (ext4, tmpfs). Chosen by
/// measurement (`docs/receiving.md`, "How AUTO picks"): into a new file on ext4 the 1 MiB pipe
/// moved 1.15x what copy_file_range did at 256 KiB and 1.25-1.27x at 1 and 16 MiB; at 64 KiB they
/// tied, and copy_file_range is one call.
pub const SPLICE_FILE_MIN: u64 = 256 << 10;

/// Size of the buffer [`Strategy::ReadWrite`] reads into when receiving (or the count, when
/// smaller). Chosen by measurement (`docs/benchmarks.md`, "Receiving"): from a loopback socket
/// into a file, 1 MiB reads moved 2.2× what the JDK's 8 KiB reads move.
pub const RECEIVE_BUFFER: usize = 1 << 20;

/// What the source of a `transfer_from` is, asked once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    /// A file, read from its own offset `at` (which advances by what moved), up to `size` bytes
    /// (`None`: it reports size 0, as a `/proc` file or a device does, and is read to its end).
    File { at: u64, size: Option<u64> },
    /// A socket (`pipe` false) or a pipe, read as its bytes come; `nonblocking` when it says
    /// `EAGAIN` instead of waiting.
    Stream { pipe: bool, nonblocking: bool },
}

impl Source {
    /// The most a transfer of `count` bytes can move: for a file, what it has from its offset.
    fn clamp(self, count: u64) -> u64 {
        match self {
            Source::File {
                at,
                size: Some(size),
            } => size.saturating_sub(at).min(count),
            Source::File { at, size: None } => MAX_OFFSET.saturating_sub(at).min(count),
            Source::Stream { .. } => count,
        }
    }
}

/// Moves up to `count` bytes from `src` (a socket, a pipe, or a file open for reading) into the
/// file `dst` at `position`, with the semantics of JDK 25's `FileChannel.transferFrom`:
///
/// - `dst`'s own offset never changes. A `position` past its end extends the file (the gap reads
///   as zeros), as a positional write does. An `O_APPEND` target gets the bytes at its end,
///   whatever `position` says, as the JDK's positional write does on Linux.
/// - A file source is read from its own offset, which advances by the bytes moved; `count` is
///   clamped to what it has from there.
/// - A blocking socket or pipe is read until `count` bytes or the end of the stream; a
///   non-blocking one gives what it has ready (0 if nothing).
/// - An error after some bytes moved ends the call with their count (the next call reports
///   it).
///
/// # Errors
/// Only when no byte moved: the OS error of the failing call (`EBADF` for a closed or wrong-mode
/// descriptor, `ECONNRESET`, `ENOSPC`, ...), a target that is no file (`ESPIPE`, `EISDIR`), a
/// directory as the source, a strategy that cannot apply ([`Error::Unsupported`]), or `EINTR`
/// from a signal that interrupted a blocked call (see [`Options::checkpoint`]).
pub fn transfer_from(
    dst: BorrowedFd<'_>,
    src: BorrowedFd<'_>,
    position: u64,
    count: u64,
    strategy: Strategy,
) -> Result<Transferred, Error> {
    transfer_from_with(dst, src, position, count, strategy, Options::default())
}

/// [`transfer_from`] with [`Options`] (the checkpoint and the wake-ups of a blocked read; the
/// SIGPIPE guard and the target claim do not apply: nothing here can raise `SIGPIPE`).
pub fn transfer_from_with(
    dst: BorrowedFd<'_>,
    src: BorrowedFd<'_>,
    position: u64,
    count: u64,
    strategy: Strategy,
    options: Options<'_>,
) -> Result<Transferred, Error> {
    let result = uncounted(dst, src, position, count, strategy, options);
    crate::stats::record(crate::stats::Direction::From, strategy, &result);
    result
}

/// [`transfer_from_with`] before it is counted in [`crate::statistics`].
fn uncounted(
    dst: BorrowedFd<'_>,
    src: BorrowedFd<'_>,
    position: u64,
    count: u64,
    strategy: Strategy,
    mut options: Options<'_>,
) -> Result<Transferred, Error> {
    let mut calls = Calls::new(options.checkpoint.take());
    // The source's fstat(2), when deciding on the copy asked it already.
    let mut src_stat = None;
    if tries_copy_first(
        &mut calls,
        (src, &mut src_stat),
        (position, count),
        strategy,
        &options,
    ) {
        match copy_first(dst, src, position, count, calls) {
            First::Done(result) => return result,
            First::Classify(back) => calls = back,
        }
    }
    let append = target_is_file(&mut calls, dst)?;
    let (mut source, src_kind) = source(&mut calls, src, src_stat)?;
    let waits = waits_for_readiness(&mut source, options.source_blocks);
    let count = source.clamp(count);
    let splice_file = splices_file(&mut calls, dst, strategy, source, append, count);
    let plan = plan(strategy, source, append, splice_file);
    let mut receive = Receive::new((src, dst), (position, count), source, calls, waits);
    if count == 0 {
        // Nothing would move, and the JDK returns 0 then: a strategy that could not apply is
        // refused only where bytes would move.
        return Ok(receive.done(plan.unwrap_or(strategy)));
    }
    if position > MAX_OFFSET {
        // What pwrite(2) would say, said before a stream's bytes are taken.
        let e = std::io::Error::from_raw_os_error(libc::EINVAL);
        return Err(Error::os(Call::Pwrite, Side::Target, e));
    }
    let planned = match plan {
        Ok(planned) => planned,
        // A file that reports size 0 may be empty (nothing would move) or a /proc file.
        Err(_)
            if matches!(source, Source::File { size: None, .. })
                && receive.nothing_at_source()? =>
        {
            return Ok(receive.done(strategy));
        }
        Err(e) => return Err(e),
    };
    receive.calls.arm_watch(src_kind, options.wake);
    let ran = receive.run_with_fallback(strategy, planned);
    receive.settle_source();
    match ran {
        Ok(rung) => Ok(receive.done(rung)),
        Err((rung, _)) if receive.bytes > 0 => Ok(receive.done(rung)),
        Err((_, e)) => Err(e),
    }
}

/// Whether to try [`copy_first`]: COPY_FILE_RANGE, or AUTO below [`SPLICE_FILE_MIN`], from a
/// source the caller says is a file (into a target it says is one), or that `fstat(2)` finds is.
fn tries_copy_first(
    calls: &mut Calls<'_>,
    (src, src_stat): (BorrowedFd<'_>, &mut Option<sys::Stat>),
    (position, count): (u64, u64),
    strategy: Strategy,
    options: &Options<'_>,
) -> bool {
    let copies = strategy == Strategy::CopyFileRange
        || (strategy == Strategy::Auto && count < SPLICE_FILE_MIN);
    copies
        && count > 0
        && position <= MAX_OFFSET
        && ((options.source_is_file && options.target == Some(TargetKind::File))
            || source_is_a_file(calls, src, src_stat))
}

/// A stream whose owner blocks, on a non-blocking descriptor (a JDK 21+ virtual thread's socket),
/// is read as blocking and waited for with poll(2) (`Receive::wait_ready`): true then.
fn waits_for_readiness(source: &mut Source, source_blocks: bool) -> bool {
    match source {
        Source::Stream { nonblocking, .. } if source_blocks && *nonblocking => {
            *nonblocking = false;
            true
        }
        _ => false,
    }
}

/// Whether AUTO splices this file source through the thread's pipe: from [`SPLICE_FILE_MIN`],
/// into a file system that copies through the page cache (one `fstatfs(2)` of the target).
fn splices_file(
    calls: &mut Calls<'_>,
    dst: BorrowedFd<'_>,
    strategy: Strategy,
    source: Source,
    append: bool,
    count: u64,
) -> bool {
    strategy == Strategy::Auto
        && matches!(source, Source::File { size: Some(_), .. })
        && !append
        && count >= SPLICE_FILE_MIN
        && !calls
            .call(Call::Fstatfs, Side::Target, || sys::copies_in_place(dst))
            .unwrap_or(true)
}

/// How the copy-first attempt ended.
enum First<'cp> {
    /// The transfer is over: this is its result.
    Done(Result<Transferred, Error>),
    /// Nothing moved, for a reason the descriptors would tell: ask them (with these calls).
    Classify(Calls<'cp>),
}

/// Whether `src` is a regular file with bytes (one `fstat(2)`, kept in `src_stat` for
/// [`source`]), for a caller that did not say: the copy is then tried first, and the kernel checks
/// both modes and the target's kind.
fn source_is_a_file(
    calls: &mut Calls<'_>,
    src: BorrowedFd<'_>,
    src_stat: &mut Option<sys::Stat>,
) -> bool {
    *src_stat = calls
        .call(Call::Fstat, Side::Source, || sys::fstat(src))
        .ok();
    src_stat.is_some_and(|st| st.kind == FileKind::Regular && st.size > 0)
}

/// File to file in JDK 25's one call, for a caller that checked both files and their modes (or
/// whose source `fstat(2)` found a file): a copy_file_range(2) from the source's own offset (which
/// the kernel advances), with no `fstat`, `fcntl` or `lseek`. Whatever it cannot tell apart shows
/// as its first call moving nothing (an empty source or one at its end, an `O_APPEND` target
/// (`EBADF`), a `/proc` file (`EXDEV`), two file systems, a device): then the descriptors are
/// classified and the transfer planned.
fn copy_first<'cp>(
    dst: BorrowedFd<'_>,
    src: BorrowedFd<'_>,
    position: u64,
    count: u64,
    mut calls: Calls<'cp>,
) -> First<'cp> {
    let most = calls.max_call();
    let mut bytes = 0u64;
    while bytes < count {
        if bytes > 0 && calls.ask_checkpoint().is_err() {
            break;
        }
        let mut at = position + bytes;
        let want = (count - bytes).min(most) as usize;
        match calls.call(Call::CopyFileRange, Side::Target, || {
            sys::copy_file_range_from_own_offset(dst, &mut at, src, want)
        }) {
            Ok(0) => break,
            Ok(n) => bytes += n as u64,
            Err(Error::Stopped) if bytes == 0 => return First::Done(Err(Error::Stopped)),
            Err(_) => break,
        }
    }
    if bytes == 0 {
        return First::Classify(calls);
    }
    First::Done(Ok(Transferred {
        bytes,
        strategy: Strategy::CopyFileRange,
        syscalls: calls.count,
    }))
}

/// Checks that the target is a file (`fstat(2)`) open for writing, and says whether it appends
/// (`fcntl(2)`).
fn target_is_file(calls: &mut Calls<'_>, dst: BorrowedFd<'_>) -> Result<bool, Error> {
    let stat = calls.call(Call::Fstat, Side::Target, || sys::fstat(dst))?;
    let unusable = match stat.kind {
        FileKind::Regular | FileKind::CharDevice | FileKind::BlockDevice => None,
        FileKind::Directory => Some(Unusable::Directory),
        FileKind::Socket | FileKind::Fifo | FileKind::Other => Some(Unusable::NotSeekable),
    };
    if let Some(what) = unusable {
        return Err(Error::BadDescriptor {
            side: Side::Target,
            what,
        });
    }
    let flags = calls.call(Call::Fcntl, Side::Target, || sys::status_flags(dst))?;
    if !flags.writable {
        // Found before anything is read from the source: a stream's bytes are never taken for a
        // target that cannot take them (nor written through a second open, as SENDFILE writes).
        return Err(Error::AccessMode { side: Side::Target });
    }
    Ok(flags.append)
}

/// What the source is: `fstat(2)` (unless `asked` holds it already), then its flags (`fcntl(2)`: a
/// file must be open for reading) and, for a file, its offset (`lseek(2)`).
fn source(
    calls: &mut Calls<'_>,
    src: BorrowedFd<'_>,
    asked: Option<sys::Stat>,
) -> Result<(Source, FileKind), Error> {
    let stat = match asked {
        Some(stat) => stat,
        None => calls.call(Call::Fstat, Side::Source, || sys::fstat(src))?,
    };
    let source = match stat.kind {
        FileKind::Regular | FileKind::CharDevice | FileKind::BlockDevice => {
            let flags = calls.call(Call::Fcntl, Side::Source, || sys::status_flags(src))?;
            if !flags.readable {
                return Err(Error::AccessMode { side: Side::Source });
            }
            let at = calls.call(Call::Lseek, Side::Source, || sys::seek(src, None))?;
            let size_known = stat.kind == FileKind::Regular && stat.size > 0;
            Source::File {
                at,
                size: size_known.then_some(stat.size),
            }
        }
        FileKind::Socket | FileKind::Fifo => {
            let flags = calls.call(Call::Fcntl, Side::Source, || sys::status_flags(src))?;
            Source::Stream {
                pipe: stat.kind == FileKind::Fifo,
                nonblocking: flags.nonblocking,
            }
        }
        FileKind::Directory => {
            return Err(Error::BadDescriptor {
                side: Side::Source,
                what: Unusable::Directory,
            })
        }
        FileKind::Other => {
            return Err(Error::BadDescriptor {
                side: Side::Source,
                what: Unusable::NotSeekable,
            })
        }
    };
    Ok((source, stat.kind))
}

/// The strategy that will run, or why the requested one cannot (see `docs/design.md`, "Which
/// path, when").
/// `splice_file`: AUTO splices a file source through the thread's pipe ([`SPLICE_FILE_MIN`]).
pub(crate) fn plan(
    strategy: Strategy,
    source: Source,
    append: bool,
    splice_file: bool,
) -> Result<Strategy, Error> {
    let file = matches!(source, Source::File { .. });
    let unsupported = |reason| Err(Error::Unsupported { strategy, reason });
    match strategy {
        // An O_APPEND target refuses copy_file_range (EBADF), splice and sendfile at an offset
        // (EINVAL); a positional write appends.
        Strategy::Auto if append => Ok(Strategy::ReadWrite),
        Strategy::Auto if file && splice_file => Ok(Strategy::Splice),
        Strategy::Auto if file => Ok(Strategy::CopyFileRange),
        // Splicing a pipe into a file holds the pipe while the file is written, so its writer
        // waits: read/write measured 1.6-2x faster from a pipe whose writer runs on another CPU.
        Strategy::Auto if matches!(source, Source::Stream { pipe: true, .. }) => {
            Ok(Strategy::ReadWrite)
        }
        Strategy::Auto => Ok(Strategy::Splice),
        Strategy::ReadWrite => Ok(Strategy::ReadWrite),
        _ if append => unsupported("the target is opened with O_APPEND: only READ_WRITE appends"),
        Strategy::Splice => Ok(Strategy::Splice),
        _ if !file => unsupported("the source is a socket or pipe: use SPLICE or READ_WRITE"),
        other => Ok(other),
    }
}

/// One `transfer_from` in progress.
pub(crate) struct Receive<'fd, 'cp> {
    pub(crate) src: BorrowedFd<'fd>,
    pub(crate) dst: BorrowedFd<'fd>,
    /// Where in the target the first byte goes.
    pub(crate) position: u64,
    /// Bytes to move at most (clamped to what a file source has).
    pub(crate) count: u64,
    pub(crate) source: Source,
    pub(crate) calls: Calls<'cp>,
    /// Bytes written to the target so far.
    pub(crate) bytes: u64,
    /// `bytes` when the checkpoint last ran.
    checked_at: u64,
    /// Bytes taken from the source into the splice pipe and not yet written to the target.
    pub(crate) in_pipe: usize,
    /// Bytes were taken from a stream source (a fallback must not start over then: they are
    /// gone from the stream).
    pub(crate) taken: bool,
    /// The source's descriptor is non-blocking but its owner blocks: wait until it is ready.
    waits: bool,
}

impl<'fd, 'cp> Receive<'fd, 'cp> {
    fn new(
        (src, dst): (BorrowedFd<'fd>, BorrowedFd<'fd>),
        (position, count): (u64, u64),
        source: Source,
        calls: Calls<'cp>,
        waits: bool,
    ) -> Self {
        Receive {
            src,
            dst,
            position,
            count,
            source,
            calls,
            bytes: 0,
            checked_at: 0,
            in_pipe: 0,
            taken: false,
            waits,
        }
    }
}

impl Receive<'_, '_> {
    /// The ladder: `planned` runs; where the kernel refuses copy_file_range or splice for these
    /// descriptors before the first byte, AUTO (and COPY_FILE_RANGE asked for by name, as in
    /// `transfer_to`) goes on by read/write. The strategy that ran, or the one that failed and its
    /// error.
    fn run_with_fallback(
        &mut self,
        requested: Strategy,
        planned: Strategy,
    ) -> Result<Strategy, (Strategy, Error)> {
        let mut rung = planned;
        loop {
            match self.run(rung) {
                Ok(()) => return Ok(rung),
                Err(e)
                    if matches!(requested, Strategy::Auto | Strategy::CopyFileRange)
                        && rung != Strategy::ReadWrite
                        && self.bytes == 0
                        && !self.taken
                        && crate::transfer::can_fall_back(&e) =>
                {
                    crate::stats::fell_back(rung);
                    rung = Strategy::ReadWrite;
                }
                Err(e) => return Err((rung, e)),
            }
        }
    }

    fn run(&mut self, strategy: Strategy) -> Result<(), Error> {
        match strategy {
            Strategy::CopyFileRange => self.copy_file_range(),
            Strategy::Sendfile => self.sendfile(),
            Strategy::Mmap => self.mmap(),
            Strategy::Splice => self.splice(),
            _ => self.read_write(),
        }
    }

    /// Whether to try the source again after it said `EAGAIN`: for a source whose channel blocks
    /// on a non-blocking descriptor, once `poll(2)` says it is ready (through the checkpoint
    /// when a signal interrupts the wait).
    pub(crate) fn wait_ready(&mut self) -> Result<bool, Error> {
        if !self.waits {
            return Ok(false);
        }
        let src = self.src;
        self.calls
            .call(Call::Poll, Side::Source, || sys::wait_readable(src))?;
        Ok(true)
    }

    /// Whether a file source has no byte at its offset: one probe byte, for a file whose size
    /// says nothing (0 for a `/proc` file as for an empty one).
    pub(crate) fn nothing_at_source(&mut self) -> Result<bool, Error> {
        let Source::File { at, .. } = self.source else {
            return Ok(false);
        };
        crate::transfer::nothing_at(&mut self.calls, self.src, at)
    }

    /// Moves a file source's offset past the bytes that moved, as the JDK sets its position.
    fn settle_source(&mut self) {
        if let (Source::File { at, .. }, true) = (self.source, self.bytes > 0) {
            let to = at + self.bytes;
            // An lseek to an offset within the file cannot fail on a descriptor that just read
            // it; if it did, the bytes still moved, and the count says so.
            let _ = self
                .calls
                .call(Call::Lseek, Side::Source, || sys::seek(self.src, Some(to)));
        }
    }

    /// Runs the checkpoint once `CHECKPOINT_BYTES` have moved since it last ran, or when the
    /// watchdog woke a blocked call (`Calls::checkpoint_every`).
    pub(crate) fn checkpoint(&mut self) -> Result<(), Error> {
        self.calls
            .checkpoint_every(self.bytes, &mut self.checked_at)
    }

    /// The most one kernel call may move (`Calls::max_call`).
    pub(crate) fn max_call(&self) -> u64 {
        self.calls.max_call()
    }

    pub(crate) fn remaining(&self) -> u64 {
        self.count - self.bytes
    }

    /// Where the next byte goes in the target.
    pub(crate) fn target_offset(&self) -> u64 {
        self.position.saturating_add(self.bytes)
    }

    fn done(&self, strategy: Strategy) -> Transferred {
        Transferred {
            bytes: self.bytes,
            strategy,
            syscalls: self.calls.count,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: Source = Source::File {
        at: 0,
        size: Some(100),
    };
    const SOCKET: Source = Source::Stream {
        pipe: false,
        nonblocking: false,
    };

    const PIPE: Source = Source::Stream {
        pipe: true,
        nonblocking: false,
    };

    #[test]
    fn auto_splices_sockets_and_large_files_and_reads_pipes_and_into_append() {
        let auto = |source, append, splice_file| plan(Strategy::Auto, source, append, splice_file);
        assert_eq!(auto(FILE, false, false).unwrap(), Strategy::CopyFileRange);
        assert_eq!(auto(FILE, false, true).unwrap(), Strategy::Splice);
        assert_eq!(auto(SOCKET, false, false).unwrap(), Strategy::Splice);
        assert_eq!(auto(PIPE, false, false).unwrap(), Strategy::ReadWrite);
        assert_eq!(auto(SOCKET, true, false).unwrap(), Strategy::ReadWrite);
        assert_eq!(auto(FILE, true, false).unwrap(), Strategy::ReadWrite);
    }

    #[test]
    fn paths_that_cannot_apply_are_refused() {
        for (strategy, source, append) in [
            (Strategy::Splice, SOCKET, true),
            (Strategy::Splice, FILE, true),
            (Strategy::CopyFileRange, SOCKET, false),
            (Strategy::CopyFileRange, FILE, true),
            (Strategy::Sendfile, SOCKET, false),
            (Strategy::Sendfile, FILE, true),
            (Strategy::Mmap, SOCKET, false),
        ] {
            let refused = plan(strategy, source, append, false);
            assert!(
                matches!(refused, Err(Error::Unsupported { strategy: s, .. }) if s == strategy),
                "{strategy} {source:?} {append}: {refused:?}"
            );
        }
        for strategy in [
            Strategy::ReadWrite,
            Strategy::Mmap,
            Strategy::Sendfile,
            Strategy::Splice,
        ] {
            assert_eq!(plan(strategy, FILE, false, false).unwrap(), strategy);
        }
        assert_eq!(
            plan(Strategy::ReadWrite, SOCKET, true, false).unwrap(),
            Strategy::ReadWrite
        );
    }

    #[test]
    fn a_file_source_gives_what_it_has_from_its_offset() {
        let at_40 = Source::File {
            at: 40,
            size: Some(100),
        };
        assert_eq!(at_40.clamp(1000), 60);
        assert_eq!(at_40.clamp(10), 10);
        let past_end = Source::File {
            at: 200,
            size: Some(100),
        };
        assert_eq!(past_end.clamp(10), 0);
        let unknown = Source::File { at: 5, size: None };
        assert_eq!(unknown.clamp(u64::MAX), MAX_OFFSET - 5);
        assert_eq!(SOCKET.clamp(u64::MAX), u64::MAX);
    }
}
