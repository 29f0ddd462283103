//! 100,000 small transfers per strategy, through each entry point, leave the process as they found
//! it: the same open descriptors, no mapping of the source left, and resident memory back near its
//! start. The entry points: the core, the C face (which duplicates and closes both descriptors on
//! every call), and the core with a checkpoint and `wake_blocked_calls` (which registers with the
//! watchdog, as the Java face does). The same for `transfer_from`, from files, pipes and sockets
//! by every strategy that reads them, SPLICE's per-thread pipe included. The tests of this binary
//! take turns ([`ALONE`]), so nothing else opens files while one counts.

use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::sync::{Mutex, PoisonError};

use zerocopy_nio::capi::{zc_transfer_from, zc_transfer_to};
use zerocopy_nio::{
    transfer_from, transfer_from_with, transfer_to, transfer_to_with, Options, Strategy,
};

/// Held by each test of this binary while it runs: the counts are of the whole process.
static ALONE: Mutex<()> = Mutex::new(());

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn mappings_of(path: &std::path::Path) -> usize {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    maps.lines()
        .filter(|l| l.ends_with(path.to_str().unwrap()))
        .count()
}

/// Runs `run(1000)` (which warms up the allocator and caches, and SPLICE's pipe, made on a thread's
/// first call), then `run(n)`, and asserts that no descriptor stayed open, no window of `path`
/// stayed mapped and resident memory grew by less than 4 MiB.
fn assert_nothing_grows(what: &str, path: &std::path::Path, n: usize, mut run: impl FnMut(usize)) {
    run(1000);
    let (fds, rss) = (open_fds(), rss_kib());
    run(n);
    assert_eq!(open_fds(), fds, "{what}: descriptors leaked");
    assert_eq!(mappings_of(path), 0, "{what}: a window stayed mapped");
    let grown = rss_kib().saturating_sub(rss);
    assert!(grown < 4096, "{what}: resident memory grew by {grown} KiB");
}

#[test]
fn no_descriptor_mapping_or_memory_leaks_over_100k_transfers() {
    let _alone = ALONE.lock().unwrap_or_else(PoisonError::into_inner);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("small");
    std::fs::write(&path, vec![7u8; 4096 + 17]).unwrap();
    let src = File::open(&path).unwrap();
    let devnull = OpenOptions::new().write(true).open("/dev/null").unwrap();
    let (reader, writer) = std::io::pipe().unwrap();
    for face in ["core", "C face", "core with wake-ups"] {
        // COPY_FILE_RANGE takes file targets only, and SPLICE is for transfer_from
        // (tests/contract.rs, tests/transfer_from.rs).
        for strategy in Strategy::ALL
            .into_iter()
            .filter(|s| !matches!(s, Strategy::CopyFileRange | Strategy::Splice))
        {
            let run = |n: usize| {
                for i in 0..n {
                    let position = (i % 17) as u64;
                    let bytes = match face {
                        "core" => {
                            transfer_to(src.as_fd(), position, 4096, devnull.as_fd(), strategy)
                                .unwrap()
                                .bytes
                        }
                        "C face" => {
                            let mut n = 0;
                            // SAFETY: valid descriptors and a valid out-pointer.
                            let rc = unsafe {
                                zc_transfer_to(
                                    src.as_raw_fd(),
                                    position,
                                    4096,
                                    devnull.as_raw_fd(),
                                    strategy.code(),
                                    &mut n,
                                )
                            };
                            assert_eq!(rc, 0);
                            n
                        }
                        _ => {
                            let mut go_on = || true;
                            let options = Options::default()
                                .checkpoint(&mut go_on)
                                .wake_blocked_calls();
                            let dst = devnull.as_fd();
                            transfer_to_with(src.as_fd(), position, 4096, dst, strategy, options)
                                .unwrap()
                                .bytes
                        }
                    };
                    assert_eq!(bytes, 4096);
                }
            };
            let what = format!("{face}, {strategy}");
            assert_nothing_grows(&what, &path, 100_000, run);
        }
    }
    // Failing calls leak nothing either.
    let fds = open_fds();
    for _ in 0..10_000 {
        assert!(transfer_to(reader.as_fd(), 0, 1, writer.as_fd(), Strategy::Auto).is_err());
    }
    assert_eq!(open_fds(), fds);
}

/// A source of 4096-byte transfers for `transfer_from`: a file read from an offset set before each
/// transfer, or a stream given 4096 bytes before each.
enum Feed {
    File(File),
    Stream { rx: std::os::fd::OwnedFd, tx: File },
}

impl Feed {
    fn name(&self) -> &'static str {
        match self {
            Feed::File(_) => "file",
            Feed::Stream { .. } => "stream",
        }
    }

    /// Readies the next 4096 bytes and returns the descriptor to read them from.
    fn next(&mut self, i: usize) -> BorrowedFd<'_> {
        match self {
            Feed::File(f) => {
                f.seek(SeekFrom::Start((i % 17) as u64)).unwrap();
                let f: &File = f;
                f.as_fd()
            }
            Feed::Stream { rx, tx } => {
                tx.write_all(&[(i % 251) as u8; 4096]).unwrap();
                let rx: &std::os::fd::OwnedFd = rx;
                rx.as_fd()
            }
        }
    }
}

