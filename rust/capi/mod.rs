//! The C face: `extern "C"` functions over the core, declared in `include/zerocopy_nio.h`
//! (generated from this file by cbindgen). No transfer logic lives here: argument conversion,
//! the panic boundary, and the result as an errno.
//!
//! Contract for every function that returns `int`: 0 on success with the out-parameter written;
//! otherwise a positive errno value, and the out-parameter is left untouched.
#![allow(unsafe_code, non_camel_case_types)]

use std::ffi::{c_char, c_int, CStr};
use std::io::IoSlice;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::{
    send_file, sys, transfer_from, transfer_to_with, Error, Options, Strategy, Transferred,
};

/// A transfer strategy: one of the `ZC_STRATEGY_*` values. Any other value is rejected with
/// `EINVAL` (it is an `int`, not a C enum, so that no value a C caller passes is undefined).
pub type zc_strategy = c_int;

/// The best path for the target kind: sendfile where the kernel can (sockets, pipes, files), else
/// read/write (append-mode files, sources that report size 0 such as `/proc` files). Falls back
/// to read/write before the first byte if the kernel refuses sendfile.
pub const ZC_STRATEGY_AUTO: zc_strategy = 0;
/// sendfile(2): the bytes never enter user space. `EINVAL` for an `O_APPEND` target (where bytes
/// would move: a transfer that moves nothing returns 0 for every strategy).
pub const ZC_STRATEGY_SENDFILE: zc_strategy = 1;
/// mmap(2) windows of the source (8 MiB at most) and write(2) from the mapping.
pub const ZC_STRATEGY_MMAP: zc_strategy = 2;
/// pread(2) into a 256 KiB buffer and write(2)/send(2): the baseline.
pub const ZC_STRATEGY_READ_WRITE: zc_strategy = 3;
/// copy_file_range(2), file to file: the kernel copies, or shares the blocks where the file system
/// can (XFS, Btrfs, NFS). `EINVAL` for a target that is not a file or is `O_APPEND` (where bytes
/// would move); where the kernel refuses it for these files before the first byte (`EXDEV`,
/// `EINVAL`, `ENOSYS`, `EOPNOTSUPP`) the transfer goes on by sendfile(2), or read/write.
pub const ZC_STRATEGY_COPY_FILE_RANGE: zc_strategy = 4;
/// splice(2), for `zc_transfer_from` into a file: a pipe is spliced straight into the file, a
/// socket or a file through a pipe each thread keeps (1 MiB, emptied before every call returns).
/// `EINVAL` for an `O_APPEND` target, or `zc_transfer_to` (where bytes would move).
pub const ZC_STRATEGY_SPLICE: zc_strategy = 5;

/// What a transfer did, for callers who ask "did zero-copy happen, and at what cost?".
#[repr(C)]
pub struct zc_report {
    /// Bytes moved to the target (the same number `zc_transfer_to` returns).
    pub transferred: u64,
    /// Kernel calls made (fstat, fcntl, sendfile, pread, write/send, mmap, munmap), counting
    /// failed calls; not counting the three or four that duplicate and close the two descriptors.
    pub syscalls: u64,
    /// The strategy that actually ran: never `ZC_STRATEGY_AUTO`.
    pub strategy: zc_strategy,
}

/// Runs `body`, turning a panic into `on_panic`: no unwinding crosses into C.
fn boundary<T>(on_panic: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(on_panic)
}

