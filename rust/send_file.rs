//! `send_file`: a response (a header, a region of a file, a trailer) in the fewest kernel calls
//! and TCP segments. Small bodies are read into a buffer and go out with the header and trailer
//! in one gathering write; larger ones go by sendfile, the header held back with `MSG_MORE` so
//! that it leaves in the body's first segment. The docs of [`send_file`] are the contract;
//! `docs/responses.md` has the measurements behind the thresholds.

use std::cell::Cell;
use std::io::IoSlice;
use std::os::fd::BorrowedFd;

use smallvec::SmallVec;

use crate::error::{Call, Error, Side};
use crate::sys::{self, FileKind, MAX_IOVECS, MAX_OFFSET};
use crate::transfer::{self, Calls, Extent, Job, Options, Wrote, READ_WRITE_BUFFER};
use crate::Strategy;

/// The buffers of one gathering write: a header, a body and a trailer of a few buffers each fit
/// without a heap allocation.
type Iov<'a> = SmallVec<[IoSlice<'a>; 8]>;

thread_local! {
    /// The buffer a small body is read into, kept for the thread's next small response (the JDK
    /// keeps a temporary direct buffer per thread for the same reason). At most [`SMALL_BODY`].
    static SMALL_BUFFER: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// The largest body [`Strategy::Auto`] reads into a buffer and writes together with the header
/// and trailer (one `pread(2)` and one `writev(2)`); a larger one goes by `sendfile(2)` after the
/// header. Chosen by measurement (`docs/responses.md`, "Why 8 KiB").
pub const SMALL_BODY: u64 = 8 * 1024;

/// What a finished [`send_file`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sent {
    /// Bytes written in all: header, body and trailer.
    pub bytes: u64,
    /// Bytes of the file among them: resume the body at `position + body`.
    pub body: u64,
    /// The strategy that moved the body: never [`Strategy::Auto`].
    pub strategy: Strategy,
    /// Kernel calls made, counted as [`crate::Transferred::syscalls`] counts them.
    pub syscalls: u64,
}