#[test]
fn no_descriptor_mapping_or_memory_leaks_over_transfer_from_calls() {
    let _alone = ALONE.lock().unwrap_or_else(PoisonError::into_inner);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("small");
    std::fs::write(&path, vec![7u8; 4096 + 17]).unwrap();
    let dst_path = dir.path().join("target");
    let dst = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&dst_path)
        .unwrap();
    let (pipe_rx, pipe_tx) = std::io::pipe().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    let mut feeds = [
        Feed::File(File::open(&path).unwrap()),
        Feed::Stream {
            rx: pipe_rx.into(),
            tx: File::from(std::os::fd::OwnedFd::from(pipe_tx)),
        },
        Feed::Stream {
            rx: server.into(),
            tx: File::from(std::os::fd::OwnedFd::from(client)),
        },
    ];
    for face in ["core", "C face", "core with wake-ups"] {
        for feed in &mut feeds {
            let strategies: &[Strategy] = match feed {
                Feed::File(_) => &[
                    Strategy::Auto,
                    Strategy::CopyFileRange,
                    Strategy::Sendfile,
                    Strategy::Mmap,
                    Strategy::ReadWrite,
                    Strategy::Splice,
                ],
                Feed::Stream { .. } => &[Strategy::Auto, Strategy::Splice, Strategy::ReadWrite],
            };
            for &strategy in strategies {
                let what = format!("{face}, {} {strategy}", feed.name());
                let run = |n: usize| {
                    for i in 0..n {
                        let position = (i % 17) as u64;
                        let src = feed.next(i);
                        let bytes = match face {
                            "core" => {
                                transfer_from(dst.as_fd(), src, position, 4096, strategy)
                                    .unwrap()
                                    .bytes
                            }
                            "C face" => {
                                let mut n = 0;
                                // SAFETY: valid descriptors and a valid out-pointer.
                                let rc = unsafe {
                                    zc_transfer_from(
                                        dst.as_raw_fd(),
                                        src.as_raw_fd(),
                                        position,
                                        4096,
                                        strategy.code(),
                                        &mut n,
                                    )
                                };
                                assert_eq!(rc, 0);
                                n
                            }
                            _ => {
                                let mut go_on = || true;
                                let options = Options::default()
                                    .checkpoint(&mut go_on)
                                    .wake_blocked_calls();
                                transfer_from_with(
                                    dst.as_fd(),
                                    src,
                                    position,
                                    4096,
                                    strategy,
                                    options,
                                )
                                .unwrap()
                                .bytes
                            }
                        };
                        assert_eq!(bytes, 4096);
                    }
                };
                assert_nothing_grows(&what, &path, 20_000, run);
            }
        }
    }
    assert_eq!(
        std::fs::metadata(&dst_path).unwrap().len(),
        4096 + 16,
        "the target holds other bytes than 4096 at positions 0 to 16"
    );
    // SPLICE's pipe: one per thread (two descriptors), made by its first transfer from a socket,
    // kept while the thread lives, closed when it ends.
    let before = open_fds();
    let Feed::Stream { rx: sock, tx } = &mut feeds[2] else {
        unreachable!()
    };
    let (sock, mut tx) = (sock.try_clone().unwrap(), tx.try_clone().unwrap());
    let dst_fd = dst.try_clone().unwrap();
    let during = std::thread::spawn(move || {
        let mut seen = Vec::new();
        for i in 0..1000 {
            tx.write_all(&[3; 4096]).unwrap();
            let done = transfer_from(dst_fd.as_fd(), sock.as_fd(), 0, 4096, Strategy::Splice);
            assert_eq!(done.unwrap().bytes, 4096);
            if i < 2 || i == 999 {
                seen.push(open_fds());
            }
        }
        seen
    })
    .join()
    .unwrap();
    // The thread's own clones of the socket, its writer and the target: 3 more descriptors.
    assert_eq!(
        during,
        [before + 5, before + 5, before + 5],
        "SPLICE's pipe: not one pair per thread"
    );
    assert_eq!(open_fds(), before, "a thread's splice pipe outlived it");

    // Failing calls leak nothing either: a pipe as the target, and SPLICE from a socket into a
    // position the file system refuses after the bytes went into the pipe.
    let Feed::Stream { rx: sock, tx } = &mut feeds[2] else {
        unreachable!()
    };
    let fds = open_fds();
    for _ in 0..10_000 {
        assert!(transfer_from(tx.as_fd(), sock.as_fd(), 0, 1, Strategy::Auto).is_err());
    }
    for _ in 0..1000 {
        tx.write_all(&[1; 100]).unwrap();
        let far = i64::MAX as u64 - 1000;
        assert!(transfer_from(dst.as_fd(), sock.as_fd(), far, 100, Strategy::Splice).is_err());
    }
    assert_eq!(open_fds(), fds, "failing calls leaked descriptors");
}
