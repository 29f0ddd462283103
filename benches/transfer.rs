//! File to a loopback TCP socket with a draining reader, per strategy, beside two reference loops
//! written here with plain libc: `plain_sendfile` and `plain_read_write` (pread + send with the
//! same buffer size as READ_WRITE). Also `rw_buffer`: the plain loop at several buffer sizes, the
//! measurement behind `READ_WRITE_BUFFER`.
//!
//!   cargo bench --bench transfer                 # everything
//!   cargo bench --bench transfer -- 'socket/'    # per-strategy groups only

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::thread::JoinHandle;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use zerocopy_nio::{transfer_to, Strategy, READ_WRITE_BUFFER};

const SIZES: [(usize, &str); 4] = [
    (4 << 10, "4KiB"),
    (64 << 10, "64KiB"),
    (1 << 20, "1MiB"),
    (64 << 20, "64MiB"),
];

/// A connected loopback socket whose peer reads and discards everything until EOF.
struct Sink {
    socket: TcpStream,
    reader: Option<JoinHandle<()>>,
}

impl Sink {
    fn new() -> Sink {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let socket = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (mut peer, _) = listener.accept().unwrap();
        let reader = std::thread::spawn(move || {
            let mut buf = vec![0u8; 1 << 20];
            while matches!(peer.read(&mut buf), Ok(n) if n > 0) {}
        });
        Sink {
            socket,
            reader: Some(reader),
        }
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.socket.shutdown(std::net::Shutdown::Write);
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
    }
}

fn source(dir: &tempfile::TempDir, size: usize) -> std::fs::File {
    let path = dir.path().join(format!("src-{size}"));
    let data: Vec<u8> = (0..size).map(|i| (i * 31 % 251) as u8).collect();
    std::fs::write(&path, data).unwrap();
    std::fs::File::open(path).unwrap()
}

/// The reference sendfile loop: what a C programmer writes by hand.
fn plain_sendfile(src: BorrowedFd<'_>, dst: BorrowedFd<'_>, size: usize) {
    let mut off: libc::off64_t = 0;
    let mut left = size;
    while left > 0 {
        // SAFETY: valid descriptors and offset pointer.
        let n = unsafe { libc::sendfile64(dst.as_raw_fd(), src.as_raw_fd(), &mut off, left) };
        assert!(n > 0, "sendfile: {}", std::io::Error::last_os_error());
        left -= n as usize;
    }
}

/// The reference read/write loop: pread into `buf`, send until written.
fn plain_read_write(src: BorrowedFd<'_>, dst: BorrowedFd<'_>, size: usize, buf: &mut [u8]) {
    let mut off = 0usize;
    while off < size {
        let want = buf.len().min(size - off);
        // SAFETY: `buf` is valid for `want` bytes.
        let n =
            unsafe { libc::pread64(src.as_raw_fd(), buf.as_mut_ptr().cast(), want, off as i64) };
        assert!(n > 0, "pread: {}", std::io::Error::last_os_error());
        let mut done = 0;
        while done < n as usize {
            // SAFETY: `buf[done..n]` is initialised and valid.
            let w = unsafe {
                libc::send(
                    dst.as_raw_fd(),
                    buf[done..].as_ptr().cast(),
                    n as usize - done,
                    libc::MSG_NOSIGNAL,
                )
            };
            assert!(w > 0, "send: {}", std::io::Error::last_os_error());
            done += w as usize;
        }
        off += n as usize;
    }
}

fn socket(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    for (size, label) in SIZES {
        let src = source(&dir, size);
        let mut group = c.benchmark_group(format!("socket/{label}"));
        group.throughput(Throughput::Bytes(size as u64));
        if size >= 64 << 20 {
            group.sample_size(20);
        }
        group.warm_up_time(Duration::from_secs(1));
        group.measurement_time(Duration::from_secs(3));
        // Each function gets its own connection: a shared one would favour the later functions
        // with a send window that TCP autotuning has grown meanwhile.
        for strategy in Strategy::ALL {
            let sink = Sink::new();
            group.bench_function(BenchmarkId::from_parameter(strategy.name()), |b| {
                b.iter(|| {
                    let r = transfer_to(src.as_fd(), 0, size as u64, sink.socket.as_fd(), strategy);
                    assert_eq!(r.unwrap().bytes, size as u64);
                })
            });
        }
        let sink = Sink::new();
        group.bench_function("plain_sendfile", |b| {
            b.iter(|| plain_sendfile(src.as_fd(), sink.socket.as_fd(), size))
        });
        let sink = Sink::new();
        let mut buf = vec![0u8; READ_WRITE_BUFFER];
        group.bench_function("plain_read_write", |b| {
            b.iter(|| plain_read_write(src.as_fd(), sink.socket.as_fd(), size, &mut buf))
        });
        group.finish();
    }
}

fn rw_buffer(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    for (size, label) in [(1usize << 20, "1MiB"), (64 << 20, "64MiB")] {
        let src = source(&dir, size);
        let mut group = c.benchmark_group(format!("rw_buffer/{label}"));
        group.throughput(Throughput::Bytes(size as u64));
        group.sample_size(20);
        group.warm_up_time(Duration::from_secs(1));
        group.measurement_time(Duration::from_secs(2));
        for kib in [8usize, 32, 64, 128, 256, 1024] {
            let mut buf = vec![0u8; kib << 10];
            let sink = Sink::new();
            let dst = sink.socket.as_fd();
            group.bench_function(BenchmarkId::from_parameter(format!("{kib}KiB")), |b| {
                b.iter(|| plain_read_write(src.as_fd(), dst, size, &mut buf))
            });
        }
        group.finish();
    }
}

criterion_group!(benches, socket, rw_buffer);
criterion_main!(benches);