/// A private duplicate of a caller's descriptor, which all the transfer's I/O then uses: another
/// thread closing the caller's descriptor during the call (and a new `open` getting its number)
/// cannot redirect a single read or write to that other file. A closed descriptor is `EBADF`.
/// When the process has no descriptor to spare (`EMFILE`, `ENFILE`, or none above `min`), `None`:
/// the transfer uses the caller's descriptor as it is, and works, without that protection. `min`
/// is the lowest number wanted (above both of the caller's numbers, and the two duplicates
/// adjacent, so one `close_range` closes both).
fn private_duplicate(fd: BorrowedFd<'_>, min: c_int) -> Result<Option<OwnedFd>, c_int> {
    match sys::duplicate(fd, min) {
        Ok(dup) => Ok(Some(dup)),
        // EINVAL: `min` is at the descriptor limit (the caller's numbers are the highest allowed).
        Err(e)
            if matches!(
                e.raw_os_error(),
                Some(libc::EMFILE | libc::ENFILE | libc::EINVAL)
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(e.raw_os_error().unwrap_or(libc::EBADF)),
    }
}

/// Runs `body` on private duplicates of two caller descriptors (see [`private_duplicate`]),
/// inside the panic boundary: the errno of a bad descriptor or of the body's error, else 0 after
/// `out` got the result.
fn on_duplicates<T>(
    first_fd: c_int,
    second_fd: c_int,
    body: impl FnOnce(BorrowedFd<'_>, BorrowedFd<'_>) -> Result<T, Error>,
    out: impl FnOnce(T),
) -> c_int {
    boundary(libc::ENOTRECOVERABLE, || {
        if first_fd < 0 || second_fd < 0 {
            return libc::EBADF;
        }
        // SAFETY: the descriptors are non-negative, and only duplicated here: a closed one
        // makes the duplication fail with EBADF before any other use.
        let (first, second) = unsafe {
            (
                BorrowedFd::borrow_raw(first_fd),
                BorrowedFd::borrow_raw(second_fd),
            )
        };
        // Above both numbers: a duplicate of the first must not take the second's number when
        // the second is closed (it would then name the first's file, and pass for open).
        let first_dup = match private_duplicate(first, first_fd.max(second_fd).saturating_add(1)) {
            Ok(dup) => dup,
            Err(errno) => return errno,
        };
        let next = first_dup.as_ref().map_or(0, |d| d.as_raw_fd() + 1);
        let second_dup = match private_duplicate(second, next) {
            Ok(dup) => dup,
            Err(errno) => return errno,
        };
        let result = body(
            first_dup.as_ref().map_or(first, OwnedFd::as_fd),
            second_dup.as_ref().map_or(second, OwnedFd::as_fd),
        );
        if let (Some(a), Some(b)) = (first_dup, second_dup) {
            sys::close_pair(a, b);
        }
        match result {
            Ok(done) => {
                out(done);
                0
            }
            Err(e) => e.errno(),
        }
    })
}

/// The shared body of the transfer functions: converts the arguments, runs the core, and writes
/// the result through `out` on success only.
fn transfer(
    src_fd: c_int,
    position: u64,
    count: u64,
    dst_fd: c_int,
    strategy: zc_strategy,
    out: impl FnOnce(Transferred),
) -> c_int {
    let Some(strategy) = Strategy::from_code(strategy) else {
        return libc::EINVAL;
    };
    on_duplicates(
        src_fd,
        dst_fd,
        |src, dst| transfer_to_with(src, position, count, dst, strategy, Options::default()),
        out,
    )
}

/// Sends up to `count` bytes of the regular file `src_fd`, starting at `position`, to `dst_fd`
/// (a socket, a pipe, or a file opened for writing), with the semantics of Java's
/// `FileChannel.transferTo`:
///
/// - the file offset of `src_fd` never changes; the bytes go to the current offset of `dst_fd`,
///   which advances (an `O_APPEND` file appends);
/// - `position` at or past the end of the source sends nothing; `count` is clamped to the bytes
///   left; a source that reports size 0 but has content (a `/proc` file) is sent to its end;
/// - it loops until `count` bytes have moved, any size, except that a non-blocking target that
///   would block, or an error after some bytes moved, ends the call with the bytes moved so far
///   (possibly 0; the error shows again on the next call). Resume at `position + *transferred`.
///
/// A peer that hangs up gives `EPIPE` (or `ECONNRESET`) and never kills the program: sockets are
/// written with `MSG_NOSIGNAL`, and around sendfile(2) and pipe writes `SIGPIPE` is blocked in
/// the calling thread and a `SIGPIPE` raised by the call is discarded (one already pending, or a
/// `SIGPIPE` the caller blocks itself, is left alone).
///
/// Returns 0 and sets `*transferred`, or returns a positive errno and leaves it untouched:
/// - `EBADF`: a negative or closed descriptor, a source not open for reading, a target not
///   open for writing;
/// - `EINVAL`: `transferred` is NULL, `strategy` is not a `ZC_STRATEGY_*` value, or the
///   strategy cannot apply (`ZC_STRATEGY_SENDFILE` to an `O_APPEND` file; `ZC_STRATEGY_MMAP`
///   for a source with no size, such as a `/proc` file; `ZC_STRATEGY_COPY_FILE_RANGE` to
///   anything but a file, or to an `O_APPEND` file), where bytes would move;
/// - `EISDIR`: a directory on either side; `ESPIPE`: a pipe or socket as the source;
/// - `ENODATA`: the source was truncated during the transfer before any byte moved;
/// - `EINTR`: a signal whose handler was installed without `SA_RESTART` interrupted a blocked
///   call before any byte moved (after some bytes, the call returns their count instead);
/// - `ENOTRECOVERABLE`: an internal panic was caught (a bug: please report it);
/// - any other errno of the failing system call (`EPIPE`, `ECONNRESET`, `ENOSPC`, ...).
///
/// # Safety
/// `transferred` is NULL or valid for writing one `uint64_t`. The call works on private duplicates
/// of the descriptors, taken first thing (three short system calls: two `fcntl(F_DUPFD_CLOEXEC)`
/// and one `close_range`): another thread may close `src_fd` or `dst_fd` during the call, and a
/// file that is then opened under the same number is never read or written. The transfer goes on to its end on the duplicates (a socket
/// stays connected until the call returns); to stop a transfer blocked on a peer that stopped
/// reading, signal the thread (see `EINTR`) or set `SO_SNDTIMEO` on the socket.
#[no_mangle]
pub unsafe extern "C" fn zc_transfer_to(
    src_fd: c_int,
    position: u64,
    count: u64,
    dst_fd: c_int,
    strategy: zc_strategy,
    transferred: *mut u64,
) -> c_int {
    if transferred.is_null() {
        return libc::EINVAL;
    }
    transfer(src_fd, position, count, dst_fd, strategy, |done| {
        // SAFETY: non-null, and the caller passes a pointer valid for writing one uint64_t.
        unsafe { transferred.write(done.bytes) }
    })
}

/// `zc_transfer_to`, reporting in `*report` also the strategy that ran and the kernel calls it
/// made. Same arguments, errors and semantics; `report` must not be NULL (`EINVAL`).
///
/// # Safety
/// `report` is NULL or valid for writing one `zc_report`; descriptors as for `zc_transfer_to`.
#[no_mangle]
pub unsafe extern "C" fn zc_transfer_to_report(
    src_fd: c_int,
    position: u64,
    count: u64,
    dst_fd: c_int,
    strategy: zc_strategy,
    report: *mut zc_report,
) -> c_int {
    if report.is_null() {
        return libc::EINVAL;
    }
    transfer(src_fd, position, count, dst_fd, strategy, |done| {
        // SAFETY: non-null, and the caller passes a pointer valid for writing one zc_report.
        unsafe {
            report.write(zc_report {
                transferred: done.bytes,
                syscalls: done.syscalls,
                strategy: done.strategy.code(),
            })
        }
    })
}

/// Receives up to `count` bytes from `src_fd` (a socket, a pipe, or a file opened for reading)
/// into the file `dst_fd` at `position`, with the semantics of JDK 25's
/// `FileChannel.transferFrom`:
///
/// - the file offset of `dst_fd` never changes; a `position` past its end extends the file (the
///   gap reads as zeros); an `O_APPEND` target gets the bytes at its end, as `pwrite(2)` puts them
///   there on Linux;
/// - a file source is read from its own offset, which advances by the bytes moved, and `count`
///   is clamped to what it has from there (a `/proc` file is read to its end);
/// - a blocking socket or pipe is read until `count` bytes or the end of the stream; a
///   non-blocking one gives what it has ready (possibly 0);
/// - an error after some bytes moved ends the call with their count (the error shows again on
///   the next call).
///
/// `ZC_STRATEGY_AUTO` splices from a socket (`ZC_STRATEGY_SPLICE`), and from a file of 256 KiB or
/// more on a file system that does not copy in place (ext4, tmpfs); copies a file by
/// copy_file_range(2) otherwise (a reflink on XFS and Btrfs); and reads and writes (1 MiB buffer) from a pipe (a splice would hold the
/// pipe and stall its writer), into an `O_APPEND` target, and where the kernel refuses those
/// calls before the first byte. `ZC_STRATEGY_SENDFILE` and
/// `ZC_STRATEGY_MMAP` read a file source only (sendfile writes through a second open of the
/// target, `/proc/self/fd/N`).
///
/// Returns 0 and sets `*transferred`, or returns a positive errno and leaves it untouched:
/// - `EBADF`: a negative or closed descriptor, a source not open for reading, a target not open
///   for writing;
/// - `EINVAL`: `transferred` is NULL, `strategy` is no `ZC_STRATEGY_*` value, or it cannot apply
///   (COPY_FILE_RANGE, SENDFILE or MMAP from a socket or pipe; any but AUTO
///   and READ_WRITE into an `O_APPEND` file), where bytes would move;
/// - `ESPIPE`: a pipe or socket as the target; `EISDIR`: a directory on either side;
/// - `EINTR`: a signal whose handler has no `SA_RESTART` interrupted a blocked read before any
///   byte moved;
/// - `ENOTRECOVERABLE`: an internal panic was caught (a bug: please report it);
/// - any other errno of the failing system call (`ECONNRESET`, `ENOSPC`, `EFBIG`, ...).
///
/// # Safety
/// `transferred` is NULL or valid for writing one `uint64_t`. Descriptors as for
/// `zc_transfer_to`: the call works on private duplicates (which share the source's offset).
#[no_mangle]
pub unsafe extern "C" fn zc_transfer_from(
    dst_fd: c_int,
    src_fd: c_int,
    position: u64,
    count: u64,
    strategy: zc_strategy,
    transferred: *mut u64,
) -> c_int {
    if transferred.is_null() {
        return libc::EINVAL;
    }
    let Some(strategy) = Strategy::from_code(strategy) else {
        return libc::EINVAL;
    };
    on_duplicates(
        dst_fd,
        src_fd,
        |dst, src| transfer_from(dst, src, position, count, strategy),
        // SAFETY: non-null, and the caller passes a pointer valid for writing one uint64_t.
        |done| unsafe { transferred.write(done.bytes) },
    )
}

/// Sends a response in the fewest system calls: the `header_count` buffers of `header`, then up
/// to `count` bytes of the regular file `file_fd` from `position`, then the `trailer_count`
/// buffers of `trailer`, to `sock_fd` (a socket; a pipe or a file opened for writing work too).
///
/// - The body is `count` bytes clamped to the end of the file, as `zc_transfer_to` clamps it;
///   `position` at or past the end sends the header and trailer only. The file offset of
///   `file_fd` never changes.
/// - `ZC_STRATEGY_AUTO` reads a body of up to 8 KiB into a buffer and writes it with the header
///   and trailer in one `writev(2)`/`sendmsg(2)` (one TCP segment where it fits). Of a larger
///   body it sends the first 8 KiB that way, with `MSG_MORE` for a body of up to 128 KiB, then
///   the rest by sendfile(2): the read finds a bad file before anything is written, and the
///   header leaves in the body's first segment. `ZC_STRATEGY_SENDFILE` and `ZC_STRATEGY_MMAP`
///   check the file (`fstat`, `fcntl`), then write the header (with `MSG_MORE` up to 128 KiB),
///   the body by their path, then the trailer. `ZC_STRATEGY_READ_WRITE` gathers each 256 KiB of
///   the body with the rest of the header and, for the last, the trailer.
/// - A blocking socket gets everything. A non-blocking one that is full ends the call with the
///   bytes written so far (possibly 0), and so does an error after some bytes were written (it
///   shows again on the next call). The bytes go in order: the first `*sent` bytes of the
///   concatenation header + body + trailer were written; resume with the rest.
/// - The source is checked before the header is written: a bad `file_fd` loses nothing.
///
/// Returns 0 and sets `*sent` to the bytes written in all, or returns a positive errno and
/// leaves it untouched: the errors of `zc_transfer_to`; `EINVAL` for a NULL `sent`, a negative
/// `header_count` or `trailer_count`, or a NULL list with a positive count; `EFAULT` for an entry
/// with a NULL base and a positive length. A peer that hangs up gives
/// `EPIPE` or `ECONNRESET`, never `SIGPIPE` (as for `zc_transfer_to`).
///
/// # Safety
/// `header` points at `header_count` valid `struct iovec` (or is NULL with a count of 0), each
/// readable for its length during the call; likewise `trailer`. `sent` is NULL or valid for
/// writing one `uint64_t`. Descriptors as for `zc_transfer_to`: the call works on private
/// duplicates.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn zc_send_file(
    sock_fd: c_int,
    header: *const libc::iovec,
    header_count: c_int,
    file_fd: c_int,
    position: u64,
    count: u64,
    trailer: *const libc::iovec,
    trailer_count: c_int,
    strategy: zc_strategy,
    sent: *mut u64,
) -> c_int {
    if sent.is_null() {
        return libc::EINVAL;
    }
    let Some(strategy) = Strategy::from_code(strategy) else {
        return libc::EINVAL;
    };
    // SAFETY: the caller passes `count` valid iovecs (or NULL and 0), readable during the call.
    let lists = unsafe { (iovecs(header, header_count), iovecs(trailer, trailer_count)) };
    let (header, trailer) = match lists {
        (Ok(header), Ok(trailer)) => (header, trailer),
        (Err(errno), _) | (_, Err(errno)) => return errno,
    };
    on_duplicates(
        sock_fd,
        file_fd,
        |sock, file| {
            send_file(sock, &header, file, position, count, &trailer, strategy).map(|s| s.bytes)
        },
        // SAFETY: non-null, and the caller passes a pointer valid for writing one uint64_t.
        |bytes| unsafe { sent.write(bytes) },
    )
}