/// Writes `header`, then up to `count` bytes of the regular file `file` from `position`, then
/// `trailer`, to `dst` (a socket, a pipe or a file opened for writing), in the fewest kernel calls:
///
/// - the body is `count` bytes clamped to the end of `file`, as `transfer_to` clamps it: a
///   `position` at or past the end sends the header and trailer only;
/// - `file`'s offset never changes; the bytes go to `dst`'s current offset;
/// - a blocking target gets everything; a non-blocking one that is full ends the call with what
///   was written (0 if nothing), and so does an error after some bytes were written (the next
///   call reports it). Resume with the header and trailer past what [`Sent::bytes`] covered and
///   the body at `position + body`.
///
/// With [`Strategy::Auto`] a body of at most [`SMALL_BODY`] bytes is read into a buffer and
/// written with the header and trailer in one gathering write (two kernel calls in all; one TCP
/// segment when it fits); of a larger one the first [`SMALL_BODY`] bytes go that way and the rest
/// by `sendfile(2)` (the read finds a bad file before anything is written).
/// [`Strategy::Sendfile`] and [`Strategy::Mmap`] check the file (`fstat(2)`, `fcntl(2)`), then
/// write the header, the body by their path, then the trailer; [`Strategy::ReadWrite`] gathers
/// each buffer of the body with what is left of the header and, for the last one, the trailer.
/// To a socket, what precedes a body of up to [`HOLD_HEADER_MAX`] bytes goes with `MSG_MORE`, so
/// that it leaves in the body's first segment.
///
/// # Errors
/// Only when no byte was written: the errors of [`crate::transfer_to`]. The source is checked
/// before the header is written, so a bad source loses nothing.
pub fn send_file(
    dst: BorrowedFd<'_>,
    header: &[IoSlice<'_>],
    file: BorrowedFd<'_>,
    position: u64,
    count: u64,
    trailer: &[IoSlice<'_>],
    strategy: Strategy,
) -> Result<Sent, Error> {
    send_file_with(
        dst,
        header,
        file,
        position,
        count,
        trailer,
        strategy,
        Options::default(),
    )
}

/// [`send_file`] with [`Options`].
#[allow(clippy::too_many_arguments)]
pub fn send_file_with(
    dst: BorrowedFd<'_>,
    header: &[IoSlice<'_>],
    file: BorrowedFd<'_>,
    position: u64,
    count: u64,
    trailer: &[IoSlice<'_>],
    strategy: Strategy,
    options: Options<'_>,
) -> Result<Sent, Error> {
    let result = uncounted(
        dst,
        (header, trailer),
        file,
        (position, count),
        strategy,
        options,
    );
    let counted = result
        .as_ref()
        .map_err(|_| ())
        .map(|sent| crate::Transferred {
            bytes: sent.bytes,
            strategy: sent.strategy,
            syscalls: sent.syscalls,
        });
    crate::stats::record(crate::stats::Direction::Response, strategy, &counted);
    result
}

/// [`send_file_with`] before it is counted in [`crate::statistics`].
fn uncounted(
    dst: BorrowedFd<'_>,
    (header, trailer): (&[IoSlice<'_>], &[IoSlice<'_>]),
    file: BorrowedFd<'_>,
    (position, count): (u64, u64),
    strategy: Strategy,
    mut options: Options<'_>,
) -> Result<Sent, Error> {
    let mut calls = Calls::new(options.checkpoint.take());
    let (extent, dst_kind) = prepare(&mut calls, (file, dst), position, count, strategy, &options)?;
    let mut job = Job::new((file, dst), extent, dst_kind, calls);
    let mut parts = Parts {
        header: Cursor::new(header),
        trailer: Cursor::new(trailer),
        written: 0,
    };
    match respond(&mut job, &mut parts, strategy, dst_kind, &options) {
        Ok(planned) => Ok(parts.sent(&job, planned)),
        Err(_) if parts.written + job.bytes > 0 => {
            Ok(parts.sent(&job, strategy_or_default(strategy)))
        }
        Err(e) => Err(e),
    }
}

/// What is asked before a byte is written: the target's kind; for SENDFILE and MMAP, which
/// write the header before they read the file, the file itself (unless the caller checked it);
/// for SENDFILE to a file, its `O_APPEND` flag. Returns the body's extent and the target's kind.
fn prepare(
    calls: &mut Calls<'_>,
    (file, dst): (BorrowedFd<'_>, BorrowedFd<'_>),
    position: u64,
    count: u64,
    strategy: Strategy,
    options: &Options<'_>,
) -> Result<(Extent, FileKind), Error> {
    if strategy == Strategy::Splice {
        return Err(transfer::splice_sends_nothing());
    }
    let dst_kind = transfer::target_kind(calls, dst, options.target)?;
    // Clamped to the largest offset now, to the file's end by the reads (or by its size).
    let mut extent = Extent {
        position,
        count: if position > MAX_OFFSET {
            0
        } else {
            (MAX_OFFSET - position).min(count)
        },
        size_known: false,
    };
    let writes_header_first = matches!(strategy, Strategy::Sendfile | Strategy::CopyFileRange);
    if strategy == Strategy::Mmap || (writes_header_first && !options.source_checked) {
        extent = checked_source(calls, file, extent, strategy)?;
    }
    if strategy == Strategy::CopyFileRange && dst_kind != FileKind::Regular {
        return Err(Error::Unsupported {
            strategy,
            reason: "copy_file_range(2) copies between files, and the target is not a file",
        });
    }
    if matches!(strategy, Strategy::Sendfile | Strategy::CopyFileRange)
        && dst_kind == FileKind::Regular
    {
        refuse_append(calls, dst, strategy)?;
    }
    Ok((extent, dst_kind))
}

/// The strategy to report when the body's path was never decided (an error came first).
fn strategy_or_default(strategy: Strategy) -> Strategy {
    match strategy {
        Strategy::Auto => Strategy::ReadWrite,
        other => other,
    }
}

/// Writes the response by the body's path; the strategy that moved the body.
fn respond(
    job: &mut Job<'_, '_>,
    parts: &mut Parts<'_, '_>,
    strategy: Strategy,
    dst_kind: FileKind,
    options: &Options<'_>,
) -> Result<Strategy, Error> {
    let gather_all = strategy == Strategy::ReadWrite
        || (strategy == Strategy::Auto && transfer::sendfile_missing());
    // Sockets are written with MSG_NOSIGNAL; sendfile to a socket and any write to a pipe need
    // the guard, raised once around the whole response.
    let uses_sendfile = match strategy {
        Strategy::Sendfile => true,
        Strategy::Auto => !gather_all && job.count > SMALL_BODY,
        _ => false,
    };
    let sigpipe_possible = match dst_kind {
        FileKind::Fifo => true,
        FileKind::Socket => uses_sendfile,
        _ => false,
    };
    let _guard = (options.guard_sigpipe && sigpipe_possible).then(sys::SigpipeGuard::new);
    job.calls.arm_watch(dst_kind, options.wake);
    let planned = match strategy {
        _ if gather_all => {
            gathered(job, parts, READ_WRITE_BUFFER as u64, false)?;
            return Ok(Strategy::ReadWrite);
        }
        // A small body goes with the header and trailer in one gathering write.
        Strategy::Auto if job.count <= SMALL_BODY || !options.source_checked => {
            // A larger one, from a file nobody checked, is read first (its first SMALL_BODY
            // bytes, which go with the header): a bad file fails before the header is written.
            if !gathered(job, parts, SMALL_BODY, true)? {
                return Ok(Strategy::ReadWrite);
            }
            Strategy::Sendfile
        }
        _ => {
            let planned = match strategy {
                Strategy::Auto => Strategy::Sendfile,
                other => other,
            };
            let held = holds_header(job);
            if !parts.write_all(job, Piece::Header, held)? {
                return Ok(planned);
            }
            planned
        }
    };
    body_then_trailer(job, parts, planned, strategy, dst_kind, options)
}

/// sendfile(2) or copy_file_range(2) to an `O_APPEND` file always fails: refused before the header
/// is written.
fn refuse_append(
    calls: &mut Calls<'_>,
    dst: BorrowedFd<'_>,
    strategy: Strategy,
) -> Result<(), Error> {
    if calls
        .call(Call::Fcntl, Side::Target, || sys::status_flags(dst))?
        .append
    {
        return Err(Error::Unsupported {
            strategy,
            reason: "sendfile(2) cannot write to a target opened with O_APPEND",
        });
    }
    Ok(())
}

/// The most body a socket's header is held back for (`MSG_MORE`) so that they leave together.
/// Above it the header goes by itself: one segment more among dozens costs nothing, and on
/// loopback we measured the held header no faster at 256 KiB to 1 MiB (`docs/responses.md`).
pub const HOLD_HEADER_MAX: u64 = 128 * 1024;

/// Whether the header (or AUTO's first buffer) goes with `MSG_MORE`: to a socket, for a body
/// that follows and is at most [`HOLD_HEADER_MAX`].
fn holds_header(job: &Job<'_, '_>) -> bool {
    job.dst_socket && job.count > 0 && job.count <= HOLD_HEADER_MAX
}

/// SENDFILE and MMAP write the header before they read the file: the file is checked first, so
/// that a bad one loses nothing. The extent clamped to the file's size, which MMAP needs.
fn checked_source(
    calls: &mut Calls<'_>,
    file: BorrowedFd<'_>,
    mut extent: Extent,
    strategy: Strategy,
) -> Result<Extent, Error> {
    let stat = transfer::source_stat(calls, file)?;
    if !calls
        .call(Call::Fcntl, Side::Source, || sys::status_flags(file))?
        .readable
    {
        return Err(Error::AccessMode { side: Side::Source });
    }
    let size_known = stat.kind == FileKind::Regular && stat.size > 0;
    if size_known {
        extent.count = stat.size.saturating_sub(extent.position).min(extent.count);
    }
    if strategy == Strategy::Mmap {
        // mmap maps what the size says is there (a truncation is its error, not an end); a file
        // that reports size 0 is mapped only if it is empty (a /proc file has no length to map).
        extent.size_known = size_known;
        if !size_known && extent.count > 0 {
            if !transfer::nothing_at(calls, file, extent.position)? {
                return Err(Error::Unsupported {
                    strategy,
                    reason: "the source reports size 0 but has content (a /proc file or a device), so there is no length to map",
                });
            }
            extent.count = 0;
        }
    }
    Ok(extent)
}

/// The body from `job.bytes` on by `planned` (the header written, to a socket with `MSG_MORE`),
/// then the trailer. AUTO falls back to read/write if the kernel refuses sendfile before its
/// first byte.
fn body_then_trailer(
    job: &mut Job<'_, '_>,
    parts: &mut Parts<'_, '_>,
    planned: Strategy,
    requested: Strategy,
    dst_kind: FileKind,
    options: &Options<'_>,
) -> Result<Strategy, Error> {
    let held = holds_header(job);
    let before = job.bytes;
    // The guard and the watchdog are up already.
    let body_options = Options {
        guard_sigpipe: false,
        wake: options.wake,
        source_checked: true,
        ..Options::default()
    };
    let mut ran = planned;
    while let Some(next) = job.run_rung(ran, requested, dst_kind, &body_options)? {
        ran = next;
    }
    if job.calls.would_block {
        return Ok(ran);
    }
    if job.bytes == before && held && parts.trailer.is_done() {
        // Nothing followed what MSG_MORE held back (the file ended there): send it now.
        let dst = job.dst;
        job.calls
            .call(Call::Write, Side::Target, || sys::push_held_segment(dst))?;
    }
    parts.write_all(job, Piece::Trailer, false)?;
    Ok(ran)
}

/// Reads the body `capacity` bytes at a time, and writes each buffer in one gathering write with
/// what is left of the header and, after the last, the trailer: a small response is one
/// `pread(2)` and one `writev(2)`. With `lead`, stops after the first buffer when the body goes
/// on (that buffer sent with `MSG_MORE` to a socket: the rest follows) and returns true.
fn gathered(
    job: &mut Job<'_, '_>,
    parts: &mut Parts<'_, '_>,
    capacity: u64,
    lead: bool,
) -> Result<bool, Error> {
    let capacity = job.count.min(capacity) as usize;
    let small = capacity as u64 <= SMALL_BODY;
    let mut buf = if small {
        sys::ReadBuffer::from_vec(SMALL_BUFFER.take(), capacity)
    } else {
        sys::ReadBuffer::with_capacity(capacity)
    };
    let result = gather_chunks(job, parts, &mut buf, capacity, lead);
    if small {
        SMALL_BUFFER.set(buf.into_vec());
    }
    result
}

/// [`gathered`]'s loop, reading into `buf` (`capacity` bytes at a time).
fn gather_chunks(
    job: &mut Job<'_, '_>,
    parts: &mut Parts<'_, '_>,
    buf: &mut sys::ReadBuffer,
    capacity: usize,
    lead: bool,
) -> Result<bool, Error> {
    loop {
        job.checkpoint()?;
        let want = job.remaining().min(capacity as u64) as usize;
        let (src, offset) = (job.src, job.offset());
        let n = if want == 0 {
            0
        } else {
            job.calls
                .call(Call::Pread, Side::Source, || buf.pread(src, want, offset))?
        };
        // A short read of a file is its end.
        let last = n < want || job.remaining() == n as u64;
        let more = lead && !last && holds_header(job);
        let chunk = [IoSlice::new(&buf.filled()[..n])];
        let mut body = Cursor::new(&chunk);
        while !(parts.header.is_done() && body.is_done() && (!last || parts.trailer.is_done())) {
            let mut iov = Iov::new();
            parts.header.fill(&mut iov);
            body.fill(&mut iov);
            if last {
                parts.trailer.fill(&mut iov);
            }
            let (dst, socket) = (job.dst, job.dst_socket);
            let wrote = job
                .calls
                .write_call(Call::Write, || sys::gather(dst, &iov, socket, more));
            drop(iov);
            match wrote? {
                Wrote::WouldBlock => return Ok(false),
                Wrote::Bytes(0) => return Err(transfer::write_zero()),
                Wrote::Bytes(written) => {
                    // In order: the header, the body, the trailer.
                    let rest = parts.header.advance(written);
                    let before = body.consumed;
                    let rest = body.advance(rest);
                    let body_part = body.consumed - before;
                    job.bytes += body_part as u64;
                    parts.trailer.advance(rest);
                    parts.written += (written - body_part) as u64;
                }
            }
        }
        if last {
            return Ok(false);
        }
        if lead {
            return Ok(true);
        }
    }
}

/// Which of the buffers around the body [`Parts::write_all`] writes.
#[derive(Clone, Copy)]
enum Piece {
    Header,
    Trailer,
}

/// The header and trailer, with what has been written of them.
struct Parts<'a, 'b> {
    header: Cursor<'a, 'b>,
    trailer: Cursor<'a, 'b>,
    /// Bytes of the header and trailer written (the body's are the job's).
    written: u64,
}

impl Parts<'_, '_> {
    fn sent(&self, job: &Job<'_, '_>, strategy: Strategy) -> Sent {
        Sent {
            bytes: self.written + job.bytes,
            body: job.bytes,
            strategy,
            syscalls: job.calls.count,
        }
    }

    /// Writes the whole `piece`; false when a non-blocking target filled up first.
    fn write_all(
        &mut self,
        job: &mut Job<'_, '_>,
        piece: Piece,
        more: bool,
    ) -> Result<bool, Error> {
        let (dst, socket) = (job.dst, job.dst_socket);
        loop {
            let cursor = match piece {
                Piece::Header => &mut self.header,
                Piece::Trailer => &mut self.trailer,
            };
            if cursor.is_done() {
                return Ok(true);
            }
            let mut iov = Iov::new();
            cursor.fill(&mut iov);
            let wrote = job
                .calls
                .write_call(Call::Write, || sys::gather(dst, &iov, socket, more));
            drop(iov);
            match wrote? {
                Wrote::WouldBlock => return Ok(false),
                Wrote::Bytes(0) => return Err(transfer::write_zero()),
                Wrote::Bytes(n) => {
                    cursor.advance(n);
                    self.written += n as u64;
                }
            }
        }
    }
}

/// A read position in a list of buffers.
struct Cursor<'a, 'b> {
    bufs: &'b [IoSlice<'a>],
    /// The buffer being written, and how much of it has been.
    index: usize,
    offset: usize,
    /// Bytes consumed in all.
    consumed: usize,
}

impl<'a, 'b> Cursor<'a, 'b> {
    fn new(bufs: &'b [IoSlice<'a>]) -> Self {
        let mut cursor = Cursor {
            bufs,
            index: 0,
            offset: 0,
            consumed: 0,
        };
        cursor.skip_empty();
        cursor
    }

    fn skip_empty(&mut self) {
        while self.index < self.bufs.len() && self.offset == self.bufs[self.index].len() {
            self.index += 1;
            self.offset = 0;
        }
    }

    fn is_done(&self) -> bool {
        self.index == self.bufs.len()
    }

    /// Appends what is left, as slices, up to [`MAX_IOVECS`] entries in `iov` in all.
    fn fill<'c>(&'c self, iov: &mut Iov<'c>) {
        for (i, buf) in self.bufs[self.index..].iter().enumerate() {
            if iov.len() == MAX_IOVECS {
                return;
            }
            let skip = if i == 0 { self.offset } else { 0 };
            if buf.len() > skip {
                iov.push(IoSlice::new(&buf[skip..]));
            }
        }
    }

    /// Consumes up to `n` bytes; returns what is left of `n` past the end.
    fn advance(&mut self, mut n: usize) -> usize {
        while n > 0 && !self.is_done() {
            let take = (self.bufs[self.index].len() - self.offset).min(n);
            self.offset += take;
            self.consumed += take;
            n -= take;
            self.skip_empty();
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::{AsFd, AsRawFd};

    /// `SIOCOUTQNSD` (linux/sockios.h; not in the libc crate): bytes queued but never sent.
    const SIOCOUTQNSD: libc::c_ulong = 0x894B;

    fn unsent(socket: &std::net::TcpStream) -> i32 {
        let mut n: libc::c_int = -1;
        // SAFETY: SIOCOUTQNSD writes one int.
        #[allow(unsafe_code)]
        let rc = unsafe { libc::ioctl(socket.as_raw_fd(), SIOCOUTQNSD, &mut n) };
        assert_eq!(rc, 0, "SIOCOUTQNSD: {}", std::io::Error::last_os_error());
        n
    }

    /// A header held back with MSG_MORE for a body that turns out empty (the file ends at
    /// `position`) is sent before the call returns, not left to a timer.
    #[test]
    fn a_held_header_is_pushed_when_no_body_follows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("file");
        std::fs::write(&path, [7u8; 1000]).unwrap();
        let file = std::fs::File::open(&path).unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let socket = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let _peer = listener.accept().unwrap();
        socket.set_nodelay(true).unwrap();
        let header = [IoSlice::new(b"HTTP/1.1 200 OK\r\n\r\n")];
        let mut options = Options::default().target_is(crate::TargetKind::Socket);
        options.source_checked = true; // as the Java face: the header goes before the first read
        let sent = send_file_with(
            socket.as_fd(),
            &header,
            file.as_fd(),
            1000,
            100_000,
            &[],
            Strategy::Auto,
            options,
        )
        .unwrap();
        assert_eq!((sent.bytes, sent.body), (header[0].len() as u64, 0));
        assert_eq!(unsent(&socket), 0, "the header is still held back");
    }

    fn left(cursor: &Cursor<'_, '_>) -> Vec<u8> {
        let mut iov = Iov::new();
        cursor.fill(&mut iov);
        iov.iter().flat_map(|s| s.iter().copied()).collect()
    }

    #[test]
    fn cursor_consumes_across_buffers_and_skips_empty_ones() {
        let bufs = [
            IoSlice::new(b""),
            IoSlice::new(b"abc"),
            IoSlice::new(b""),
            IoSlice::new(b"de"),
            IoSlice::new(b"f"),
        ];
        let mut cursor = Cursor::new(&bufs);
        assert_eq!(left(&cursor), b"abcdef");
        assert_eq!(cursor.advance(2), 0);
        assert_eq!(left(&cursor), b"cdef");
        assert_eq!(cursor.advance(2), 0);
        assert_eq!(left(&cursor), b"ef");
        assert!(!cursor.is_done());
        // More than is left: the excess comes back (it belongs to the next part).
        assert_eq!(cursor.advance(5), 3);
        assert!(cursor.is_done());
        assert_eq!(cursor.consumed, 6);
        assert!(Cursor::new(&[IoSlice::new(b"")]).is_done());
    }

    #[test]
    fn fill_stops_at_the_kernels_limit() {
        let one = [b'x'];
        let bufs: Vec<IoSlice<'_>> = (0..MAX_IOVECS + 10).map(|_| IoSlice::new(&one)).collect();
        let cursor = Cursor::new(&bufs);
        let mut iov = Iov::new();
        cursor.fill(&mut iov);
        assert_eq!(iov.len(), MAX_IOVECS);
    }
}
