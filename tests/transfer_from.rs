//! `transfer_from`: every strategy from every source kind into a file, with exact bytes, counts
//! and offsets: streams that pause, end early or have nothing ready, file sources whose offset
//! advances, positions past the end and near the 64-bit limit, `O_APPEND` targets, the per-thread
//! splice pipe after transfers that end early, and descriptors no transfer can use. Temp files and
//! 127.0.0.1 only.

mod common;

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{pattern, tcp_pair};
use zerocopy_nio::{
    transfer_from, transfer_from_with, Error, Options, Strategy, Unusable, CHECKPOINT_BYTES,
    SPLICE_PIPE,
};

// ---------------------------------------------------------------------------------------------
// Fixtures

/// The strategies that read a socket or a pipe.
const STREAM_STRATEGIES: [Strategy; 3] = [Strategy::Auto, Strategy::Splice, Strategy::ReadWrite];

/// The strategies that read a file (all of them).
const FILE_STRATEGIES: [Strategy; 6] = [
    Strategy::Auto,
    Strategy::CopyFileRange,
    Strategy::Sendfile,
    Strategy::Mmap,
    Strategy::ReadWrite,
    Strategy::Splice,
];

/// The strategies an `O_APPEND` target refuses.
const NOT_FOR_APPEND: [Strategy; 4] = [
    Strategy::Splice,
    Strategy::CopyFileRange,
    Strategy::Sendfile,
    Strategy::Mmap,
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stream {
    Tcp,
    Unix,
    Pipe,
}

const STREAMS: [Stream; 3] = [Stream::Tcp, Stream::Unix, Stream::Pipe];

/// A connected stream of `kind`: the end a transfer reads (`rx`) and the end a sender writes.
fn stream(kind: Stream) -> (File, File) {
    let (rx, tx): (OwnedFd, OwnedFd) = match kind {
        Stream::Tcp => {
            let (client, server) = tcp_pair();
            (server.into(), client.into())
        }
        Stream::Unix => {
            let (a, b) = UnixStream::pair().unwrap();
            (a.into(), b.into())
        }
        Stream::Pipe => {
            let (r, w) = std::io::pipe().unwrap();
            (r.into(), w.into())
        }
    };
    (File::from(rx), File::from(tx))
}

/// A thread that writes `data` to `tx`, then closes it.
fn send_and_close(mut tx: File, data: Vec<u8>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || tx.write_all(&data).unwrap())
}

/// What a stream transfer reports running for a request that applies: AUTO splices a socket and
/// reads and writes a pipe (`docs/receiving.md`, "How AUTO picks").
fn ran(requested: Strategy, kind: Stream) -> Strategy {
    match requested {
        Strategy::Auto if kind == Stream::Pipe => Strategy::ReadWrite,
        Strategy::Auto => Strategy::Splice,
        other => other,
    }
}

/// The file system `file` is on (`fstatfs(2)`'s `f_type`).
fn fs_type(file: &File) -> i64 {
    let mut fs = std::mem::MaybeUninit::<libc::statfs>::uninit();
    // SAFETY: fstatfs fills the statfs it is given.
    assert_eq!(
        unsafe { libc::fstatfs(file.as_raw_fd(), fs.as_mut_ptr()) },
        0
    );
    // SAFETY: fstatfs succeeded.
    unsafe { fs.assume_init() }.f_type
}

const EXT4: i64 = 0xEF53;

/// Checks what a transfer from a regular file reports running for `requested`: AUTO takes
/// copy_file_range below `SPLICE_FILE_MIN`, and from there splices through the thread's pipe on a
/// file system that does not copy in place (ext4, tmpfs) or copies on one that does (XFS, Btrfs).
fn assert_ran_from_file(done: &zerocopy_nio::Transferred, requested: Strategy) {
    match requested {
        Strategy::Auto if done.bytes >= zerocopy_nio::SPLICE_FILE_MIN => assert!(
            matches!(done.strategy, Strategy::Splice | Strategy::CopyFileRange),
            "{done:?}"
        ),
        Strategy::Auto => assert_eq!(done.strategy, Strategy::CopyFileRange, "{done:?}"),
        other => assert_eq!(done.strategy, other, "{requested}"),
    }
}

fn set_nonblocking(fd: BorrowedFd<'_>) {
    // SAFETY: F_GETFL/F_SETFL on a descriptor the caller owns; no memory is passed.
    unsafe {
        let flags = libc::fcntl(fd.as_raw_fd(), libc::F_GETFL);
        assert!(flags >= 0);
        assert_eq!(
            libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK),
            0
        );
    }
}

/// Bytes waiting in a socket or pipe (`FIONREAD`).
fn ready(fd: BorrowedFd<'_>) -> usize {
    let mut n: libc::c_int = 0;
    // SAFETY: FIONREAD writes one int through a valid pointer.
    let rc = unsafe { libc::ioctl(fd.as_raw_fd(), libc::FIONREAD, &mut n) };
    assert_eq!(rc, 0, "FIONREAD: {}", std::io::Error::last_os_error());
    n as usize
}

/// Waits (5 s at most) until exactly `n` bytes wait in `fd`.
fn wait_ready(fd: BorrowedFd<'_>, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while ready(fd) < n {
        assert!(Instant::now() < deadline, "{n} bytes never arrived");
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(ready(fd), n);
}

/// A temp file opened read-write, holding `prefill`, its offset at 0; and its path.
fn target_with(prefill: &[u8]) -> (File, tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("target");
    std::fs::write(&path, prefill).unwrap();
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .unwrap();
    (file, dir, path)
}

fn target() -> (File, tempfile::TempDir, PathBuf) {
    target_with(b"")
}

/// All of a file's bytes, read at offsets (its own offset is left alone).
fn contents(file: &File) -> Vec<u8> {
    let len = file.metadata().unwrap().len() as usize;
    let mut out = vec![0; len];
    file.read_exact_at(&mut out, 0).unwrap();
    out
}

/// A file's own offset.
fn offset(mut file: &File) -> u64 {
    file.stream_position().unwrap()
}

/// Everything left in a stream, once its sender closed.
fn rest_of(mut rx: &File) -> Vec<u8> {
    let mut out = Vec::new();
    rx.read_to_end(&mut out).unwrap();
    out
}

fn assert_unsupported(result: Result<zerocopy_nio::Transferred, Error>, strategy: Strategy) {
    match result {
        Err(e @ Error::Unsupported { strategy: s, .. }) => {
            assert_eq!(s, strategy, "{e}");
            assert_eq!(e.errno(), libc::EINVAL);
        }
        other => panic!("{strategy}: expected Unsupported, got {other:?}"),
    }
}

fn errno(result: Result<zerocopy_nio::Transferred, Error>) -> i32 {
    match result {
        Err(e) => e.errno(),
        Ok(done) => panic!("expected an error, got {done:?}"),
    }
}

/// Runs `f` on a new thread (a thread-local splice pipe of its own), joined with a timeout.
fn within(secs: u64, what: &str, f: impl FnOnce() + Send + 'static) {
    let (done_tx, done_rx) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        f();
        let _ = done_tx.send(());
    });
    match done_rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(()) => worker.join().unwrap(),
        Err(mpsc::RecvTimeoutError::Disconnected) => worker.join().unwrap(), // it panicked
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{what}: still running after {secs} s"),
    }
}

// ---------------------------------------------------------------------------------------------
// Sources: sockets and pipes

#[test]
fn a_socket_arrives_at_position_by_every_stream_strategy() {
    for strategy in [Strategy::Auto, Strategy::Splice, Strategy::ReadWrite] {
        let data = pattern(3 << 20, 7);
        let (mut rx, mut tx) = tcp_pair();
        let sent = data.clone();
        let sender = std::thread::spawn(move || {
            tx.write_all(&sent).unwrap();
        });
        let (mut file, _dir, _) = target();
        file.seek(SeekFrom::Start(5)).unwrap();
        let done = transfer_from(file.as_fd(), rx.as_fd(), 100, u64::MAX, strategy).unwrap();
        sender.join().unwrap();
        assert_eq!(done.bytes, data.len() as u64, "{strategy}");
        let expected = if strategy == Strategy::Auto {
            Strategy::Splice
        } else {
            strategy
        };
        assert_eq!(done.strategy, expected);
        assert_eq!(
            file.stream_position().unwrap(),
            5,
            "the target's offset moved"
        );
        let mut got = Vec::new();
        file.seek(SeekFrom::Start(0)).unwrap();
        file.read_to_end(&mut got).unwrap();
        assert_eq!(&got[..100], &[0u8; 100][..]);
        assert!(got[100..] == data[..], "{strategy}: bytes differ");
        let mut rest = [0u8; 1];
        assert_eq!(rx.read(&mut rest).unwrap(), 0);
    }
}

