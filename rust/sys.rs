//! The only module that calls libc: one small safe function per system call, errno turned into
//! `io::Error` once, here. Everything above this module works with `BorrowedFd` and slices.
#![allow(unsafe_code)]

use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};

/// The kernel's largest single read/write/sendfile (`MAX_RW_COUNT` with 4 KiB pages). Asking for
/// more is clipped silently by the kernel; we clip first so the count we ask for is what we track.
pub const MAX_RW_COUNT: usize = 0x7fff_f000;

/// Largest file offset the kernel accepts (`loff_t` is signed).
pub const MAX_OFFSET: u64 = i64::MAX as u64;

fn cvt(ret: libc::ssize_t) -> io::Result<usize> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret as usize)
    }
}

fn cvt_int(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// `fcntl(F_DUPFD_CLOEXEC)`: a duplicate of `fd`, the lowest free number at or above `min`.
pub fn duplicate(fd: BorrowedFd<'_>, min: RawFd) -> io::Result<OwnedFd> {
    // SAFETY: F_DUPFD_CLOEXEC takes an int and creates a new descriptor (or fails): no memory is
    // passed, and the new number is owned by nobody else.
    let dup = cvt_int(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, min) })?;
    // SAFETY: `dup` was just created by this call and is open.
    Ok(unsafe { OwnedFd::from_raw_fd(dup) })
}

/// Closes two descriptors, with one `close_range(2)` when their numbers are adjacent (the range
/// then holds exactly these two), else with two `close(2)`.
pub fn close_pair(a: OwnedFd, b: OwnedFd) {
    let (lo, hi) = if a.as_raw_fd() < b.as_raw_fd() {
        (a, b)
    } else {
        (b, a)
    };
    if hi.as_raw_fd() != lo.as_raw_fd() + 1 {
        return; // both drop: close(2) each
    }
    let (lo, hi) = (lo.into_raw_fd(), hi.into_raw_fd());
    // SAFETY: `lo` and `hi` are owned, open and adjacent: the range closes these two and nothing
    // else, and neither number is used again.
    let closed = unsafe { libc::close_range(lo as libc::c_uint, hi as libc::c_uint, 0) };
    if closed != 0 {
        // A kernel without close_range (before 5.9): close them one by one.
        // SAFETY: still owned and open (close_range failed before closing anything).
        drop(unsafe { (OwnedFd::from_raw_fd(lo), OwnedFd::from_raw_fd(hi)) });
    }
}

/// What `fstat(2)` says a descriptor refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Regular,
    Directory,
    Socket,
    Fifo,
    CharDevice,
    BlockDevice,
    Other,
}

/// The parts of `struct stat` the transfer needs.
#[derive(Clone, Copy, Debug)]
pub struct Stat {
    pub kind: FileKind,
    pub size: u64,
}

/// `fstat(2)`.
pub fn fstat(fd: BorrowedFd<'_>) -> io::Result<Stat> {
    let mut st = MaybeUninit::<libc::stat64>::uninit();
    // SAFETY: `st` is a valid out-pointer for one `stat64`; the kernel fills it on success.
    cvt_int(unsafe { libc::fstat64(fd.as_raw_fd(), st.as_mut_ptr()) })?;
    // SAFETY: fstat64 returned 0, so it initialised the whole struct.
    let st = unsafe { st.assume_init() };
    let kind = match st.st_mode & libc::S_IFMT {
        libc::S_IFREG => FileKind::Regular,
        libc::S_IFDIR => FileKind::Directory,
        libc::S_IFSOCK => FileKind::Socket,
        libc::S_IFIFO => FileKind::Fifo,
        libc::S_IFCHR => FileKind::CharDevice,
        libc::S_IFBLK => FileKind::BlockDevice,
        _ => FileKind::Other,
    };
    Ok(Stat {
        kind,
        size: st.st_size.max(0) as u64,
    })
}

/// The file status flags the transfer cares about.
#[derive(Clone, Copy, Debug)]
pub struct StatusFlags {
    pub readable: bool,
    pub writable: bool,
    pub append: bool,
    pub nonblocking: bool,
}

