//! transfer_from against the loops a C programmer writes by hand, interleaved round by round: a
//! loopback socket (a thread keeps it full) and a pipe (likewise) into a file, and a file in the
//! page cache into a file. Each run receives `size` bytes over the same target blocks (offset 0),
//! so the page cache allocation of a growing file does not drown the difference. GB/s, median of
//! the rounds, and each path's ratio to the C splice (or copy_file_range) loop.
//!
//!   ZC_ROUNDS=15 ZC_ONLY=C-splice,AUTO cargo bench --bench receive [-- SIZE... SOURCE...]
//!
//! Sizes in KiB (default 64 1024 16384); sources socket, pipe, file (the same target blocks
//! rewritten) and new-file (the target truncated before each run, so each run allocates its page
//! cache); default all.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use zerocopy_nio::{transfer_from, Strategy, SPLICE_PIPE};

/// Interleaved rounds per cell: `ZC_ROUNDS`, default 15.
fn rounds() -> usize {
    std::env::var("ZC_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(15)
}

/// A stream kept full by a thread until dropped.
struct Feed {
    read: OwnedFd,
    stop: Arc<AtomicBool>,
    writer: Option<std::thread::JoinHandle<()>>,
}

impl Feed {
    fn socket() -> Feed {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut tx = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (rx, _) = listener.accept().unwrap();
        Feed::start(rx.into(), move |buf| tx.write_all(buf).is_ok())
    }

    fn pipe() -> Feed {
        let (rx, mut tx) = std::io::pipe().unwrap();
        // SAFETY: F_SETPIPE_SZ on a pipe we own.
        unsafe { libc::fcntl(tx.as_raw_fd(), libc::F_SETPIPE_SZ, 1 << 20) };
        Feed::start(rx.into(), move |buf| tx.write_all(buf).is_ok())
    }

    fn start(read: OwnedFd, mut write: impl FnMut(&[u8]) -> bool + Send + 'static) -> Feed {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let writer = std::thread::spawn(move || {
            let buf: Vec<u8> = (0..1 << 20).map(|i| (i * 31 % 251) as u8).collect();
            while !stopped.load(Ordering::Relaxed) && write(&buf) {}
        });
        Feed {
            read,
            stop,
            writer: Some(writer),
        }
    }
}