/// TCP, Unix socket and pipe × every strategy: the stream strategies move every byte to
/// `position` over what the file held (the bytes before it stay, the file's offset stays); the
/// file strategies are refused, take nothing from the stream, and return 0 for a count of 0.
#[test]
fn every_strategy_from_every_stream_kind() {
    for kind in STREAMS {
        for (seed, strategy) in Strategy::ALL.into_iter().enumerate() {
            let data = pattern(300_000 + seed, seed as u64 + 11);
            let (rx, tx) = stream(kind);
            let sender = send_and_close(tx, data.clone());
            let (dst, _dir, _) = target_with(b"0123456789");
            (&dst).seek(SeekFrom::Start(3)).unwrap();
            let result = transfer_from(dst.as_fd(), rx.as_fd(), 4, u64::MAX, strategy);
            if STREAM_STRATEGIES.contains(&strategy) {
                let done = result.unwrap();
                assert_eq!(done.bytes, data.len() as u64, "{kind:?} {strategy}");
                assert_eq!(done.strategy, ran(strategy, kind), "{kind:?} {strategy}");
                let got = contents(&dst);
                assert_eq!(&got[..4], b"0123", "{kind:?} {strategy}");
                assert!(got[4..] == data[..], "{kind:?} {strategy}: bytes differ");
                assert!(rest_of(&rx).is_empty());
            } else {
                assert_unsupported(result, strategy);
                let nothing = transfer_from(dst.as_fd(), rx.as_fd(), 4, 0, strategy).unwrap();
                assert_eq!(nothing.bytes, 0);
                assert_eq!(contents(&dst), b"0123456789", "{kind:?} {strategy}");
                assert!(
                    rest_of(&rx) == data,
                    "{kind:?} {strategy}: a refused transfer took bytes from the stream"
                );
            }
            assert_eq!(
                offset(&dst),
                3,
                "{kind:?} {strategy}: the target's offset moved"
            );
            sender.join().unwrap();
        }
    }
}

/// A blocking stream is read until `count`, across a sender that stops for a while; and the
/// call returns at `count` without waiting for the end of the stream: the sender keeps it open
/// until the transfer has returned.
#[test]
fn a_sender_that_pauses_is_waited_for_until_count() {
    for kind in STREAMS {
        for strategy in STREAM_STRATEGIES {
            let data = pattern(200_003, 5);
            let (rx, mut tx) = stream(kind);
            let (release, hold) = mpsc::channel::<()>();
            let sent = data.clone();
            let sender = std::thread::spawn(move || {
                tx.write_all(&sent[..70_001]).unwrap();
                std::thread::sleep(Duration::from_millis(150));
                tx.write_all(&sent[70_001..]).unwrap();
                // Keeps the stream open: only `count` may end the transfer. Whether the
                // transfer returned (and released it) before the sender gave up waiting:
                hold.recv_timeout(Duration::from_secs(20)).is_ok()
            });
            let (dst, _dir, _) = target();
            let done =
                transfer_from(dst.as_fd(), rx.as_fd(), 0, data.len() as u64, strategy).unwrap();
            let _ = release.send(());
            let released = sender.join().unwrap();
            assert!(
                released,
                "{kind:?} {strategy}: waited for the end of the stream"
            );
            assert_eq!(done.bytes, data.len() as u64, "{kind:?} {strategy}");
            assert!(contents(&dst) == data, "{kind:?} {strategy}: bytes differ");
            assert!(rest_of(&rx).is_empty());
        }
    }
}

/// A sender that closes before `count` bytes: the transfer returns what arrived.
#[test]
fn a_sender_that_closes_early_gives_what_arrived() {
    for kind in STREAMS {
        for strategy in STREAM_STRATEGIES {
            let data = pattern(100_777, 9);
            let (rx, tx) = stream(kind);
            let sender = send_and_close(tx, data.clone());
            let (dst, _dir, _) = target_with(&[0xAA; 8]);
            let done = transfer_from(dst.as_fd(), rx.as_fd(), 8, 1 << 30, strategy).unwrap();
            sender.join().unwrap();
            assert_eq!(done.bytes, data.len() as u64, "{kind:?} {strategy}");
            let got = contents(&dst);
            assert_eq!(&got[..8], &[0xAA; 8]);
            assert!(got[8..] == data, "{kind:?} {strategy}: bytes differ");
            // At the end of the stream: 0, nothing written.
            let after = transfer_from(dst.as_fd(), rx.as_fd(), 0, 10, strategy).unwrap();
            assert_eq!(after.bytes, 0);
            assert_eq!(contents(&dst).len(), 8 + data.len());
        }
    }
}

/// A non-blocking stream gives what it has ready: 0 when nothing, exactly the bytes waiting
/// when some (however much more `count` asks for), and the next bytes on the next call.
#[test]
fn a_nonblocking_source_gives_what_is_ready() {
    for kind in STREAMS {
        for strategy in STREAM_STRATEGIES {
            let (rx, mut tx) = stream(kind);
            set_nonblocking(rx.as_fd());
            let (dst, _dir, _) = target();
            let nothing = transfer_from(dst.as_fd(), rx.as_fd(), 0, 5000, strategy).unwrap();
            assert_eq!(nothing.bytes, 0, "{kind:?} {strategy}: nothing was ready");
            assert_eq!(nothing.strategy, ran(strategy, kind));
            assert_eq!(contents(&dst).len(), 0);

            let first = pattern(1000, 1);
            tx.write_all(&first).unwrap();
            wait_ready(rx.as_fd(), first.len());
            let done = transfer_from(dst.as_fd(), rx.as_fd(), 0, 5000, strategy).unwrap();
            assert_eq!(done.bytes, 1000, "{kind:?} {strategy}");
            assert_eq!(contents(&dst), first);

            // Many writes' worth, all waiting at once (a pipe holds 64 KiB).
            let many = 60_000;
            let second = pattern(many, 2);
            tx.write_all(&second).unwrap();
            wait_ready(rx.as_fd(), second.len());
            let done = transfer_from(dst.as_fd(), rx.as_fd(), 1000, u64::MAX, strategy).unwrap();
            assert_eq!(done.bytes, many as u64, "{kind:?} {strategy}");
            let nothing = transfer_from(dst.as_fd(), rx.as_fd(), 0, 5000, strategy).unwrap();
            assert_eq!(nothing.bytes, 0);
            let got = contents(&dst);
            assert!(got[..1000] == first[..] && got[1000..] == second[..]);
            assert_eq!(ready(rx.as_fd()), 0);
        }
    }
}

/// `count` smaller than what waits: exactly `count` bytes leave the stream, and the rest stays
/// readable there, in order.
#[test]
fn a_count_smaller_than_what_waits_leaves_the_rest_in_the_stream() {
    for kind in STREAMS {
        for strategy in STREAM_STRATEGIES {
            let data = pattern(50_000, 3);
            let (rx, mut tx) = stream(kind);
            tx.write_all(&data).unwrap();
            drop(tx);
            let (dst, _dir, _) = target();
            let done = transfer_from(dst.as_fd(), rx.as_fd(), 0, 3001, strategy).unwrap();
            assert_eq!(done.bytes, 3001, "{kind:?} {strategy}");
            let done = transfer_from(dst.as_fd(), rx.as_fd(), 3001, 7000, strategy).unwrap();
            assert_eq!(done.bytes, 7000, "{kind:?} {strategy}");
            assert!(contents(&dst) == data[..10_001], "{kind:?} {strategy}");
            assert!(
                rest_of(&rx) == data[10_001..],
                "{kind:?} {strategy}: the stream lost or reordered bytes"
            );
        }
    }
}