/// `fcntl(F_GETFL)`: the access mode, `O_APPEND` and `O_NONBLOCK`.
pub fn status_flags(fd: BorrowedFd<'_>) -> io::Result<StatusFlags> {
    // SAFETY: F_GETFL takes no argument and only reads the descriptor's status flags.
    let flags = cvt_int(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) })?;
    let mode = flags & libc::O_ACCMODE;
    Ok(StatusFlags {
        readable: mode == libc::O_RDONLY || mode == libc::O_RDWR,
        writable: mode == libc::O_WRONLY || mode == libc::O_RDWR,
        append: flags & libc::O_APPEND != 0,
        nonblocking: flags & libc::O_NONBLOCK != 0,
    })
}

/// A read buffer that is never zeroed: `pread(2)` fills it and only the filled prefix can be seen.
/// (Zeroing 256 KiB per transfer would cost more than a small transfer itself.)
pub struct ReadBuffer(Vec<u8>);

impl ReadBuffer {
    pub fn with_capacity(capacity: usize) -> Self {
        ReadBuffer(Vec::with_capacity(capacity))
    }

    /// A read buffer in `vec`'s memory (its contents are dropped), grown to `capacity`.
    pub fn from_vec(mut vec: Vec<u8>, capacity: usize) -> Self {
        vec.clear();
        vec.reserve(capacity);
        ReadBuffer(vec)
    }

    /// The memory back, for [`ReadBuffer::from_vec`].
    pub fn into_vec(self) -> Vec<u8> {
        self.0
    }

    /// `pread(2)` of up to `len` bytes (at most the capacity) at `offset`; returns the count,
    /// and [`ReadBuffer::filled`] shows those bytes until the next read. `offset` above
    /// [`MAX_OFFSET`] is `EINVAL`, as the kernel would say.
    pub fn pread(&mut self, fd: BorrowedFd<'_>, len: usize, offset: u64) -> io::Result<usize> {
        if offset > MAX_OFFSET {
            return Err(io::Error::from_raw_os_error(libc::EINVAL));
        }
        self.0.clear();
        let len = len.min(self.0.capacity()).min(MAX_RW_COUNT);
        // SAFETY: the vector's spare capacity is valid for writes of `len` bytes.
        let n = cvt(unsafe {
            libc::pread64(
                fd.as_raw_fd(),
                self.0.as_mut_ptr().cast(),
                len,
                offset as libc::off64_t,
            )
        })?;
        // SAFETY: pread initialised exactly the first `n <= len <= capacity` bytes.
        unsafe { self.0.set_len(n) };
        Ok(n)
    }

    /// `read(2)` of up to `len` bytes (at most the capacity) at the descriptor's own position (a
    /// socket or pipe); as [`ReadBuffer::pread`] otherwise.
    pub fn read(&mut self, fd: BorrowedFd<'_>, len: usize) -> io::Result<usize> {
        self.0.clear();
        let len = len.min(self.0.capacity()).min(MAX_RW_COUNT);
        // SAFETY: the vector's spare capacity is valid for writes of `len` bytes.
        let n = cvt(unsafe { libc::read(fd.as_raw_fd(), self.0.as_mut_ptr().cast(), len) })?;
        // SAFETY: read initialised exactly the first `n <= len <= capacity` bytes.
        unsafe { self.0.set_len(n) };
        Ok(n)
    }

    /// The bytes of the last successful read.
    pub fn filled(&self) -> &[u8] {
        &self.0
    }
}

/// Writes `buf` to the descriptor's current offset: `send(2)` with `MSG_NOSIGNAL` when `socket`
/// is true (a hung-up peer gives `EPIPE`, never `SIGPIPE`), `write(2)` otherwise.
pub fn write(fd: BorrowedFd<'_>, buf: &[u8], socket: bool) -> io::Result<usize> {
    let len = buf.len().min(MAX_RW_COUNT);
    let ptr = buf.as_ptr().cast();
    // SAFETY: `buf` is valid for reads of `len` bytes. When `buf` is a file mapping, only the
    // kernel reads it; a page past the file's end makes the call fail with EFAULT, not SIGBUS.
    let ret = unsafe {
        if socket {
            libc::send(fd.as_raw_fd(), ptr, len, libc::MSG_NOSIGNAL)
        } else {
            libc::write(fd.as_raw_fd(), ptr, len)
        }
    };
    cvt(ret)
}