/// The caller's iovec list as `IoSlice`s, checked as `writev(2)` checks it: `EINVAL` for a
/// negative count or a NULL list with a positive count, `EFAULT` for an entry with a NULL base
/// and a positive length (an entry of length 0 is skipped whatever its base).
///
/// # Safety
/// `list` points at `count` valid iovecs, each readable for its length, for `'a`.
unsafe fn iovecs<'a>(list: *const libc::iovec, count: c_int) -> Result<Vec<IoSlice<'a>>, c_int> {
    let count = usize::try_from(count).map_err(|_| libc::EINVAL)?;
    if count == 0 {
        return Ok(Vec::new());
    }
    if list.is_null() {
        return Err(libc::EINVAL);
    }
    // SAFETY: the caller guarantees `count` readable entries.
    let list = unsafe { std::slice::from_raw_parts(list, count) };
    let mut slices = Vec::with_capacity(count);
    for entry in list.iter().filter(|e| e.iov_len > 0) {
        if entry.iov_base.is_null() || entry.iov_len > isize::MAX as usize {
            return Err(libc::EFAULT);
        }
        // SAFETY: non-null, and the caller guarantees it readable for `iov_len` bytes for `'a`.
        let bytes =
            unsafe { std::slice::from_raw_parts(entry.iov_base.cast::<u8>(), entry.iov_len) };
        slices.push(IoSlice::new(bytes));
    }
    Ok(slices)
}