/// A peer that resets the connection: `ECONNRESET` before any byte; after some bytes, their count.
#[test]
fn a_reset_peer_is_an_error_before_any_byte_and_a_count_after() {
    for strategy in STREAM_STRATEGIES {
        let (rx, tx) = tcp_pair();
        reset(tx);
        std::thread::sleep(Duration::from_millis(20));
        let (dst, _dir, _) = target();
        let result = transfer_from(dst.as_fd(), rx.as_fd(), 0, 1000, strategy);
        assert_eq!(errno(result), libc::ECONNRESET, "{strategy}");
        assert_eq!(contents(&dst).len(), 0);

        let data = pattern(5000, 4);
        let (rx, mut tx) = tcp_pair();
        tx.write_all(&data).unwrap();
        wait_ready(rx.as_fd(), data.len());
        reset(tx);
        std::thread::sleep(Duration::from_millis(20));
        let done = transfer_from(dst.as_fd(), rx.as_fd(), 0, 100_000, strategy).unwrap();
        assert_eq!(done.bytes, 5000, "{strategy}");
        assert_eq!(contents(&dst), data);
    }
}

/// Closes a TCP socket with a reset (`SO_LINGER` 0).
fn reset(socket: std::net::TcpStream) {
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: a valid socket and a valid `linger` of the size given.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0);
    drop(socket);
}

// ---------------------------------------------------------------------------------------------
// Sources: files

/// Every file strategy reads from the source's own offset, exactly `count` bytes (less than the
/// file has), and moves that offset by exactly `count`: a second transfer goes on from there. The
/// file is larger than an mmap window and the offset not page-aligned.
#[test]
fn a_file_source_advances_by_exactly_the_count() {
    let data = pattern((9 << 20) + 123, 21);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("source");
    std::fs::write(&path, &data).unwrap();
    for strategy in FILE_STRATEGIES {
        let mut src = File::open(&path).unwrap();
        src.seek(SeekFrom::Start(4097)).unwrap();
        let (dst, _d, _) = target_with(b"abcdefg");
        (&dst).seek(SeekFrom::Start(2)).unwrap();
        let count = (8 << 20) + 5;
        let done = transfer_from(dst.as_fd(), src.as_fd(), 7, count, strategy).unwrap();
        assert_eq!(done.bytes, count, "{strategy}");
        assert_ran_from_file(&done, strategy);
        assert_eq!(offset(&src), 4097 + count, "{strategy}: source offset");
        let rest = transfer_from(dst.as_fd(), src.as_fd(), 7 + count, u64::MAX, strategy).unwrap();
        assert_eq!(rest.bytes, data.len() as u64 - 4097 - count, "{strategy}");
        assert_eq!(offset(&src), data.len() as u64);
        assert_eq!(offset(&dst), 2, "{strategy}: the target's offset moved");
        let got = contents(&dst);
        assert_eq!(&got[..7], b"abcdefg");
        assert!(got[7..] == data[4097..], "{strategy}: bytes differ");
    }
}

#[test]
fn a_file_source_is_read_from_its_own_offset_which_advances() {
    for strategy in [
        Strategy::Auto,
        Strategy::CopyFileRange,
        Strategy::Sendfile,
        Strategy::Mmap,
        Strategy::ReadWrite,
    ] {
        let data = pattern(1 << 20, 3);
        let (mut src, _d1, _) = target();
        src.write_all(&data).unwrap();
        src.seek(SeekFrom::Start(1000)).unwrap();
        let (mut dst, _d2, _) = target();
        let done = transfer_from(dst.as_fd(), src.as_fd(), 7, u64::MAX, strategy).unwrap();
        assert_eq!(done.bytes, data.len() as u64 - 1000, "{strategy}");
        assert_eq!(src.stream_position().unwrap(), data.len() as u64);
        assert_eq!(dst.stream_position().unwrap(), 0);
        let mut got = Vec::new();
        dst.read_to_end(&mut got).unwrap();
        assert!(got[7..] == data[1000..], "{strategy}");
    }
}

/// SPLICE from a file goes through the thread's pipe: exact bytes at the position, the source's
/// offset advanced by them; a count of 0, or the file's end, moves nothing.
#[test]
fn splice_from_a_file_goes_through_the_pipe() {
    let (mut src, _d1, _) = target();
    src.write_all(b"abc").unwrap();
    src.seek(SeekFrom::Start(1)).unwrap();
    let (dst, _d2, _) = target();
    let done = transfer_from(dst.as_fd(), src.as_fd(), 2, 5, Strategy::Splice).unwrap();
    assert_eq!((done.bytes, done.strategy), (2, Strategy::Splice));
    assert_eq!(offset(&src), 3);
    assert_eq!(contents(&dst), b"\0\0bc");
    std::fs::File::set_len(&dst, 0).unwrap();
    src.seek(SeekFrom::Start(0)).unwrap();
    let nothing = transfer_from(dst.as_fd(), src.as_fd(), 0, 0, Strategy::Splice).unwrap();
    assert_eq!(nothing.bytes, 0);
    // At the end of the file nothing would move either.
    src.seek(SeekFrom::Start(3)).unwrap();
    let nothing = transfer_from(dst.as_fd(), src.as_fd(), 0, 3, Strategy::Splice).unwrap();
    assert_eq!(nothing.bytes, 0);
    assert_eq!(contents(&dst).len(), 0);
    let big = pattern(3 << 20, 8);
    let (mut src, _d3, _) = target_with(&big);
    src.seek(SeekFrom::Start(7)).unwrap();
    let done = transfer_from(dst.as_fd(), src.as_fd(), 0, u64::MAX, Strategy::Splice).unwrap();
    assert_eq!(done.bytes, big.len() as u64 - 7);
    assert_eq!(offset(&src), big.len() as u64);
    assert!(contents(&dst) == big[7..], "bytes differ");
}

/// A source at or past its end: 0 by every strategy, its offset where it was, the target
/// untouched.
#[test]
fn a_file_source_at_or_past_its_end_gives_zero_and_keeps_its_offset() {
    let data = pattern(10_000, 8);
    let (src, _d1, _) = target_with(&data);
    for at in [10_000, 10_001, 1 << 40] {
        for strategy in Strategy::ALL {
            (&src).seek(SeekFrom::Start(at)).unwrap();
            let (dst, _d2, _) = target_with(b"xyz");
            let done = transfer_from(dst.as_fd(), src.as_fd(), 1, 100, strategy).unwrap();
            assert_eq!(done.bytes, 0, "{strategy} at {at}");
            assert_eq!(
                offset(&src),
                at,
                "{strategy} at {at}: the source offset moved"
            );
            assert_eq!(contents(&dst), b"xyz");
        }
    }
}

/// An empty regular file is a source at its end: 0 by every strategy, as from a file whose
/// offset is at its end (`FileChannel.transferFrom` returns 0 for it whatever the path).
#[test]

fn an_empty_file_source_gives_zero_by_every_strategy() {
    let (src, _d1, _) = target();
    for strategy in Strategy::ALL {
        let (dst, _d2, _) = target_with(b"xyz");
        let result = transfer_from(dst.as_fd(), src.as_fd(), 1, 100, strategy);
        assert!(
            matches!(result, Ok(ref done) if done.bytes == 0),
            "{strategy}: {result:?}"
        );
        assert_eq!(offset(&src), 0);
        assert_eq!(contents(&dst), b"xyz");
    }
}

/// What the empty-file bug above does not hide: the strategies that read an empty file give 0.
#[test]
fn an_empty_file_source_gives_zero_by_the_reading_strategies() {
    let (src, _d1, _) = target();
    for strategy in [
        Strategy::Auto,
        Strategy::CopyFileRange,
        Strategy::Sendfile,
        Strategy::ReadWrite,
    ] {
        let (dst, _d2, _) = target_with(b"xyz");
        let done = transfer_from(dst.as_fd(), src.as_fd(), 1, 100, strategy).unwrap();
        assert_eq!(done.bytes, 0, "{strategy}");
        assert_eq!(offset(&src), 0);
        assert_eq!(contents(&dst), b"xyz");
    }
}