/// Most buffers one `writev(2)`/`sendmsg(2)` takes (`IOV_MAX` on Linux); [`gather`] clips to it.
pub const MAX_IOVECS: usize = 1024;

/// Writes the buffers in order, as one `write(2)` of their concatenation would: `sendmsg(2)`
/// with `MSG_NOSIGNAL` when `socket` is true (and `MSG_MORE` when `more`: the kernel holds a
/// partial segment back for the data that follows), `writev(2)` otherwise. At most
/// [`MAX_IOVECS`] buffers and [`MAX_RW_COUNT`] bytes go in one call (the kernel clips the count
/// itself).
pub fn gather(
    fd: BorrowedFd<'_>,
    bufs: &[io::IoSlice<'_>],
    socket: bool,
    more: bool,
) -> io::Result<usize> {
    let bufs = &bufs[..bufs.len().min(MAX_IOVECS)];
    // `IoSlice` is ABI-compatible with `struct iovec` on Unix (its documented guarantee).
    let iov = bufs.as_ptr().cast::<libc::iovec>().cast_mut();
    let ret = if socket {
        // SAFETY: an all-zero msghdr is valid (no name, no control data).
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_iov = iov;
        msg.msg_iovlen = bufs.len() as _;
        let flags = libc::MSG_NOSIGNAL | if more { libc::MSG_MORE } else { 0 };
        // SAFETY: `msg` points at `bufs.len()` iovecs, each valid for reads of its length, which
        // the kernel only reads.
        unsafe { libc::sendmsg(fd.as_raw_fd(), &msg, flags) }
    } else {
        // SAFETY: as above: `bufs.len()` readable iovecs.
        unsafe { libc::writev(fd.as_raw_fd(), iov, bufs.len() as libc::c_int) }
    };
    cvt(ret)
}

/// Sends the TCP segment that `MSG_MORE` held back, unless the caller corks the socket itself:
/// reads `TCP_CORK`, and when it is off sets it off again, which pushes the pending frames
/// (`__tcp_sock_set_cork`). A corked socket is left as it is: its owner's uncork sends it.
pub fn push_held_segment(fd: BorrowedFd<'_>) -> io::Result<()> {
    let mut on: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `on` and `len` are valid out-pointers for one int and its length.
    cvt_int(unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_CORK,
            (&mut on as *mut libc::c_int).cast(),
            &mut len,
        )
    })?;
    if on == 0 {
        // SAFETY: `on` is a valid int for the option's length.
        cvt_int(unsafe {
            libc::setsockopt(
                fd.as_raw_fd(),
                libc::IPPROTO_TCP,
                libc::TCP_CORK,
                (&on as *const libc::c_int).cast(),
                len,
            )
        })?;
    }
    Ok(())
}

