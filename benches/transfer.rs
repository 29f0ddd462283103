//! File to a loopback TCP socket with a draining reader, per strategy, beside two reference loops
//! written here with plain libc: `plain_sendfile` and `plain_read_write` (pread + send with the
//! same buffer size as READ_WRITE). Also `rw_buffer`: the plain loop at several buffer sizes, the
//! measurement behind `READ_WRITE_BUFFER`. And `c_face`: one 4 KiB transfer to /dev/null by a
//! bare `sendfile`, through the core and through `zc_transfer_to`, whose private duplicates of
//! both descriptors are the only difference from the core (no socket, so no network noise).
//!
//!   cargo bench --bench transfer                 # everything
//!   cargo bench --bench transfer -- 'socket/'    # per-strategy groups only
//!   cargo bench --bench transfer -- 'c_face/'

mod common;

use std::os::fd::{AsFd, AsRawFd};
use std::time::Duration;

use common::{plain_read_write, plain_sendfile, source, Sink};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use zerocopy_nio::{transfer_to, Strategy, READ_WRITE_BUFFER};

const SIZES: [(usize, &str); 4] = [
    (4 << 10, "4KiB"),
    (64 << 10, "64KiB"),
    (1 << 20, "1MiB"),
    (64 << 20, "64MiB"),
];

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
        // COPY_FILE_RANGE takes file targets only.
        for strategy in Strategy::ALL
            .into_iter()
            .filter(|s| *s != Strategy::CopyFileRange)
        {
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

fn c_face(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let src = source(&dir, 4096);
    let devnull = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/null")
        .unwrap();
    let mut group = c.benchmark_group("c_face/4KiB-to-devnull");
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    // The floor: what a C program's own sendfile costs, with no contract around it.
    group.bench_function("plain_sendfile", |b| {
        b.iter(|| plain_sendfile(src.as_fd(), devnull.as_fd(), 4096))
    });
    for strategy in [Strategy::Sendfile, Strategy::ReadWrite] {
        group.bench_function(format!("core_{}", strategy.name()), |b| {
            b.iter(|| {
                let r = transfer_to(src.as_fd(), 0, 4096, devnull.as_fd(), strategy);
                assert_eq!(r.unwrap().bytes, 4096);
            })
        });
        group.bench_function(format!("zc_transfer_to_{}", strategy.name()), |b| {
            b.iter(|| {
                let mut n = 0;
                // SAFETY: open descriptors and a valid out-pointer.
                let rc = unsafe {
                    zerocopy_nio::capi::zc_transfer_to(
                        src.as_raw_fd(),
                        0,
                        4096,
                        devnull.as_raw_fd(),
                        strategy.code(),
                        &mut n,
                    )
                };
                assert_eq!((rc, n), (0, 4096));
            })
        });
    }
    group.finish();
}

criterion_group!(benches, socket, rw_buffer, c_face);
criterion_main!(benches);