/// A `/proc` file reports size 0: it is read to its end from its own offset, which advances by
/// what moved. `/proc/self/environ` does not change, so its bytes are compared exactly. AUTO and
/// READ_WRITE read it; SENDFILE reads it where the kernel can splice from it, and is otherwise
/// the kernel's `EINVAL` with nothing moved; MMAP (no length to map) and SPLICE (a file) are
/// refused. (COPY_FILE_RANGE: the test below.)
#[test]
fn a_proc_file_is_read_to_its_end_from_its_offset() {
    let expected = std::fs::read("/proc/self/environ").unwrap();
    assert!(expected.len() > 20, "an environment to read");
    for strategy in Strategy::ALL {
        let mut src = File::open("/proc/self/environ").unwrap();
        src.read_exact(&mut [0; 5]).unwrap();
        let (dst, _d, _) = target_with(b"..");
        let result = transfer_from(dst.as_fd(), src.as_fd(), 2, u64::MAX, strategy);
        let moved = |result: Result<zerocopy_nio::Transferred, Error>| {
            let done = result.unwrap();
            assert_eq!(done.bytes, expected.len() as u64 - 5, "{strategy}");
            assert_eq!(offset(&src), expected.len() as u64, "{strategy}");
            let got = contents(&dst);
            assert!(
                got[..2] == *b".." && got[2..] == expected[5..],
                "{strategy}"
            );
            done
        };
        let nothing_moved = || {
            assert_eq!(offset(&src), 5, "{strategy}: the source offset moved");
            assert_eq!(contents(&dst), b"..");
        };
        match strategy {
            Strategy::Auto | Strategy::ReadWrite => {
                // copy_file_range cannot read a /proc file (EXDEV): AUTO reads and writes.
                assert_eq!(moved(result).strategy, Strategy::ReadWrite);
            }
            Strategy::Sendfile => match result {
                Err(e) => {
                    assert_eq!(e.errno(), libc::EINVAL, "{e}");
                    nothing_moved();
                }
                ok => assert_eq!(moved(ok).strategy, Strategy::Sendfile),
            },
            Strategy::Mmap => {
                assert_unsupported(result, strategy);
                nothing_moved();
            }
            // procfs cannot splice this file: the kernel's EINVAL, nothing taken.
            Strategy::Splice => match result {
                Err(e) => {
                    assert_eq!(e.errno(), libc::EINVAL, "{e}");
                    nothing_moved();
                }
                ok => assert_eq!(moved(ok).strategy, Strategy::Splice),
            },
            Strategy::CopyFileRange => {}
        }
    }
}

/// `/proc/self/status` changes as it is read, so its lines are compared by name: every line, in
/// order, to the end of the file, with the stable ones equal; the offset advances by the count.
#[test]
fn proc_self_status_is_read_to_its_end() {
    let keys = |text: &str| -> Vec<String> {
        text.lines()
            .map(|l| l.split(':').next().unwrap().to_string())
            .collect()
    };
    let stable = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| {
                ["Name:", "Tgid:", "Pid:", "Uid:", "Gid:"]
                    .iter()
                    .any(|k| l.starts_with(k))
            })
            .map(str::to_string)
            .collect()
    };
    let reference = std::fs::read_to_string("/proc/self/status").unwrap();
    assert!(reference.len() > 1000);
    for strategy in [Strategy::Auto, Strategy::ReadWrite] {
        let src = File::open("/proc/self/status").unwrap();
        let (dst, _d, _) = target();
        let done = transfer_from(dst.as_fd(), src.as_fd(), 0, u64::MAX, strategy).unwrap();
        assert_eq!(done.strategy, Strategy::ReadWrite);
        let got = String::from_utf8(contents(&dst)).unwrap();
        assert_eq!(done.bytes, got.len() as u64);
        assert_eq!(offset(&src), done.bytes, "{strategy}");
        assert!(got.ends_with('\n'), "{strategy}: cut short: {got}");
        assert_eq!(keys(&got), keys(&reference), "{strategy}");
        assert_eq!(stable(&got), stable(&reference), "{strategy}");
        // At its end now: nothing more, the offset where it was.
        let (dst2, _d2, _) = target();
        let more = transfer_from(dst2.as_fd(), src.as_fd(), 0, u64::MAX, strategy).unwrap();
        assert_eq!(more.bytes, 0, "{strategy}");
        assert_eq!(offset(&src), done.bytes);
        // A count smaller than the file: exactly that, from the start of a new description.
        let src = File::open("/proc/self/status").unwrap();
        let done = transfer_from(dst2.as_fd(), src.as_fd(), 0, 100, strategy).unwrap();
        assert_eq!(done.bytes, 100);
        assert_eq!(offset(&src), 100);
        let got = contents(&dst2);
        let name_and_umask = reference.find("State:").unwrap();
        assert_eq!(got.len(), 100);
        assert_eq!(
            got[..name_and_umask],
            reference.as_bytes()[..name_and_umask]
        );
    }
}

/// `/dev/zero`, a character device that never ends: exactly `count` zeros over what the target
/// held, by every strategy that can read it.
#[test]
fn dev_zero_gives_exactly_count_zeros() {
    let count = (3 << 20) + 5;
    for strategy in Strategy::ALL {
        let src = File::open("/dev/zero").unwrap();
        let (dst, _d, _) = target_with(&vec![0xAA; count + 100]);
        let result = transfer_from(dst.as_fd(), src.as_fd(), 50, count as u64, strategy);
        let got = contents(&dst);
        assert_eq!(got.len(), count + 100);
        assert!(got[..50].iter().all(|&b| b == 0xAA));
        assert!(got[50 + count..].iter().all(|&b| b == 0xAA));
        match strategy {
            Strategy::Auto | Strategy::Sendfile | Strategy::ReadWrite | Strategy::Splice => {
                let done = result.unwrap();
                assert_eq!(done.bytes, count as u64, "{strategy}");
                // copy_file_range takes regular files only: AUTO goes on by read/write.
                let want = if strategy == Strategy::Auto {
                    Strategy::ReadWrite
                } else {
                    strategy
                };
                assert_eq!(done.strategy, want);
                assert!(got[50..50 + count].iter().all(|&b| b == 0), "{strategy}");
            }
            Strategy::Mmap => {
                assert_unsupported(result, strategy);
                assert!(got[50..50 + count].iter().all(|&b| b == 0xAA), "{strategy}");
            }
            Strategy::CopyFileRange => {} // the test below
        }
    }
}

/// COPY_FILE_RANGE by name from a `/proc` file (`EXDEV`) or a device (`EINVAL`): the kernel refuses
/// it before any byte, and the transfer goes on by read/write, as COPY_FILE_RANGE does in
/// `transfer_to` (`docs/receiving.md`, "The fallback"): exact bytes, the source's offset advanced
/// by them.
#[test]
fn copy_file_range_by_name_from_a_proc_file_or_device_goes_on_by_read_write() {
    let expected = std::fs::read("/proc/self/environ").unwrap();
    let mut src = File::open("/proc/self/environ").unwrap();
    src.read_exact(&mut [0; 3]).unwrap();
    let (dst, _d, _) = target_with(b"keep");
    let done = transfer_from(
        dst.as_fd(),
        src.as_fd(),
        4,
        u64::MAX,
        Strategy::CopyFileRange,
    )
    .unwrap();
    assert_eq!(done.strategy, Strategy::ReadWrite);
    assert_eq!(done.bytes, expected.len() as u64 - 3);
    assert_eq!(offset(&src), expected.len() as u64);
    let got = contents(&dst);
    assert_eq!(&got[..4], b"keep");
    assert!(got[4..] == expected[3..], "bytes differ");
    let zero = File::open("/dev/zero").unwrap();
    let done = transfer_from(dst.as_fd(), zero.as_fd(), 0, 10, Strategy::CopyFileRange).unwrap();
    assert_eq!((done.bytes, done.strategy), (10, Strategy::ReadWrite));
    assert_eq!(&contents(&dst)[..10], &[0u8; 10]);
}