/// Runs a call that reads its source at `*offset` through an offset pointer (`call` gets the
/// pointer), and advances `*offset` by what it moved. An offset above [`MAX_OFFSET`] is `EINVAL`,
/// as the kernel would say.
fn at_offset(
    offset: &mut u64,
    call: impl FnOnce(&mut libc::off64_t) -> libc::ssize_t,
) -> io::Result<usize> {
    if *offset > MAX_OFFSET {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    let mut off = *offset as libc::off64_t;
    let n = cvt(call(&mut off))?;
    *offset = off as u64;
    Ok(n)
}

/// `sendfile(2)` from `src` at `*offset` to `dst`'s current offset; `*offset` advances by the
/// bytes sent and `src`'s own file offset is untouched. `count` is clipped to [`MAX_RW_COUNT`].
pub fn sendfile(
    dst: BorrowedFd<'_>,
    src: BorrowedFd<'_>,
    offset: &mut u64,
    count: usize,
) -> io::Result<usize> {
    let (dst, src, count) = (dst.as_raw_fd(), src.as_raw_fd(), count.min(MAX_RW_COUNT));
    // SAFETY: `off` is a valid in/out pointer for the duration of the call.
    at_offset(offset, |off| unsafe {
        libc::sendfile64(dst, src, off, count)
    })
}

/// `copy_file_range(2)` from `src` at `*offset` to `dst`, at `*dst_offset` when given (which
/// advances by the bytes copied, and `dst`'s own offset is untouched), else at `dst`'s current
/// offset, which advances. `src`'s own offset is untouched and `*offset` advances by the bytes
/// copied. `count` is clipped to [`MAX_RW_COUNT`].
pub fn copy_file_range(
    dst: BorrowedFd<'_>,
    dst_offset: Option<&mut u64>,
    src: BorrowedFd<'_>,
    offset: &mut u64,
    count: usize,
) -> io::Result<usize> {
    let (dst, src, count) = (dst.as_raw_fd(), src.as_raw_fd(), count.min(MAX_RW_COUNT));
    match dst_offset {
        // SAFETY: `off` is a valid in/out pointer for the call; a null output offset means the
        // target's own offset, which the kernel advances.
        None => at_offset(offset, |off| unsafe {
            libc::copy_file_range(src, off, dst, std::ptr::null_mut(), count, 0)
        }),
        Some(dst_offset) => {
            if *dst_offset > MAX_OFFSET {
                return Err(io::Error::from_raw_os_error(libc::EINVAL));
            }
            let mut out = *dst_offset as libc::off64_t;
            // SAFETY: `off` and `out` are valid in/out pointers for the call.
            let n = at_offset(offset, |off| unsafe {
                libc::copy_file_range(src, off, dst, &mut out, count, 0)
            })?;
            *dst_offset = out as u64;
            Ok(n)
        }
    }
}

/// `copy_file_range(2)` from `src`'s own offset (which advances by the bytes copied, as a read
/// would move it) to `dst` at `*dst_offset` (which advances; `dst`'s own offset is untouched).
/// `count` is clipped to [`MAX_RW_COUNT`].
pub fn copy_file_range_from_own_offset(
    dst: BorrowedFd<'_>,
    dst_offset: &mut u64,
    src: BorrowedFd<'_>,
    count: usize,
) -> io::Result<usize> {
    let (dst, src, count) = (dst.as_raw_fd(), src.as_raw_fd(), count.min(MAX_RW_COUNT));
    // SAFETY: `off` is a valid in/out pointer for the call; a null input offset means the
    // source's own offset, which the kernel advances.
    at_offset(dst_offset, |off| unsafe {
        libc::copy_file_range(src, std::ptr::null_mut(), dst, off, count, 0)
    })
}

/// `pwrite(2)` of `buf` at `offset`; the descriptor's own offset is untouched. (On Linux an
/// `O_APPEND` file appends whatever `offset` says, as the JDK's positional write does there.)
pub fn pwrite(fd: BorrowedFd<'_>, buf: &[u8], offset: u64) -> io::Result<usize> {
    if offset > MAX_OFFSET {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    let len = buf.len().min(MAX_RW_COUNT);
    // SAFETY: `buf` is valid for reads of `len` bytes (a mapping's bytes are read only by the
    // kernel: a page past the file's end gives EFAULT, not SIGBUS).
    cvt(unsafe {
        libc::pwrite64(
            fd.as_raw_fd(),
            buf.as_ptr().cast(),
            len,
            offset as libc::off64_t,
        )
    })
}

/// `lseek(2)`: to `to` (`SEEK_SET`), or, with `None`, nowhere: the current offset
/// (`SEEK_CUR` by 0).
pub fn seek(fd: BorrowedFd<'_>, to: Option<u64>) -> io::Result<u64> {
    let (offset, whence) = match to {
        Some(to) if to > MAX_OFFSET => return Err(io::Error::from_raw_os_error(libc::EINVAL)),
        Some(to) => (to as libc::off64_t, libc::SEEK_SET),
        None => (0, libc::SEEK_CUR),
    };
    // SAFETY: lseek takes plain integers and touches no memory.
    let at = unsafe { libc::lseek64(fd.as_raw_fd(), offset, whence) };
    if at < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(at as u64)
    }
}

/// The two ends of a pipe a transfer splices through, and what it holds.
pub struct Pipe {
    pub read: OwnedFd,
    pub write: OwnedFd,
    /// Bytes the pipe holds at most (`F_GETPIPE_SZ`).
    pub capacity: usize,
}

/// `pipe2(O_CLOEXEC)`, grown to `capacity` bytes by `F_SETPIPE_SZ` where the kernel allows it
/// (`/proc/sys/fs/pipe-max-size`, and the user's pipe quota); else its default size.
pub fn pipe(capacity: usize) -> io::Result<Pipe> {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: `fds` is a valid out-pointer for two ints.
    cvt_int(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) })?;
    // SAFETY: pipe2 succeeded: both numbers are new, open and owned by nobody else.
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    let want = capacity.min(libc::c_int::MAX as usize) as libc::c_int;
    // SAFETY: F_SETPIPE_SZ and F_GETPIPE_SZ take and return ints and touch no memory. A refused
    // size leaves the pipe as it was.
    let size = unsafe {
        let set = libc::fcntl(write.as_raw_fd(), libc::F_SETPIPE_SZ, want);
        if set > 0 {
            set
        } else {
            libc::fcntl(write.as_raw_fd(), libc::F_GETPIPE_SZ)
        }
    };
    let capacity = cvt_int(size)? as usize;
    Ok(Pipe {
        read,
        write,
        capacity,
    })
}

