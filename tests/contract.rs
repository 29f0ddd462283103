//! The transferTo contract (docs/design.md, "The contract"), run over every strategy and every target kind.

mod common;

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::FileExt;
use std::sync::mpsc;
use std::time::Duration;

use common::*;
use zerocopy_nio::{transfer_to, Error, Strategy};

const SIZES: [usize; 7] = [0, 1, 4095, 4096, 4097, (1 << 20) + 13, 64 << 20];

/// (position, count) pairs for a source of `size` bytes.
fn cases(size: usize) -> Vec<(u64, u64)> {
    let s = size as u64;
    let mut v = vec![(0, s), (s, 10), (s + 1, 10), (s + 4096, u64::MAX)];
    if size >= 64 << 20 {
        v.push((4093, s - 4093 - 5000)); // unaligned start, ends before EOF
        return v;
    }
    v.extend([
        (0, s + 1000),
        (0, u64::MAX),
        (u64::MAX, 1),
        (i64::MAX as u64 + 1, 5),
    ]);
    if size > 2 {
        v.extend([(1, s - 2), (3, u64::MAX), (s - 1, 1)]);
    }
    if size > 4096 {
        v.extend([(4093, 7), (4095, s - 4095), (4097, 1 << 30)]);
    }
    v
}

/// The strategy a report must name.
fn expected_strategy(requested: Strategy, kind: Kind, size: usize) -> Strategy {
    match requested {
        Strategy::Auto if kind == Kind::AppendFile || size == 0 => Strategy::ReadWrite,
        Strategy::Auto => Strategy::Sendfile,
        s => s,
    }
}

fn contract(strategy: Strategy, kind: Kind) {
    for size in SIZES {
        let mut src = Source::new(size);
        for (position, count) in cases(size) {
            let what =
                format!("{strategy} to {kind:?}, size {size}, position {position}, count {count}");
            let target = Target::new(kind);
            let expected = if position >= size as u64 {
                0
            } else {
                count.min(size as u64 - position)
            };
            // Refused only where bytes would move: transferTo returns 0 for the rest.
            if strategy == Strategy::Sendfile && kind == Kind::AppendFile && expected > 0 {
                let err =
                    transfer_to(src.fd(), position, count, target.fd(), strategy).unwrap_err();
                assert!(matches!(err, Error::Unsupported { .. }), "{what}: {err}");
                assert_eq!(err.errno(), libc::EINVAL);
                assert!(
                    target.finish(0).is_empty(),
                    "{what}: wrote despite the error"
                );
                continue;
            }
            let (n, reports) = transfer_all(
                src.fd(),
                position,
                count,
                target.fd(),
                strategy,
                expected,
                kind == Kind::TcpNonBlocking,
            );
            assert_eq!(n, expected, "{what}");
            let want = expected_strategy(strategy, kind, size);
            assert!(
                reports.iter().all(|r| r.strategy == want),
                "{what}: {reports:?}"
            );
            assert!(
                reports.iter().all(|r| r.syscalls >= 2),
                "{what}: {reports:?}"
            );
            let keeps = target.keeps_bytes();
            let got = target.finish(n);
            if keeps {
                let start = position.min(size as u64) as usize;
                assert!(
                    got == src.data[start..start + n as usize],
                    "{what}: the target received other bytes ({} received)",
                    got.len()
                );
            }
            src.assert_offset_unchanged();
        }
    }
}