// ---------------------------------------------------------------------------------------------
// Positions

/// A position past the target's end extends it: the gap reads as zeros, the bytes before stay,
/// by every strategy from a file and from a stream.
#[test]
fn a_position_past_the_end_leaves_a_zero_gap() {
    let data = pattern(40_000, 33);
    let check = |dst: &File, what: &str| {
        let got = contents(dst);
        assert_eq!(got.len(), 5000 + data.len(), "{what}");
        assert!(got[..100].iter().all(|&b| b == 0xAA), "{what}");
        assert!(got[100..5000].iter().all(|&b| b == 0), "{what}: the gap");
        assert!(got[5000..] == data[..], "{what}: bytes differ");
        assert_eq!(offset(dst), 100, "{what}: the target's offset moved");
    };
    for strategy in FILE_STRATEGIES {
        let (src, _d1, _) = target_with(&data);
        let (dst, _d2, _) = target_with(&[0xAA; 100]);
        (&dst).seek(SeekFrom::End(0)).unwrap();
        let done = transfer_from(dst.as_fd(), src.as_fd(), 5000, u64::MAX, strategy).unwrap();
        assert_eq!(done.bytes, data.len() as u64);
        check(&dst, &format!("file {strategy}"));
    }
    for kind in STREAMS {
        for strategy in STREAM_STRATEGIES {
            let (rx, tx) = stream(kind);
            let sender = send_and_close(tx, data.clone());
            let (dst, _d2, _) = target_with(&[0xAA; 100]);
            (&dst).seek(SeekFrom::End(0)).unwrap();
            let done = transfer_from(dst.as_fd(), rx.as_fd(), 5000, u64::MAX, strategy).unwrap();
            sender.join().unwrap();
            assert_eq!(done.bytes, data.len() as u64);
            check(&dst, &format!("{kind:?} {strategy}"));
        }
    }
}

/// A 64-bit position: 1 TiB into an empty file, by every path. The file is that long, sparse,
/// and holds the bytes exactly there.
#[test]
fn a_position_of_one_tib_lands_there_in_a_sparse_file() {
    const AT: u64 = 1 << 40;
    let data = pattern(70_001, 44);
    let check = |dst: &File, what: &str| {
        let meta = dst.metadata().unwrap();
        assert_eq!(meta.len(), AT + data.len() as u64, "{what}");
        assert!(meta.blocks() * 512 < 4 << 20, "{what}: not sparse");
        let mut got = vec![0; data.len() + 16];
        dst.read_exact_at(&mut got[..16], AT - 16).unwrap();
        dst.read_exact_at(&mut got[16..], AT).unwrap();
        assert!(got[..16].iter().all(|&b| b == 0), "{what}");
        assert!(got[16..] == data[..], "{what}: bytes differ");
        assert_eq!(offset(dst), 0, "{what}: the target's offset moved");
    };
    for strategy in FILE_STRATEGIES {
        let (src, _d1, _) = target_with(&data);
        let (dst, _d2, _) = target();
        let done = transfer_from(dst.as_fd(), src.as_fd(), AT, u64::MAX, strategy).unwrap();
        assert_eq!(done.bytes, data.len() as u64, "{strategy}");
        check(&dst, &format!("file {strategy}"));
    }
    for kind in [Stream::Tcp, Stream::Pipe] {
        for strategy in STREAM_STRATEGIES {
            let (rx, tx) = stream(kind);
            let sender = send_and_close(tx, data.clone());
            let (dst, _d2, _) = target();
            let done = transfer_from(dst.as_fd(), rx.as_fd(), AT, u64::MAX, strategy).unwrap();
            sender.join().unwrap();
            assert_eq!(done.bytes, data.len() as u64, "{kind:?} {strategy}");
            check(&dst, &format!("{kind:?} {strategy}"));
        }
    }
}

/// The largest file ext4 stores with `file`'s block size (2^32 - 1 blocks), where `file` is on
/// ext4.
fn ext4_max_bytes(file: &File) -> Option<u64> {
    if fs_type(file) != EXT4 {
        return None;
    }
    let mut fs = std::mem::MaybeUninit::<libc::statfs>::uninit();
    // SAFETY: fstatfs fills the statfs it is given.
    assert_eq!(
        unsafe { libc::fstatfs(file.as_raw_fd(), fs.as_mut_ptr()) },
        0
    );
    // SAFETY: fstatfs succeeded.
    let block = unsafe { fs.assume_init() }.f_bsize as u64;
    Some(((1 << 32) - 1) * block)
}

/// Positions past the last byte the target's file system stores (ext4: 16 TiB less a block):
/// 2 bytes before it, the first 2 of 4 land there and the call returns 2 (an error after some
/// bytes is their count), a file source's offset advancing by 2; at it and beyond, `EFBIG` with
/// nothing written (SENDFILE, which must seek a second description of the target there, says
/// `EINVAL` past it). From a file and from a socket.
#[test]
fn positions_at_the_file_systems_limit_give_a_partial_count_then_efbig() {
    let (probe, _d, _) = target();
    let Some(limit) = ext4_max_bytes(&probe) else {
        eprintln!("the temp directory is not on ext4: skipped");
        return;
    };
    let data = pattern(4, 55);
    for strategy in FILE_STRATEGIES {
        let (src, _d1, _) = target_with(&data);
        let (dst, _d2, _) = target_with(b"head");
        let done = transfer_from(dst.as_fd(), src.as_fd(), limit - 2, 4, strategy).unwrap();
        assert_eq!(done.bytes, 2, "{strategy}");
        assert_eq!(offset(&src), 2, "{strategy}: the source offset");
        assert_eq!(dst.metadata().unwrap().len(), limit);
        let mut got = [0; 2];
        dst.read_exact_at(&mut got, limit - 2).unwrap();
        assert_eq!(got, data[..2], "{strategy}");
        for at in [limit, limit + 1, i64::MAX as u64 - 8] {
            let (dst, _d2, _) = target_with(b"head");
            let result = transfer_from(dst.as_fd(), src.as_fd(), at, 2, strategy);
            let want = if strategy == Strategy::Sendfile && at > limit {
                libc::EINVAL
            } else {
                libc::EFBIG
            };
            assert_eq!(errno(result), want, "{strategy} at {at:#x}");
            assert_eq!(contents(&dst), b"head");
            assert_eq!(
                offset(&src),
                2,
                "{strategy} at {at:#x}: the source offset moved"
            );
        }
    }
    for strategy in STREAM_STRATEGIES {
        let (rx, mut tx) = stream(Stream::Tcp);
        tx.write_all(&data).unwrap();
        wait_ready(rx.as_fd(), 4);
        let (dst, _d2, _) = target_with(b"head");
        let done = transfer_from(dst.as_fd(), rx.as_fd(), limit - 2, 4, strategy).unwrap();
        assert_eq!(done.bytes, 2, "{strategy}");
        let mut got = [0; 2];
        dst.read_exact_at(&mut got, limit - 2).unwrap();
        assert_eq!(got, data[..2], "{strategy}");
        tx.write_all(&data).unwrap();
        wait_ready(rx.as_fd(), 4);
        let result = transfer_from(dst.as_fd(), rx.as_fd(), limit, 4, strategy);
        assert_eq!(errno(result), libc::EFBIG, "{strategy}");
        assert_eq!(dst.metadata().unwrap().len(), limit);
    }
}