/// `splice(2)` of up to `count` bytes from `src` into the pipe end `pipe`: a socket or pipe read
/// at its own position (`offset` `None`), or a file at `*offset`, which advances by the bytes moved
/// (the file's own offset is untouched). `nonblocking` adds `SPLICE_F_NONBLOCK` (a stream then
/// says `EAGAIN` when it has nothing). 0 is the end of the stream or file.
pub fn splice_in(
    src: BorrowedFd<'_>,
    offset: Option<&mut u64>,
    pipe: BorrowedFd<'_>,
    count: usize,
    nonblocking: bool,
) -> io::Result<usize> {
    let flags = libc::SPLICE_F_MOVE
        | if nonblocking {
            libc::SPLICE_F_NONBLOCK
        } else {
            0
        };
    let (src, pipe, count) = (src.as_raw_fd(), pipe.as_raw_fd(), count.min(MAX_RW_COUNT));
    match offset {
        // SAFETY: null offsets: both descriptors are read and written at their own positions.
        None => cvt(unsafe {
            libc::splice(
                src,
                std::ptr::null_mut(),
                pipe,
                std::ptr::null_mut(),
                count,
                flags,
            )
        }),
        // SAFETY: `off` is a valid in/out pointer for the call; the pipe's offset is null.
        Some(offset) => at_offset(offset, |off| unsafe {
            libc::splice(src, off, pipe, std::ptr::null_mut(), count, flags)
        }),
    }
}

/// `splice(2)` of up to `count` bytes from the pipe `src` into the file `dst` at `*offset`, which
/// advances by the bytes moved (`dst`'s own offset is untouched); `nonblocking` as in
/// [`splice_in`].
pub fn splice_out(
    src: BorrowedFd<'_>,
    dst: BorrowedFd<'_>,
    offset: &mut u64,
    count: usize,
    nonblocking: bool,
) -> io::Result<usize> {
    let flags = libc::SPLICE_F_MOVE
        | if nonblocking {
            libc::SPLICE_F_NONBLOCK
        } else {
            0
        };
    let (src, dst, count) = (src.as_raw_fd(), dst.as_raw_fd(), count.min(MAX_RW_COUNT));
    // SAFETY: `off` is a valid in/out pointer for the call; the input offset is null (a pipe).
    at_offset(offset, |off| unsafe {
        libc::splice(src, std::ptr::null_mut(), dst, off, count, flags)
    })
}