/// One direction's and strategy's counters in `zc_statistics`.
#[repr(C)]
pub struct zc_counters {
    /// Calls that ran this strategy and returned (with 0 bytes too).
    pub calls: u64,
    /// Bytes they moved (for `zc_send_file`, header and trailer included).
    pub bytes: u64,
    /// Kernel calls they made.
    pub syscalls: u64,
    /// Calls that asked for this strategy and failed with no byte moved.
    pub errors: u64,
}

/// `zc_stats.counters` rows: `zc_transfer_to`.
pub const ZC_DIRECTION_TO: c_int = 0;
/// `zc_stats.counters` rows: `zc_send_file`.
pub const ZC_DIRECTION_RESPONSE: c_int = 1;
/// `zc_stats.counters` rows: `zc_transfer_from`.
pub const ZC_DIRECTION_FROM: c_int = 2;

/// The process-wide statistics (`zc_statistics`): the counters of every call in this process, C,
/// Rust and Java alike.
#[repr(C)]
pub struct zc_stats {
    /// `counters[ZC_DIRECTION_*][ZC_STRATEGY_*]`, under the strategy that ran (errors: under the
    /// one asked for, so AUTO's column counts AUTO calls that failed).
    pub counters: [[zc_counters; 6]; 3],
    /// Fallbacks from each `ZC_STRATEGY_*`: the kernel refused its call before the first byte and
    /// the next path ran.
    pub fallbacks: [u64; 6],
}