/// Positions whose bytes would pass `i64::MAX`, or that start past it: `EINVAL` (or `EFBIG`, where
/// copy_file_range checks the file system's limit first), nothing written, a file source's offset
/// unchanged, by every strategy.
#[test]
fn positions_past_i64_max_are_einval_and_write_nothing() {
    let data = pattern(4, 56);
    let max = i64::MAX as u64;
    for (at, count) in [
        (max - 1, 4),
        (max, 1),
        (max + 1, 1),
        (1 << 63, 4),
        (u64::MAX, 4),
    ] {
        for strategy in FILE_STRATEGIES {
            let (src, _d1, _) = target_with(&data);
            let (dst, _d2, _) = target_with(b"head");
            let result = transfer_from(dst.as_fd(), src.as_fd(), at, count, strategy);
            let what = format!("{strategy} at {at:#x}");
            let got = errno(result);
            if at > max {
                assert_eq!(got, libc::EINVAL, "{what}");
            } else {
                assert!(matches!(got, libc::EINVAL | libc::EFBIG), "{what}: {got}");
            }
            assert_eq!(contents(&dst), b"head", "{what}");
            assert_eq!(offset(&src), 0, "{what}: the source offset moved");
        }
        // AUTO from a socket: auto_from_a_socket_reports_a_write_the_target_refused (ignored).
        for strategy in [Strategy::Splice, Strategy::ReadWrite] {
            let (rx, mut tx) = stream(Stream::Tcp);
            tx.write_all(&data).unwrap();
            drop(tx);
            let (dst, _d2, _) = target_with(b"head");
            let result = transfer_from(dst.as_fd(), rx.as_fd(), at, count, strategy);
            let got = errno(result);
            assert!(
                matches!(got, libc::EINVAL | libc::EFBIG),
                "{strategy} at {at:#x}: {got}"
            );
            assert_eq!(contents(&dst), b"head");
        }
    }
}

/// AUTO from a socket into a target that refuses the bytes (`EINVAL`: the position plus the bytes
/// passes `i64::MAX`): the error, as SPLICE and READ_WRITE report it. The splice took the bytes
/// from the socket into the pipe, its write failed, the read/write rescue read them out of the
/// pipe and failed too; with the pipe empty and no byte written, AUTO took that for "splice
/// unsupported" and fell back to read/write, which found the stream at its end.
#[test]

fn auto_from_a_socket_reports_a_write_the_target_refused() {
    let data = pattern(4, 57);
    let (rx, mut tx) = stream(Stream::Tcp);
    tx.write_all(&data).unwrap();
    drop(tx);
    wait_ready(rx.as_fd(), 4);
    let (dst, _d2, _) = target_with(b"head");
    let result = transfer_from(
        dst.as_fd(),
        rx.as_fd(),
        i64::MAX as u64 - 1,
        4,
        Strategy::Auto,
    );
    assert_eq!(errno(result), libc::EINVAL);
}

/// A position no file can have (past `i64::MAX`) is refused before the stream is read: its bytes
/// stay in the socket, as the JDK throws for a negative position before it reads.
#[test]

fn a_position_past_i64_max_takes_nothing_from_a_stream() {
    for strategy in STREAM_STRATEGIES {
        let data = pattern(3000, 66);
        let (rx, mut tx) = stream(Stream::Tcp);
        tx.write_all(&data).unwrap();
        drop(tx);
        let (dst, _d, _) = target();
        let result = transfer_from(dst.as_fd(), rx.as_fd(), 1 << 63, 1000, strategy);
        assert_eq!(errno(result), libc::EINVAL, "{strategy}");
        assert!(rest_of(&rx) == data, "{strategy}: the stream lost bytes");
    }
}

// ---------------------------------------------------------------------------------------------
// O_APPEND targets

fn append_target(prefill: &[u8]) -> (File, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log");
    std::fs::write(&path, prefill).unwrap();
    let file = OpenOptions::new()
        .read(true)
        .append(true)
        .open(&path)
        .unwrap();
    (&file).seek(SeekFrom::Start(2)).unwrap();
    (file, dir)
}

/// AUTO and READ_WRITE append at the end whatever `position` says (by `pwrite(2)`, which on Linux
/// appends), from files and streams, and report READ_WRITE; the target's offset stays.
#[test]
fn an_append_target_gets_the_bytes_at_its_end_by_auto_and_read_write() {
    let data = pattern(300_000, 77);
    for strategy in [Strategy::Auto, Strategy::ReadWrite] {
        for position in [0, 3, 1 << 30] {
            let (src, _d1, _) = target_with(&data);
            (&src).seek(SeekFrom::Start(10)).unwrap();
            let (dst, _d2) = append_target(b"head:");
            let done = transfer_from(dst.as_fd(), src.as_fd(), position, 1000, strategy).unwrap();
            assert_eq!(done.bytes, 1000);
            assert_eq!(done.strategy, Strategy::ReadWrite, "{strategy}");
            assert_eq!(offset(&src), 1010);
            let done = transfer_from(dst.as_fd(), src.as_fd(), position, u64::MAX, strategy);
            assert_eq!(done.unwrap().bytes, data.len() as u64 - 1010);
            let got = contents(&dst);
            assert!(
                got[..5] == *b"head:" && got[5..] == data[10..],
                "{strategy} {position}"
            );
            assert_eq!(offset(&dst), 2, "{strategy}: the target's offset moved");
        }
        for kind in STREAMS {
            let (rx, tx) = stream(kind);
            let sender = send_and_close(tx, data.clone());
            let (dst, _d2) = append_target(b"head:");
            let done = transfer_from(dst.as_fd(), rx.as_fd(), 1, u64::MAX, strategy).unwrap();
            sender.join().unwrap();
            assert_eq!(done.bytes, data.len() as u64);
            assert_eq!(done.strategy, Strategy::ReadWrite, "{kind:?} {strategy}");
            let got = contents(&dst);
            assert!(
                got[..5] == *b"head:" && got[5..] == data[..],
                "{kind:?} {strategy}"
            );
            assert_eq!(offset(&dst), 2);
        }
    }
}