impl Drop for Feed {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Drain until the writer notices: reading keeps it from blocking for good.
        let mut buf = vec![0u8; 1 << 20];
        while !self.writer.as_ref().unwrap().is_finished() {
            // SAFETY: `buf` is valid for its length.
            let n = unsafe {
                libc::recv(
                    self.read.as_raw_fd(),
                    buf.as_mut_ptr().cast(),
                    buf.len(),
                    libc::MSG_DONTWAIT,
                )
            };
            if n < 0 {
                // A pipe is not a socket: read it instead.
                // SAFETY: as above.
                unsafe { libc::read(self.read.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            }
        }
        let _ = self.writer.take().unwrap().join();
    }
}

/// The C splice loop: the source into a pipe of [`SPLICE_PIPE`] bytes, the pipe into the file. A
/// stream is read at its own position; a file (`from_file`) at an offset from 0.
fn c_splice(
    src: BorrowedFd,
    dst: BorrowedFd,
    size: usize,
    pipe: &(OwnedFd, OwnedFd),
    from_file: bool,
) {
    let (mut from, mut to): (libc::loff_t, libc::loff_t) = (0, 0);
    let from_ptr: *mut libc::loff_t = if from_file {
        &mut from
    } else {
        std::ptr::null_mut()
    };
    let mut left = size;
    while left > 0 {
        // SAFETY: valid descriptors; the input offset is null (a stream) or points at `from`,
        // which outlives the loop; the pipe's offset is null.
        let n = unsafe {
            libc::splice(
                src.as_raw_fd(),
                from_ptr,
                pipe.1.as_raw_fd(),
                std::ptr::null_mut(),
                left.min(SPLICE_PIPE),
                libc::SPLICE_F_MOVE,
            )
        };
        assert!(n > 0, "splice in: {}", std::io::Error::last_os_error());
        let mut inside = n as usize;
        while inside > 0 {
            // SAFETY: valid descriptors and offset pointer.
            let m = unsafe {
                libc::splice(
                    pipe.0.as_raw_fd(),
                    std::ptr::null_mut(),
                    dst.as_raw_fd(),
                    &mut to,
                    inside,
                    libc::SPLICE_F_MOVE,
                )
            };
            assert!(m > 0, "splice out: {}", std::io::Error::last_os_error());
            inside -= m as usize;
        }
        left -= n as usize;
    }
}

/// A pipe straight into the file, as a C programmer splices it.
fn c_splice_direct(src: BorrowedFd, dst: BorrowedFd, size: usize) {
    let mut off: libc::loff_t = 0;
    let mut left = size;
    while left > 0 {
        // SAFETY: valid descriptors and offset pointer.
        let n = unsafe {
            libc::splice(
                src.as_raw_fd(),
                std::ptr::null_mut(),
                dst.as_raw_fd(),
                &mut off,
                left,
                libc::SPLICE_F_MOVE,
            )
        };
        assert!(n > 0, "splice: {}", std::io::Error::last_os_error());
        left -= n as usize;
    }
}

/// read(2) into `buf` and pwrite(2): with 8 KiB, what the JDK's transferFrom does natively.
fn c_read_pwrite(src: BorrowedFd, dst: BorrowedFd, size: usize, buf: &mut [u8]) {
    let mut off = 0usize;
    while off < size {
        let want = buf.len().min(size - off);
        // SAFETY: `buf` is valid for `want` bytes.
        let n = unsafe { libc::read(src.as_raw_fd(), buf.as_mut_ptr().cast(), want) };
        assert!(n > 0, "read: {}", std::io::Error::last_os_error());
        // SAFETY: the first `n` bytes of `buf` were just read.
        let w =
            unsafe { libc::pwrite64(dst.as_raw_fd(), buf.as_ptr().cast(), n as usize, off as i64) };
        assert_eq!(w, n, "pwrite: {}", std::io::Error::last_os_error());
        off += n as usize;
    }
}

/// copy_file_range(2) from offset 0 to offset 0, as a C programmer copies a file.
fn c_copy_file_range(src: BorrowedFd, dst: BorrowedFd, size: usize) {
    let (mut from, mut to): (libc::loff_t, libc::loff_t) = (0, 0);
    let mut left = size;
    while left > 0 {
        // SAFETY: valid descriptors and offset pointers.
        let n = unsafe {
            libc::copy_file_range(
                src.as_raw_fd(),
                &mut from,
                dst.as_raw_fd(),
                &mut to,
                left,
                0,
            )
        };
        assert!(
            n > 0,
            "copy_file_range: {}",
            std::io::Error::last_os_error()
        );
        left -= n as usize;
    }
}

fn pipe_pair() -> (OwnedFd, OwnedFd) {
    let (r, w) = std::io::pipe().unwrap();
    // SAFETY: F_SETPIPE_SZ on a pipe we own.
    unsafe {
        libc::fcntl(
            w.as_raw_fd(),
            libc::F_SETPIPE_SZ,
            SPLICE_PIPE as libc::c_int,
        )
    };
    (r.into(), w.into())
}

type Contender<'a> = (&'a str, Box<dyn FnMut(usize) + 'a>);

/// Runs the contenders in turns, [`rounds`] rounds of batches of about 64 MiB, and prints GB/s
/// medians with each one's ratio to the first.
fn race(label: &str, size: usize, all: &mut [Contender<'_>]) {
    // ZC_ONLY=C-splice,AUTO runs only the contenders named (the first named is the reference).
    let only = std::env::var("ZC_ONLY").ok();
    let mut contenders: Vec<&mut Contender<'_>> = match &only {
        Some(names) => {
            let names: Vec<&str> = names.split(',').collect();
            let mut picked: Vec<&mut Contender<'_>> =
                all.iter_mut().filter(|c| names.contains(&c.0)).collect();
            picked.sort_by_key(|c| names.iter().position(|n| *n == c.0));
            picked
        }
        None => all.iter_mut().collect(),
    };
    if contenders.is_empty() {
        return;
    }
    let batch = ((64 << 20) / size).max(1);
    for (_, run) in contenders.iter_mut() {
        run(size); // warm-up
    }
    let rounds = rounds();
    let mut samples = vec![Vec::with_capacity(rounds); contenders.len()];
    for round in 0..rounds {
        for k in 0..contenders.len() {
            let i = (k + round) % contenders.len();
            let t = Instant::now();
            for _ in 0..batch {
                (contenders[i].1)(size);
            }
            samples[i].push((size * batch) as f64 / t.elapsed().as_secs_f64() / 1e9);
        }
    }
    let medians: Vec<f64> = samples
        .iter_mut()
        .map(|s| {
            s.sort_by(|a, b| a.partial_cmp(b).unwrap());
            s[s.len() / 2]
        })
        .collect();
    print!("{label:>7} {:>9}", format!("{}KiB", size >> 10));
    for ((name, _), m) in contenders.iter().zip(&medians) {
        print!("  {name} {m:.2} ({:.2}x)", m / medians[0]);
    }
    println!();
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse::<usize>().ok())
        .map(|k| k << 10)
        .collect();
    let sizes = if sizes.is_empty() {
        vec![64 << 10, 1 << 20, 16 << 20]
    } else {
        sizes
    };
    let named: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a.parse::<usize>().is_err() && !a.starts_with('-'))
        .collect();
    let wanted = |source: &str| named.is_empty() || named.iter().any(|n| n == source);
    let dir = tempfile::tempdir().unwrap();
    let dst = std::fs::File::create(dir.path().join("dst")).unwrap();
    let dst = dst.as_fd();
    let through = pipe_pair();
    let mut buf_8k = vec![0u8; 8 << 10];
    let mut buf_1m = vec![0u8; 1 << 20];
    println!(
        "into a file, {} interleaved rounds; GB/s, median (x: over the first)",
        rounds()
    );
    let ours = |src: BorrowedFd<'_>, size: usize, strategy: Strategy| {
        let done = transfer_from(dst, src, 0, size as u64, strategy).unwrap();
        assert_eq!(done.bytes, size as u64);
    };
    for &size in sizes.iter().filter(|_| wanted("socket")) {
        let feed = Feed::socket();
        let src = feed.read.as_fd();
        race(
            "socket",
            size,
            &mut [
                (
                    "C-splice",
                    Box::new(|n| c_splice(src, dst, n, &through, false)),
                ),
                ("AUTO", Box::new(|n| ours(src, n, Strategy::Auto))),
                ("SPLICE", Box::new(|n| ours(src, n, Strategy::Splice))),
                (
                    "READ_WRITE",
                    Box::new(|n| ours(src, n, Strategy::ReadWrite)),
                ),
                (
                    "C-read-1M",
                    Box::new(|n| c_read_pwrite(src, dst, n, &mut buf_1m)),
                ),
                (
                    "C-read-8K",
                    Box::new(|n| c_read_pwrite(src, dst, n, &mut buf_8k)),
                ),
            ],
        );
    }
    for &size in sizes.iter().filter(|_| wanted("pipe")) {
        let feed = Feed::pipe();
        let src = feed.read.as_fd();
        race(
            "pipe",
            size,
            &mut [
                ("C-splice", Box::new(|n| c_splice_direct(src, dst, n))),
                ("AUTO", Box::new(|n| ours(src, n, Strategy::Auto))),
                (
                    "READ_WRITE",
                    Box::new(|n| ours(src, n, Strategy::ReadWrite)),
                ),
                (
                    "C-read-1M",
                    Box::new(|n| c_read_pwrite(src, dst, n, &mut buf_1m)),
                ),
            ],
        );
    }
    for (label, truncate) in [("file", false), ("new-file", true)] {
        for &size in sizes.iter().filter(|_| wanted(label)) {
            let path = dir.path().join("src");
            std::fs::write(&path, vec![7u8; size]).unwrap();
            let file = std::fs::File::open(&path).unwrap();
            let src = file.as_fd();
            let prepare = move || {
                // SAFETY: lseek and ftruncate on files we own.
                unsafe {
                    libc::lseek64(src.as_raw_fd(), 0, libc::SEEK_SET);
                    if truncate {
                        libc::ftruncate64(dst.as_raw_fd(), 0);
                    }
                }
            };
            let from_start = |strategy: Strategy| {
                move |n: usize| {
                    prepare();
                    ours(src, n, strategy);
                }
            };
            race(
                label,
                size,
                &mut [
                    (
                        "C-cfr",
                        Box::new(|n| {
                            prepare();
                            c_copy_file_range(src, dst, n)
                        }),
                    ),
                    (
                        "C-splice-pipe",
                        Box::new(|n| {
                            prepare();
                            c_splice(src, dst, n, &through, true)
                        }),
                    ),
                    ("AUTO", Box::new(from_start(Strategy::Auto))),
                    (
                        "COPY_FILE_RANGE",
                        Box::new(from_start(Strategy::CopyFileRange)),
                    ),
                    ("SENDFILE", Box::new(from_start(Strategy::Sendfile))),
                    ("MMAP", Box::new(from_start(Strategy::Mmap))),
                    ("READ_WRITE", Box::new(from_start(Strategy::ReadWrite))),
                ],
            );
        }
    }
}