/// Fills `*out` with a snapshot of the process-wide counters: kept with relaxed atomics, a few
/// additions per call, and read one by one (a snapshot taken during transfers may count a call's
/// bytes and not yet its kernel calls). Returns 0, or `EINVAL` for a NULL `out`.
///
/// # Safety
/// `out` is NULL or valid for writing one `zc_stats`.
#[no_mangle]
pub unsafe extern "C" fn zc_statistics(out: *mut zc_stats) -> c_int {
    if out.is_null() {
        return libc::EINVAL;
    }
    let now = crate::statistics();
    let counters = now.counters.map(|row| {
        row.map(|c| zc_counters {
            calls: c.calls,
            bytes: c.bytes,
            syscalls: c.syscalls,
            errors: c.errors,
        })
    });
    // SAFETY: non-null, and the caller passes a pointer valid for writing one zc_stats.
    unsafe {
        out.write(zc_stats {
            counters,
            fallbacks: now.fallbacks,
        })
    };
    0
}

/// The name of a strategy (`"AUTO"`, `"SENDFILE"`, `"MMAP"`, `"READ_WRITE"`,
/// `"COPY_FILE_RANGE"`, `"SPLICE"`), a static string; NULL for a value that is no strategy.
#[no_mangle]
pub extern "C" fn zc_strategy_name(strategy: zc_strategy) -> *const c_char {
    boundary(std::ptr::null(), || match Strategy::from_code(strategy) {
        Some(s) => s.c_name().as_ptr(),
        None => std::ptr::null(),
    })
}

const VERSION: &CStr =
    match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
        Ok(v) => v,
        Err(_) => panic!("the package version contains a NUL byte"),
    };

/// The library's version, `"MAJOR.MINOR.PATCH"`, a static string.
#[no_mangle]
pub extern "C" fn zc_version() -> *const c_char {
    VERSION.as_ptr()
}