/// SPLICE, COPY_FILE_RANGE, SENDFILE and MMAP into an `O_APPEND` target: refused where bytes would
/// move, with nothing taken from the source; 0 where none would (count 0, a source at its end).
#[test]
fn an_append_target_refuses_the_other_strategies_only_where_bytes_would_move() {
    let data = pattern(5000, 88);
    for strategy in NOT_FOR_APPEND {
        let (src, _d1, _) = target_with(&data);
        (&src).seek(SeekFrom::Start(10)).unwrap();
        let (dst, _d2) = append_target(b"head:");
        assert_unsupported(
            transfer_from(dst.as_fd(), src.as_fd(), 0, 100, strategy),
            strategy,
        );
        assert_eq!(offset(&src), 10, "{strategy}: the source offset moved");
        let nothing = transfer_from(dst.as_fd(), src.as_fd(), 0, 0, strategy).unwrap();
        assert_eq!(nothing.bytes, 0);
        (&src).seek(SeekFrom::End(0)).unwrap();
        let nothing = transfer_from(dst.as_fd(), src.as_fd(), 0, 100, strategy).unwrap();
        assert_eq!(nothing.bytes, 0);
        assert_eq!(contents(&dst), b"head:");

        for kind in STREAMS {
            let (rx, mut tx) = stream(kind);
            tx.write_all(&data).unwrap();
            drop(tx);
            assert_unsupported(
                transfer_from(dst.as_fd(), rx.as_fd(), 0, 100, strategy),
                strategy,
            );
            let nothing = transfer_from(dst.as_fd(), rx.as_fd(), 0, 0, strategy).unwrap();
            assert_eq!(nothing.bytes, 0);
            assert!(
                rest_of(&rx) == data,
                "{kind:?} {strategy}: bytes left the stream"
            );
            assert_eq!(contents(&dst), b"head:");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The splice pipe this thread keeps

/// The next SPLICE transfer on this thread, after one that ended early: from its own socket, it
/// gets exactly its own bytes (no byte left in this thread's pipe by the one before).
fn next_splice_gets_its_own_bytes(seed: u64, after: &str) {
    let data = pattern(200_000 + seed as usize, seed);
    let (rx, tx) = stream(Stream::Tcp);
    let sender = send_and_close(tx, data.clone());
    let (dst, _d, _) = target();
    let done = transfer_from(dst.as_fd(), rx.as_fd(), 0, u64::MAX, Strategy::Splice).unwrap();
    sender.join().unwrap();
    assert_eq!(done.bytes, data.len() as u64, "after {after}");
    assert!(contents(&dst) == data, "after {after}: other bytes arrived");
}

/// This thread's splice pipe after a non-blocking socket gave part of what was asked: the next
/// transfer gets its own bytes, and the socket the bytes that follow.
#[test]
fn the_cached_pipe_is_empty_after_a_nonblocking_partial_transfer() {
    next_splice_gets_its_own_bytes(1, "nothing yet");
    let (rx, mut tx) = stream(Stream::Tcp);
    set_nonblocking(rx.as_fd());
    let first = pattern(60_000, 2);
    tx.write_all(&first).unwrap();
    wait_ready(rx.as_fd(), first.len());
    let (dst, _d, _) = target();
    let done = transfer_from(dst.as_fd(), rx.as_fd(), 0, 1 << 20, Strategy::Splice).unwrap();
    assert_eq!(done.bytes, first.len() as u64);
    assert_eq!(contents(&dst), first);
    next_splice_gets_its_own_bytes(3, "a non-blocking partial transfer");
    let more = pattern(10_000, 4);
    tx.write_all(&more).unwrap();
    wait_ready(rx.as_fd(), more.len());
    let done = transfer_from(dst.as_fd(), rx.as_fd(), 60_000, 1 << 20, Strategy::Splice);
    assert_eq!(done.unwrap().bytes, more.len() as u64);
    assert!(contents(&dst)[60_000..] == more[..]);
}

/// This thread's splice pipe after a transfer whose `count` ended it with bytes still waiting:
/// they stay in the socket, not in the pipe.
#[test]
fn the_cached_pipe_is_empty_after_count_is_reached_mid_stream() {
    let (rx, mut tx) = stream(Stream::Tcp);
    let data = pattern(500_000, 5);
    tx.write_all(&data[..60_000]).unwrap();
    wait_ready(rx.as_fd(), 60_000);
    let (dst, _d, _) = target();
    let done = transfer_from(dst.as_fd(), rx.as_fd(), 0, 23_457, Strategy::Splice).unwrap();
    assert_eq!(done.bytes, 23_457);
    assert_eq!(ready(rx.as_fd()), 60_000 - 23_457);
    next_splice_gets_its_own_bytes(6, "count reached mid-stream");
    tx.write_all(&data[60_000..]).unwrap();
    drop(tx);
    let done = transfer_from(dst.as_fd(), rx.as_fd(), 23_457, u64::MAX, Strategy::Splice);
    assert_eq!(done.unwrap().bytes, 500_000 - 23_457);
    assert!(contents(&dst) == data);
}

/// This thread's splice pipe after a checkpoint stopped a transfer (once CHECKPOINT_BYTES moved):
/// the next transfer gets its own bytes, and the stopped stream the rest, in order.
#[test]
fn the_cached_pipe_is_empty_after_a_checkpoint_stops_a_transfer() {
    let total = 3 * CHECKPOINT_BYTES as usize + 77;
    let data = pattern(total, 7);
    let (rx, tx) = stream(Stream::Tcp);
    let sender = send_and_close(tx, data.clone());
    let (dst, _d, _) = target();
    let mut asked = 0;
    let mut stop = || {
        asked += 1;
        false
    };
    let options = Options::default().checkpoint(&mut stop);
    let src = rx.as_fd();
    let done = transfer_from_with(dst.as_fd(), src, 0, u64::MAX, Strategy::Splice, options);
    let n = done.unwrap().bytes;
    assert_eq!(asked, 1);
    assert!(
        (CHECKPOINT_BYTES..CHECKPOINT_BYTES + SPLICE_PIPE as u64).contains(&n),
        "stopped after {n} bytes"
    );
    assert!(contents(&dst) == data[..n as usize]);
    next_splice_gets_its_own_bytes(8, "a checkpoint stop");
    let done = transfer_from(dst.as_fd(), rx.as_fd(), n, u64::MAX, Strategy::Splice);
    assert_eq!(done.unwrap().bytes, total as u64 - n);
    sender.join().unwrap();
    assert!(
        contents(&dst) == data,
        "the stopped stream lost or reordered bytes"
    );
}

/// This thread's splice pipe after the target refused bytes already taken into it (a position
/// past what the file system stores): the next transfer gets only its own bytes.
#[test]
fn the_cached_pipe_is_empty_after_the_target_refused_its_bytes() {
    let (rx, mut tx) = stream(Stream::Tcp);
    tx.write_all(&pattern(5000, 9)).unwrap();
    wait_ready(rx.as_fd(), 5000);
    let (dst, _d, _) = target();
    let far = i64::MAX as u64 - 100_000;
    let refused = transfer_from(dst.as_fd(), rx.as_fd(), far, 5000, Strategy::Splice);
    assert!(refused.is_err(), "{refused:?}");
    assert_eq!(contents(&dst).len(), 0);
    next_splice_gets_its_own_bytes(10, "a target that refused the bytes");
}

/// With a checkpoint that says go on, every byte arrives, and the checkpoint ran once per
/// CHECKPOINT_BYTES or so.
#[test]
fn a_checkpoint_that_goes_on_sees_every_byte_through() {
    for kind in STREAMS {
        for strategy in STREAM_STRATEGIES {
            let total = 3 * CHECKPOINT_BYTES as usize + 999;
            let data = pattern(total, 12);
            let (rx, tx) = stream(kind);
            let sender = send_and_close(tx, data.clone());
            let (dst, _d, _) = target();
            let mut asked = 0;
            let mut go_on = || {
                asked += 1;
                true
            };
            let options = Options::default().checkpoint(&mut go_on);
            let done = transfer_from_with(dst.as_fd(), rx.as_fd(), 0, u64::MAX, strategy, options)
                .unwrap();
            sender.join().unwrap();
            assert_eq!(done.bytes, total as u64, "{kind:?} {strategy}");
            // Once each CHECKPOINT_BYTES moved since the last time: the calls do not end on
            // those boundaries, so 2 or 3 times for 3 × CHECKPOINT_BYTES and a bit.
            assert!(
                (2..=3).contains(&asked),
                "{kind:?} {strategy}: ran {asked} times"
            );
            assert!(contents(&dst) == data, "{kind:?} {strategy}");
        }
    }
}

/// A read blocked on a silent stream, with `wake_blocked_calls`: woken to run the checkpoint,
/// which stops it: `Stopped` with nothing read, the count of what arrived otherwise; the stream
/// then gives the next transfer exactly the bytes that follow.
#[test]
fn a_blocked_read_is_woken_and_stopped_by_its_checkpoint() {
    for kind in STREAMS {
        for strategy in STREAM_STRATEGIES {
            within(20, "woken read", move || {
                let (rx, mut tx) = stream(kind);
                let (dst, _d, _) = target();
                let mut asked = 0;
                let mut stop = || {
                    asked += 1;
                    false
                };
                let options = Options::default()
                    .checkpoint(&mut stop)
                    .wake_blocked_calls();
                let result =
                    transfer_from_with(dst.as_fd(), rx.as_fd(), 0, 1000, strategy, options);
                assert!(
                    matches!(result, Err(Error::Stopped)),
                    "{kind:?} {strategy}: {result:?}"
                );
                assert_eq!(asked, 1);

                let first = pattern(300, 13);
                tx.write_all(&first).unwrap();
                wait_ready(rx.as_fd(), first.len());
                let mut stop = || false;
                let options = Options::default()
                    .checkpoint(&mut stop)
                    .wake_blocked_calls();
                let done = transfer_from_with(dst.as_fd(), rx.as_fd(), 0, 1000, strategy, options)
                    .unwrap();
                assert_eq!(done.bytes, 300, "{kind:?} {strategy}");
                assert_eq!(contents(&dst), first);

                let second = pattern(700, 14);
                tx.write_all(&second).unwrap();
                drop(tx);
                let done = transfer_from(dst.as_fd(), rx.as_fd(), 300, 1000, strategy).unwrap();
                assert_eq!(done.bytes, 700, "{kind:?} {strategy}");
                assert!(contents(&dst)[300..] == second[..], "{kind:?} {strategy}");
            });
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Descriptors no transfer can use

/// A socket or a pipe as the target: `ESPIPE`; a directory on either side: `EISDIR`. By every
/// strategy, before anything is read from the source.
#[test]
fn targets_that_are_not_files_and_directory_sources_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let directory = File::open(dir.path()).unwrap();
    let data = pattern(1000, 15);
    for strategy in Strategy::ALL {
        for target_kind in [Stream::Tcp, Stream::Unix, Stream::Pipe] {
            // The writing end of each stream is the target.
            let (_rx, tx) = stream(target_kind);
            let (src_rx, mut src_tx) = stream(Stream::Tcp);
            src_tx.write_all(&data).unwrap();
            drop(src_tx);
            let result = transfer_from(tx.as_fd(), src_rx.as_fd(), 0, 100, strategy);
            assert!(
                matches!(
                    result,
                    Err(Error::BadDescriptor {
                        side: zerocopy_nio::Side::Target,
                        what: Unusable::NotSeekable
                    })
                ),
                "{target_kind:?} {strategy}: {result:?}"
            );
            assert_eq!(errno(result), libc::ESPIPE);
            assert!(
                rest_of(&src_rx) == data,
                "{strategy}: bytes left the source"
            );
        }
        let (src, _d, _) = target_with(&data);
        let result = transfer_from(directory.as_fd(), src.as_fd(), 0, 100, strategy);
        assert_eq!(errno(result), libc::EISDIR, "{strategy}");
        assert_eq!(offset(&src), 0);
        let (dst, _d, _) = target();
        let result = transfer_from(dst.as_fd(), directory.as_fd(), 0, 100, strategy);
        assert!(
            matches!(
                result,
                Err(Error::BadDescriptor {
                    side: zerocopy_nio::Side::Source,
                    what: Unusable::Directory
                })
            ),
            "{strategy}: {result:?}"
        );
        assert_eq!(contents(&dst).len(), 0);
    }
}

/// A target opened read-only: `EBADF`, not a byte written, the source's offset unchanged, by
/// every strategy from a file that reads through the caller's descriptor (SENDFILE: below).
#[test]
fn a_target_opened_read_only_is_ebadf_from_a_file() {
    let data = pattern(10_000, 16);
    for strategy in [
        Strategy::Auto,
        Strategy::CopyFileRange,
        Strategy::Mmap,
        Strategy::ReadWrite,
    ] {
        let (src, _d1, _) = target_with(&data);
        let (_, _d2, path) = target_with(b"read only");
        let dst = File::open(&path).unwrap();
        let result = transfer_from(dst.as_fd(), src.as_fd(), 0, 100, strategy);
        let got = std::fs::read(&path).unwrap();
        assert_eq!(
            got, b"read only",
            "{strategy}: a read-only target was written"
        );
        assert_eq!(errno(result), libc::EBADF, "{strategy}");
        assert_eq!(offset(&src), 0);
    }
}

/// SENDFILE into a target opened read-only: `EBADF` as for the other strategies. It writes through
/// a second open of the target (`/proc/self/fd/N`, `O_WRONLY`), which the file's permissions allow
/// whatever the caller's descriptor may do.
#[test]

fn sendfile_into_a_target_opened_read_only_is_ebadf() {
    let data = pattern(10_000, 16);
    let (src, _d1, _) = target_with(&data);
    let (_, _d2, path) = target_with(b"read only");
    let dst = File::open(&path).unwrap();
    let result = transfer_from(dst.as_fd(), src.as_fd(), 0, 100, Strategy::Sendfile);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        b"read only",
        "a read-only target was written: {result:?}"
    );
    assert_eq!(errno(result), libc::EBADF);
    assert_eq!(offset(&src), 0);
}

/// A target opened read-only with a stream source: `EBADF`, and the bytes stay in the stream (the
/// JDK throws `NonWritableChannelException` before it reads).
#[test]

fn a_target_opened_read_only_takes_nothing_from_a_stream() {
    let data = pattern(10_000, 17);
    for kind in STREAMS {
        for strategy in STREAM_STRATEGIES {
            let (_, _d, path) = target_with(b"read only");
            let dst = File::open(&path).unwrap();
            let (rx, mut tx) = stream(kind);
            tx.write_all(&data).unwrap();
            drop(tx);
            let result = transfer_from(dst.as_fd(), rx.as_fd(), 0, 100, strategy);
            assert_eq!(errno(result), libc::EBADF, "{kind:?} {strategy}");
            assert_eq!(std::fs::read(&path).unwrap(), b"read only");
            assert!(
                rest_of(&rx) == data,
                "{kind:?} {strategy}: the stream lost bytes"
            );
        }
    }
}

/// A file source opened write-only: `EBADF` by every strategy that reads it (MMAP: below), its
/// offset unchanged, nothing written.
#[test]
fn a_source_not_open_for_reading_is_ebadf() {
    let data = pattern(10_000, 18);
    for strategy in [
        Strategy::Auto,
        Strategy::CopyFileRange,
        Strategy::Sendfile,
        Strategy::ReadWrite,
    ] {
        let (_, _d1, path) = target_with(&data);
        let src = OpenOptions::new().write(true).open(&path).unwrap();
        let (dst, _d2, _) = target();
        let result = transfer_from(dst.as_fd(), src.as_fd(), 0, 100, strategy);
        assert_eq!(errno(result), libc::EBADF, "{strategy}");
        assert_eq!(offset(&src), 0);
        assert_eq!(contents(&dst).len(), 0);
    }
}

/// MMAP from a source opened write-only: `EBADF` as documented ("a source not open for reading"),
/// not the `EACCES` that mmap(2) says.
#[test]

fn mmap_from_a_source_not_open_for_reading_is_ebadf() {
    let (_, _d1, path) = target_with(&pattern(10_000, 18));
    let src = OpenOptions::new().write(true).open(&path).unwrap();
    let (dst, _d2, _) = target();
    let result = transfer_from(dst.as_fd(), src.as_fd(), 0, 100, Strategy::Mmap);
    assert_eq!(errno(result), libc::EBADF);
    assert_eq!(contents(&dst).len(), 0);
}

/// SENDFILE writes through a second open of the target (`/proc/self/fd/N`): that works for a
/// target whose name was removed, and leaves the caller's offset alone.
#[test]
fn sendfile_reaches_a_target_whose_name_was_removed() {
    let data = pattern(100_000, 19);
    let (src, _d1, _) = target_with(&data);
    let (dst, _d2, path) = target_with(b"12345");
    std::fs::remove_file(&path).unwrap();
    (&dst).seek(SeekFrom::Start(1)).unwrap();
    let done = transfer_from(dst.as_fd(), src.as_fd(), 3, u64::MAX, Strategy::Sendfile).unwrap();
    assert_eq!(done.bytes, data.len() as u64);
    let got = contents(&dst);
    assert!(got[..3] == *b"123" && got[3..] == data[..]);
    assert_eq!(offset(&dst), 1);
}

/// The C face with a source number that was closed: `EBADF`, as documented, also when that
/// number is the lowest free one. The private duplicate of the target is made first, takes the
/// lowest free number, and the "closed" source then names that duplicate: the target is read into
/// itself. (Run alone: another test opening a file meanwhile could take the number.)
#[test]

fn c_face_a_closed_source_is_ebadf_even_as_the_lowest_free_number() {
    let (dst, _d, _) = target_with(b"0123456789");
    (&dst).seek(SeekFrom::Start(3)).unwrap();
    // SAFETY: F_DUPFD makes a new descriptor, closed at once: its number is free again.
    let closed = unsafe {
        let fd = libc::fcntl(dst.as_raw_fd(), libc::F_DUPFD, 0);
        assert!(fd >= 0);
        libc::close(fd);
        fd
    };
    let mut n = 777;
    // SAFETY: a valid out-pointer; the descriptors are plain numbers to the C face.
    let rc = unsafe {
        zerocopy_nio::capi::zc_transfer_from(
            dst.as_raw_fd(),
            closed,
            20,
            5,
            Strategy::Auto.code(),
            &mut n,
        )
    };
    assert_eq!(contents(&dst), b"0123456789", "rc {rc}, n {n}");
    assert_eq!((rc, n), (libc::EBADF, 777));
}