/// Whether the file system of `fd` can copy without moving the bytes through the page cache:
/// share the blocks (XFS, Btrfs, bcachefs, OCFS2, ZFS) or copy on the server (NFS, SMB, Ceph),
/// which `copy_file_range(2)` then does. (`fstatfs(2)`; ext4, tmpfs and the rest copy.)
pub fn copies_in_place(fd: BorrowedFd<'_>) -> io::Result<bool> {
    const SHARING: [libc::c_long; 9] = [
        0x5846_5342, // XFS
        0x9123_683E, // Btrfs
        0xCA45_1A4E, // bcachefs
        0x7461_636F, // OCFS2
        0x2FC1_2FC1, // ZFS
        0x6969,      // NFS
        0xFE53_4D42, // SMB2
        0xFF53_4D42, // CIFS
        0x00C3_6400, // Ceph
    ];
    let mut st = MaybeUninit::<libc::statfs64>::uninit();
    // SAFETY: `st` is a valid out-pointer for one `statfs64`; the kernel fills it on success.
    cvt_int(unsafe { libc::fstatfs64(fd.as_raw_fd(), st.as_mut_ptr()) })?;
    // SAFETY: fstatfs64 returned 0, so it initialised the struct.
    let kind = unsafe { st.assume_init() }.f_type;
    Ok(SHARING.contains(&kind))
}

/// `poll(2)` until `fd` is readable (or hung up, or in error: the next read says which).
pub fn wait_readable(fd: BorrowedFd<'_>) -> io::Result<()> {
    let mut poll = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: `poll` is one valid pollfd for the call.
    cvt_int(unsafe { libc::poll(&mut poll, 1, -1) }).map(drop)
}

/// A second open file description of the file `fd` refers to, for writing
/// (`/proc/self/fd/N`, `O_WRONLY`): it has its own file offset, so a call that writes at the
/// descriptor's offset (sendfile) can write at a chosen one without moving `fd`'s.
pub fn reopen_for_writing(fd: BorrowedFd<'_>) -> io::Result<OwnedFd> {
    let path = format!("/proc/self/fd/{}\0", fd.as_raw_fd());
    // SAFETY: `path` is NUL-terminated and outlives the call; the new descriptor is owned here.
    let new = cvt_int(unsafe {
        libc::open(
            path.as_ptr().cast(),
            libc::O_WRONLY | libc::O_CLOEXEC | libc::O_NOCTTY,
        )
    })?;
    // SAFETY: `new` was just opened by this call.
    Ok(unsafe { OwnedFd::from_raw_fd(new) })
}

/// A read-only shared mapping of `len` bytes of `fd` from `offset` (any alignment), unmapped on
/// drop. Its bytes must only be handed to the kernel ([`write`]), never read from user space: the
/// file may shrink under the mapping, and touching such a page raises SIGBUS.
pub struct Mapping(memmap2::Mmap);

impl Mapping {
    /// `mmap(2)` (through memmap2, which page-aligns `offset` and hides the slack).
    pub fn new(fd: BorrowedFd<'_>, offset: u64, len: usize) -> io::Result<Self> {
        // SAFETY: the mapping is private to this module's callers, who only pass its bytes to
        // write(2)/send(2) (see the type's docs), so a concurrent truncate cannot fault in Rust.
        let map = unsafe {
            memmap2::MmapOptions::new()
                .offset(offset)
                .len(len)
                .map(fd.as_raw_fd())
        }?;
        Ok(Mapping(map))
    }

    /// The mapped bytes, for passing to [`write`].
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

/// Blocks `SIGPIPE` in the calling thread for the guard's lifetime, then discards a `SIGPIPE` the
/// guarded calls raised, so a hung-up peer shows as `EPIPE` instead of killing a C program.
/// `send(MSG_NOSIGNAL)` covers sockets on the read/write and mmap paths, but `sendfile(2)` to a
/// socket and any `write(2)` to a pipe raise the signal, so those paths need this guard.
/// When the caller already blocks `SIGPIPE`, the guard does nothing: the caller owns that signal.
pub struct SigpipeGuard {
    old: Option<libc::sigset_t>,
}

fn sigpipe_set() -> libc::sigset_t {
    let mut set = MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: sigemptyset initialises the set; sigaddset with a valid signal number cannot fail.
    unsafe {
        libc::sigemptyset(set.as_mut_ptr());
        libc::sigaddset(set.as_mut_ptr(), libc::SIGPIPE);
        set.assume_init()
    }
}

impl SigpipeGuard {
    pub fn new() -> Self {
        let set = sigpipe_set();
        let mut old = MaybeUninit::<libc::sigset_t>::uninit();
        // SAFETY: both pointers are valid; pthread_sigmask cannot fail with SIG_BLOCK and a valid set.
        let rc = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, old.as_mut_ptr()) };
        if rc != 0 {
            return SigpipeGuard { old: None };
        }
        // SAFETY: pthread_sigmask succeeded and filled `old`.
        let old = unsafe { old.assume_init() };
        // SAFETY: `old` is an initialised set.
        let was_blocked = unsafe { libc::sigismember(&old, libc::SIGPIPE) } == 1;
        SigpipeGuard {
            old: (!was_blocked).then_some(old),
        }
    }
}