macro_rules! contract_tests {
    ($($name:ident: $strategy:ident, $kind:ident;)*) => {
        $(#[test] fn $name() { contract(Strategy::$strategy, Kind::$kind); })*
    };
}

contract_tests! {
    auto_tcp: Auto, TcpBlocking;
    auto_tcp_nonblocking: Auto, TcpNonBlocking;
    auto_unix_socket: Auto, UnixSocket;
    auto_pipe: Auto, Pipe;
    auto_file: Auto, File;
    auto_append_file: Auto, AppendFile;
    auto_dev_null: Auto, DevNull;
    sendfile_tcp: Sendfile, TcpBlocking;
    sendfile_tcp_nonblocking: Sendfile, TcpNonBlocking;
    sendfile_unix_socket: Sendfile, UnixSocket;
    sendfile_pipe: Sendfile, Pipe;
    sendfile_file: Sendfile, File;
    sendfile_append_file: Sendfile, AppendFile;
    sendfile_dev_null: Sendfile, DevNull;
    mmap_tcp: Mmap, TcpBlocking;
    mmap_tcp_nonblocking: Mmap, TcpNonBlocking;
    mmap_unix_socket: Mmap, UnixSocket;
    mmap_pipe: Mmap, Pipe;
    mmap_file: Mmap, File;
    mmap_append_file: Mmap, AppendFile;
    mmap_dev_null: Mmap, DevNull;
    read_write_tcp: ReadWrite, TcpBlocking;
    read_write_tcp_nonblocking: ReadWrite, TcpNonBlocking;
    read_write_unix_socket: ReadWrite, UnixSocket;
    read_write_pipe: ReadWrite, Pipe;
    read_write_file: ReadWrite, File;
    read_write_append_file: ReadWrite, AppendFile;
    read_write_dev_null: ReadWrite, DevNull;
}

/// A non-blocking socket whose peer does not read: a partial count, then 0, then (once the peer
/// reads) resuming at `position + n` delivers every byte exactly once.
#[test]
fn nonblocking_congested_then_resumed() {
    for strategy in common::EVERY_TARGET {
        let src = Source::new(32 << 20);
        let (client, mut server) = tcp_pair();
        client.set_nonblocking(true).unwrap();
        let size = src.data.len() as u64;
        let first = transfer_to(src.fd(), 0, size, client.as_fd(), strategy).unwrap();
        assert!(
            first.bytes > 0 && first.bytes < size,
            "{strategy}: {first:?}"
        );
        // ACKs arriving meanwhile may free a little room for a few more bytes, then 0.
        let mut sent = first.bytes;
        let mut last = u64::MAX;
        for _ in 0..50 {
            last = transfer_to(src.fd(), sent, size - sent, client.as_fd(), strategy)
                .unwrap()
                .bytes;
            sent += last;
            if last == 0 {
                break;
            }
        }
        assert_eq!(last, 0, "{strategy}: a full socket keeps taking bytes");
        assert!(sent < size, "{strategy}");
        let reader = std::thread::spawn(move || {
            let mut got = Vec::new();
            server.read_to_end(&mut got).unwrap();
            got
        });
        let (rest, _) = transfer_all(
            src.fd(),
            sent,
            size - sent,
            client.as_fd(),
            strategy,
            size - sent,
            true,
        );
        assert_eq!(sent + rest, size);
        drop(client);
        assert!(
            reader.join().unwrap() == src.data,
            "{strategy}: bytes lost or repeated"
        );
    }
}

/// A peer that closed its end gives EPIPE or ECONNRESET (never a signal: the test process would
/// die), and an error after bytes moved shows as a partial count first.
#[test]
fn closed_peer_gives_epipe_or_econnreset() {
    let src = Source::new(1 << 20);
    for strategy in common::EVERY_TARGET {
        for kind in [Kind::TcpBlocking, Kind::UnixSocket, Kind::Pipe] {
            let (writer, reader): (std::os::fd::OwnedFd, std::os::fd::OwnedFd) = match kind {
                Kind::TcpBlocking => {
                    let (c, s) = tcp_pair();
                    (c.into(), s.into())
                }
                Kind::UnixSocket => {
                    let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
                    (a.into(), b.into())
                }
                _ => {
                    let (r, w) = std::io::pipe().unwrap();
                    (w.into(), r.into())
                }
            };
            drop(reader);
            let mut errno = None;
            for _ in 0..100 {
                match transfer_to(src.fd(), 0, 1 << 20, writer.as_fd(), strategy) {
                    Ok(r) => assert!(r.bytes <= 1 << 20),
                    Err(e) => {
                        errno = Some(e.errno());
                        break;
                    }
                }
            }
            assert!(
                matches!(errno, Some(libc::EPIPE | libc::ECONNRESET)),
                "{strategy} to a closed {kind:?}: {errno:?}"
            );
        }
    }
}

const GIB: u64 = 1 << 30;

/// A sparse 6 GiB source with marker bytes around 2^31, 2^32 and its end.
fn sparse_source() -> (tempfile::TempDir, File, Vec<(u64, Vec<u8>)>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sparse");
    let f = File::create(&path).unwrap();
    f.set_len(6 * GIB).unwrap();
    let marks: Vec<(u64, Vec<u8>)> = [(1u64 << 31) - 100, (1u64 << 32) - 100, 6 * GIB - 200]
        .iter()
        .map(|&at| (at, pattern(200, at)))
        .collect();
    for (at, bytes) in &marks {
        f.write_all_at(bytes, *at).unwrap();
    }
    (dir, File::open(&path).unwrap(), marks)
}

#[test]
fn sparse_source_past_4_gib() {
    let (_dir, src, marks) = sparse_source();
    for strategy in common::EVERY_TARGET {
        for (at, bytes) in &marks {
            let target = Target::new(Kind::File);
            let n = transfer_to(src.as_fd(), *at, 200, target.fd(), strategy)
                .unwrap()
                .bytes;
            assert_eq!(n, 200);
            assert!(&target.finish(n) == bytes, "{strategy} at {at}");
        }
        // Past the end by one: nothing. Count past the end: clamped.
        let target = Target::new(Kind::File);
        assert_eq!(
            transfer_to(src.as_fd(), 6 * GIB + 1, 9, target.fd(), strategy)
                .unwrap()
                .bytes,
            0
        );
        let n = transfer_to(src.as_fd(), 6 * GIB - 50, 1 << 40, target.fd(), strategy)
            .unwrap()
            .bytes;
        assert_eq!(n, 50, "{strategy}");
        assert!(target.finish(n) == marks[2].1[150..], "{strategy}");
    }
}

/// One call moves more than 2 GiB (the kernel moves at most 0x7ffff000 per call).
#[test]
fn more_than_2_gib_in_one_call_to_dev_null() {
    let (_dir, src, _) = sparse_source();
    let devnull = OpenOptions::new().write(true).open("/dev/null").unwrap();
    let count = 2 * GIB + 4096 * 3 + 1;
    for strategy in common::EVERY_TARGET {
        let r = transfer_to(src.as_fd(), GIB + 7, count, devnull.as_fd(), strategy).unwrap();
        assert_eq!(r.bytes, count, "{strategy}");
        // At least two calls that move bytes, and the target's fstat.
        assert!(r.syscalls >= 3, "{strategy}: {r:?}");
    }
}

/// The source is truncated while a transfer sends it to a slow reader: a short count (the bytes
/// sent are the file's true bytes), no crash, no SIGBUS, no spin.
#[test]
fn source_truncated_mid_transfer() {
    for strategy in common::EVERY_TARGET {
        let src = Source::new(64 << 20);
        let (client, mut server) = tcp_pair();
        let (truncated_tx, truncated_rx) = mpsc::channel();
        let path = src.path.clone();
        let reader = std::thread::spawn(move || {
            let mut got = vec![0u8; 4 << 20];
            server.read_exact(&mut got).unwrap();
            OpenOptions::new()
                .write(true)
                .open(&path)
                .unwrap()
                .set_len(2 << 20)
                .unwrap();
            truncated_tx.send(()).unwrap();
            std::thread::sleep(Duration::from_millis(20));
            server.read_to_end(&mut got).unwrap();
            got
        });
        let result = transfer_to(src.fd(), 0, 64 << 20, client.as_fd(), strategy);
        truncated_rx.recv().unwrap();
        drop(client);
        let got = reader.join().unwrap();
        let n = result
            .unwrap_or_else(|e| panic!("{strategy}: bytes moved, yet an error: {e}"))
            .bytes;
        assert!((4 << 20..64 << 20).contains(&n), "{strategy}: {n}");
        assert_eq!(
            got.len() as u64,
            n,
            "{strategy}: count differs from bytes received"
        );
        assert!(
            got == src.data[..n as usize],
            "{strategy}: the peer got bytes the file never held"
        );
        // The next call reports the truncation, or sees the new end of file.
        let target = Target::new(Kind::DevNull);
        match transfer_to(src.fd(), n, 64 << 20, target.fd(), strategy) {
            Ok(r) => assert_eq!(r.bytes, 0, "{strategy}"),
            Err(e) => assert!(matches!(e, Error::SourceEnded { .. }), "{strategy}: {e}"),
        }
    }
}

/// A source that reports size 0 but has content (/proc) is copied to its end, as JDK 21+ do;
/// MMAP cannot map it and says so.
#[test]
fn proc_file_copied_to_its_end() {
    let mut expected = Vec::new();
    File::open("/proc/version")
        .unwrap()
        .read_to_end(&mut expected)
        .unwrap();
    assert!(!expected.is_empty());
    let src = File::open("/proc/version").unwrap();
    for strategy in common::EVERY_TARGET {
        let target = Target::new(Kind::File);
        match transfer_to(src.as_fd(), 0, 1 << 20, target.fd(), strategy) {
            Ok(r) => {
                assert_ne!(strategy, Strategy::Mmap);
                assert!(target.finish(r.bytes) == expected, "{strategy}");
            }
            Err(e) => {
                assert_eq!(strategy, Strategy::Mmap, "{e}");
                assert!(matches!(e, Error::Unsupported { .. }));
                assert!(target.finish(0).is_empty());
            }
        }
        // The count still bounds it.
        let target = Target::new(Kind::File);
        let n = transfer_to(src.as_fd(), 2, 5, target.fd(), Strategy::ReadWrite)
            .unwrap()
            .bytes;
        assert_eq!(target.finish(n), expected[2..7]);
    }
}

/// The same file as source and (another descriptor as) target: the source region is read as it
/// was, the target region written at the target's offset.
#[test]
fn same_file_as_source_and_target() {
    for strategy in [
        Strategy::Auto,
        Strategy::Sendfile,
        Strategy::Mmap,
        Strategy::ReadWrite,
    ] {
        let data = pattern(10_000, 9);
        let (_dir, src) = temp_file_with(&data);
        let mut dst = OpenOptions::new()
            .write(true)
            .open(_dir.path().join("f"))
            .unwrap();
        std::io::Seek::seek(&mut dst, std::io::SeekFrom::Start(10_000)).unwrap();
        let n = transfer_to(src.as_fd(), 100, 5_000, dst.as_fd(), strategy)
            .unwrap()
            .bytes;
        assert_eq!(n, 5_000);
        dst.flush().unwrap();
        let all = std::fs::read(_dir.path().join("f")).unwrap();
        assert_eq!(&all[..10_000], &data[..]);
        assert_eq!(&all[10_000..], &data[100..5_100], "{strategy}");
    }
}

/// A checkpoint runs every CHECKPOINT_BYTES and can stop the transfer; the bytes moved until
/// then are returned (or Error::Stopped when none moved).
#[test]
fn checkpoint_stops_a_long_transfer() {
    use zerocopy_nio::{transfer_to_with, Options, CHECKPOINT_BYTES, MMAP_WINDOW};
    let src = Source::new(64 << 20);
    for strategy in common::EVERY_TARGET {
        let target = Target::new(Kind::Pipe);
        let mut calls = 0;
        let mut stop_at_first = || {
            calls += 1;
            false
        };
        let options = Options::default().checkpoint(&mut stop_at_first);
        let r = transfer_to_with(src.fd(), 5, 64 << 20, target.fd(), strategy, options).unwrap();
        assert_eq!(calls, 1, "{strategy}");
        assert!(
            r.bytes >= CHECKPOINT_BYTES && r.bytes <= MMAP_WINDOW as u64,
            "{strategy}: {}",
            r.bytes
        );
        assert!(
            target.finish(r.bytes) == src.data[5..5 + r.bytes as usize],
            "{strategy}"
        );

        // Always going on: every byte, and the checkpoint ran about once per CHECKPOINT_BYTES.
        let target = Target::new(Kind::DevNull);
        let mut calls = 0u64;
        let mut go_on = || {
            calls += 1;
            true
        };
        let options = Options::default().checkpoint(&mut go_on);
        let r = transfer_to_with(src.fd(), 0, 64 << 20, target.fd(), strategy, options).unwrap();
        assert_eq!(r.bytes, 64 << 20);
        assert!((7..=15).contains(&calls), "{strategy}: {calls} checkpoints");

        // A small transfer never calls it.
        let mut never = || -> bool { panic!("checkpoint called for a small transfer") };
        let options = Options::default().checkpoint(&mut never);
        let r = transfer_to_with(src.fd(), 0, 4096, target.fd(), strategy, options).unwrap();
        assert_eq!(r.bytes, 4096);
    }
}

/// A transfer blocked on a peer that stopped reading: with `wake_blocked_calls`, the checkpoint
/// still runs (every WAKE_INTERVAL) and can stop it; the bytes moved until then are returned.
#[test]
fn wake_blocked_calls_lets_the_checkpoint_stop_a_blocked_transfer() {
    use std::os::fd::OwnedFd;
    use std::time::Instant;
    use zerocopy_nio::{transfer_to_with, Options, WAKE_INTERVAL};
    for strategy in common::EVERY_TARGET {
        for socket in [true, false] {
            let what = format!("{strategy} to a {}", if socket { "socket" } else { "pipe" });
            let (tx, rx) = mpsc::channel();
            std::thread::spawn(move || {
                let src = Source::new(16 << 20);
                // Nobody reads until the transfer has returned.
                let (writer, mut reader): (OwnedFd, Box<dyn Read + Send>) = if socket {
                    let (client, server) = tcp_pair();
                    (client.into(), Box::new(server))
                } else {
                    let (r, w) = std::io::pipe().unwrap();
                    (w.into(), Box::new(r))
                };
                let started = Instant::now();
                let mut calls = 0;
                let mut for_half_a_second = || {
                    calls += 1;
                    started.elapsed() < Duration::from_millis(500)
                };
                let options = Options::default()
                    .checkpoint(&mut for_half_a_second)
                    .wake_blocked_calls();
                let r = transfer_to_with(src.fd(), 0, 16 << 20, writer.as_fd(), strategy, options);
                let elapsed = started.elapsed();
                drop(writer);
                let mut got = Vec::new();
                reader.read_to_end(&mut got).unwrap();
                let bytes = r.map(|r| r.bytes).map_err(|e| e.to_string());
                let ok = got == src.data[..got.len()];
                tx.send((bytes, got.len() as u64, calls, elapsed, ok))
                    .unwrap();
            });
            let (bytes, received, calls, elapsed, ok) = rx
                .recv_timeout(Duration::from_secs(20))
                .unwrap_or_else(|_| panic!("{what}: still blocked after 20 s"));
            let bytes = bytes.unwrap();
            assert!(bytes > 0 && bytes < 16 << 20, "{what}: {bytes}");
            assert_eq!(bytes, received, "{what}");
            assert!(ok, "{what}: the peer got other bytes");
            // Woken about every WAKE_INTERVAL while blocked: several checkpoints in 500 ms.
            assert!(calls >= 3, "{what}: {calls} checkpoints in {elapsed:?}");
            assert!(
                elapsed >= Duration::from_millis(500) - WAKE_INTERVAL,
                "{what}"
            );
        }
    }
}

#[test]
fn check_access_names_the_side() {
    use zerocopy_nio::{check_access, Side};
    let src = Source::new(10);
    let write_only = OpenOptions::new().write(true).open(&src.path).unwrap();
    let read_only = File::open(&src.path).unwrap();
    let target = Target::new(Kind::File);
    assert!(check_access(src.fd(), target.fd()).is_ok());
    let e = check_access(write_only.as_fd(), target.fd()).unwrap_err();
    assert!(matches!(e, Error::AccessMode { side: Side::Source }), "{e}");
    assert_eq!(e.to_string(), "the source is not open for reading");
    let e = check_access(src.fd(), read_only.as_fd()).unwrap_err();
    assert!(matches!(e, Error::AccessMode { side: Side::Target }), "{e}");
    assert_eq!(e.errno(), libc::EBADF);
}

/// sendfile to a pipe goes in calls of at most PIPE_CHUNK bytes (the reader stays busy while the
/// next call is made): every byte arrives, in as many calls as the chunks need.
#[test]
fn sendfile_to_a_pipe_goes_in_chunks() {
    let size = 1 << 20;
    let src = common::Source::new(size);
    for strategy in [Strategy::Auto, Strategy::Sendfile] {
        let target = common::Target::new(common::Kind::Pipe);
        let done = transfer_to(src.fd(), 0, size as u64, target.fd(), strategy).unwrap();
        assert_eq!(
            (done.bytes, done.strategy),
            (size as u64, Strategy::Sendfile)
        );
        assert!(
            done.syscalls >= (size / zerocopy_nio::PIPE_CHUNK) as u64,
            "{strategy}: {} calls",
            done.syscalls
        );
        assert_eq!(target.finish(done.bytes), src.data);
    }
}

/// COPY_FILE_RANGE copies file to file: the bytes at the target's offset (which advances), the
/// source's offset untouched, the count clamped; it is refused (EINVAL) for a target that is not a
/// file or is O_APPEND, but only where bytes would move.
#[test]
fn copy_file_range_copies_to_files_only() {
    let mut src = Source::new((1 << 20) + 13);
    for (position, count) in [
        (0u64, u64::MAX),
        (4093, 100_000),
        (src.data.len() as u64 - 5, 10),
    ] {
        let target = Target::new(Kind::File);
        let done = transfer_to(
            src.fd(),
            position,
            count,
            target.fd(),
            Strategy::CopyFileRange,
        )
        .unwrap();
        let want = count.min(src.data.len() as u64 - position);
        assert_eq!(done.bytes, want);
        // The kernel may refuse copy_file_range for these files: the next rung then ran.
        assert!(
            matches!(done.strategy, Strategy::CopyFileRange | Strategy::Sendfile),
            "{done:?}"
        );
        let got = target.finish(done.bytes);
        assert_eq!(
            got,
            &src.data[position as usize..(position + want) as usize]
        );
        src.assert_offset_unchanged();
    }
    for kind in [
        Kind::TcpBlocking,
        Kind::Pipe,
        Kind::DevNull,
        Kind::AppendFile,
    ] {
        let target = Target::new(kind);
        let err = transfer_to(src.fd(), 0, 100, target.fd(), Strategy::CopyFileRange).unwrap_err();
        assert!(
            matches!(err, Error::Unsupported { .. }),
            "{kind:?}: {err:?}"
        );
        assert_eq!(err.errno(), libc::EINVAL);
        let nothing = transfer_to(src.fd(), 0, 0, target.fd(), Strategy::CopyFileRange).unwrap();
        assert_eq!(nothing.bytes, 0, "{kind:?}: a count of 0 is no refusal");
        target.finish(0);
    }
}