impl Drop for SigpipeGuard {
    fn drop(&mut self) {
        let Some(old) = self.old else { return };
        let set = sigpipe_set();
        let mut pending = MaybeUninit::<libc::sigset_t>::uninit();
        // SAFETY: valid out-pointer. SIGPIPE was unblocked before the guard, so one pending now
        // was raised by the guarded calls and is ours to discard.
        unsafe {
            if libc::sigpending(pending.as_mut_ptr()) == 0
                && libc::sigismember(pending.as_ptr(), libc::SIGPIPE) == 1
            {
                let zero = libc::timespec {
                    tv_sec: 0,
                    tv_nsec: 0,
                };
                while libc::sigtimedwait(&set, std::ptr::null_mut(), &zero) < 0
                    && io::Error::last_os_error().raw_os_error() == Some(libc::EINTR)
                {
                }
            }
            libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
        }
    }
}

/// A thread that [`wake`] can interrupt.
#[derive(Clone, Copy)]
pub struct Thread(libc::pthread_t);

/// The calling thread.
pub fn current_thread() -> Thread {
    // SAFETY: pthread_self has no preconditions.
    Thread(unsafe { libc::pthread_self() })
}

/// The signal [`wake`] sends: the one the JDK's NIO sends to wake its own blocked threads
/// (`INTERRUPT_SIGNAL` in `NativeThread.c`, `SIGRTMAX - 2`), with a handler that does nothing and
/// no `SA_RESTART`, so the signal only makes a blocked call return early (`EINTR`, or a short
/// count). Installs that handler when the signal has none (the JDK installs the same one, and
/// overwriting each other is harmless). `None` when another handler with `SA_RESTART` owns the
/// signal: then nothing can be woken and blocked calls stay blocked.
pub fn wake_signal() -> Option<libc::c_int> {
    extern "C" fn ignore(_: libc::c_int) {}
    let signal = libc::SIGRTMAX() - 2;
    let mut old = MaybeUninit::<libc::sigaction>::uninit();
    // SAFETY: a null new action only reads the current one into `old`.
    if unsafe { libc::sigaction(signal, std::ptr::null(), old.as_mut_ptr()) } != 0 {
        return None;
    }
    // SAFETY: sigaction succeeded and filled `old`.
    let old = unsafe { old.assume_init() };
    if old.sa_sigaction != libc::SIG_DFL && old.sa_sigaction != libc::SIG_IGN {
        // Someone's handler (the JDK's): usable only if it lets calls fail with EINTR.
        return (old.sa_flags & libc::SA_RESTART == 0).then_some(signal);
    }
    // SAFETY: an all-zero sigaction is valid (no flags, empty mask once sigemptyset ran).
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = ignore as extern "C" fn(libc::c_int) as libc::sighandler_t;
    // SAFETY: valid pointers; `ignore` is async-signal-safe (it does nothing).
    unsafe {
        libc::sigemptyset(&mut action.sa_mask);
        (libc::sigaction(signal, &action, std::ptr::null_mut()) == 0).then_some(signal)
    }
}

/// Sends `signal` to `thread`, which must be alive (its wake-up registration proves it).
pub fn wake(thread: Thread, signal: libc::c_int) {
    // SAFETY: the caller guarantees the thread has not exited; the signal's handler (from
    // `wake_signal`) does nothing.
    unsafe { libc::pthread_kill(thread.0, signal) };
}
