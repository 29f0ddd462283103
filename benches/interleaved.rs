//! Side-by-side ratios that survive a noisy shared machine. Criterion measures one function after
//! another, so drift between them (another tenant, TCP autotuning, the receiver thread's core)
//! lands in the comparison; here every contender runs a short batch in turn, round after round
//! (the order rotated each round), and each ratio is the median of the per-round ratios. Each
//! batch starts (untimed) once the peer has read everything, so no contender inherits another's
//! backlog; waiting inside the timer instead charged 40 ms delayed-ACK stalls to small batches.
//!
//!   cargo bench --bench interleaved            # ~30 s; prints a table
//!   cargo bench --bench interleaved -- 200     # more rounds

mod common;

use std::os::fd::AsFd;
use std::time::Duration;

use common::{interleave, median, plain_read_write, plain_sendfile, source, Sink};
use zerocopy_nio::{transfer_to, transfer_to_with, Options, Strategy, READ_WRITE_BUFFER};

const NAMES: [&str; 8] = [
    "AUTO",
    "SENDFILE",
    "MMAP",
    "READ_WRITE",
    "plain_sendfile",
    "plain_read_write",
    "SENDFILE, no SIGPIPE guard",
    "READ_WRITE, no SIGPIPE guard",
];

fn run_one(i: usize, src: &std::fs::File, sink: &Sink, size: usize, buf: &mut [u8]) {
    let dst = sink.socket.as_fd();
    match i {
        0..=3 => {
            let r = transfer_to(src.as_fd(), 0, size as u64, dst, Strategy::ALL[i]).unwrap();
            assert_eq!(r.bytes, size as u64);
        }
        4 => plain_sendfile(src.as_fd(), dst, size),
        5 => plain_read_write(src.as_fd(), dst, size, buf),
        _ => {
            let strategy = [Strategy::Sendfile, Strategy::ReadWrite][i - 6];
            let options = Options::default().guard_sigpipe(false);
            let r = transfer_to_with(src.as_fd(), 0, size as u64, dst, strategy, options);
            assert_eq!(r.unwrap().bytes, size as u64);
        }
    }
}

fn main() {
    let rounds: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(60);
    let dir = tempfile::tempdir().unwrap();
    println!("file -> loopback TCP (draining peer), {rounds} interleaved rounds; median time per transfer");
    println!(
        "{:>6}  {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}   {:>11} {:>11} {:>9}",
        "size",
        NAMES[0],
        NAMES[1],
        NAMES[2],
        NAMES[3],
        "plain_sf",
        "plain_rw",
        "SF-noguard",
        "RW-noguard",
        "SF/plain",
        "RW/plain",
        "AUTO/best"
    );
    for (size, label) in [
        (4usize << 10, "4KiB"),
        (64 << 10, "64KiB"),
        (1 << 20, "1MiB"),
        (16 << 20, "16MiB"),
        (64 << 20, "64MiB"),
    ] {
        let src = source(&dir, size);
        // One connection for all: per-connection differences (which core its receiver thread
        // runs on) would bias a contender; interleaving spreads any drift evenly instead.
        let sink = Sink::new();
        let mut buf = vec![0u8; READ_WRITE_BUFFER];
        // Warm up each contender (page cache, TCP windows), then batch so that the fastest
        // contender's batch takes about 2 ms: the drain wait ending each batch stays small.
        let samples = interleave(
            &sink,
            NAMES.len(),
            rounds,
            Duration::from_millis(300),
            |i| run_one(i, &src, &sink, size, &mut buf),
        );
        let ratio = |a: usize, b: &dyn Fn(usize) -> f64| {
            let mut r: Vec<f64> = (0..rounds).map(|j| samples[a][j] / b(j)).collect();
            median(&mut r)
        };
        let sf = ratio(1, &|j| samples[4][j]);
        let rw = ratio(3, &|j| samples[5][j]);
        let best = |j: usize| (1..4).map(|i| samples[i][j]).fold(f64::MAX, f64::min);
        let auto = ratio(0, &best);
        let med: Vec<f64> = samples.iter().map(|s| median(&mut s.clone())).collect();
        let fmt = |s: f64| {
            if s < 1e-3 {
                format!("{:.2}us", s * 1e6)
            } else {
                format!("{:.3}ms", s * 1e3)
            }
        };
        println!(
            "{:>6}  {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}   {:>11.3} {:>11.3} {:>9.3}",
            label,
            fmt(med[0]),
            fmt(med[1]),
            fmt(med[2]),
            fmt(med[3]),
            fmt(med[4]),
            fmt(med[5]),
            fmt(med[6]),
            fmt(med[7]),
            sf,
            rw,
            auto
        );
    }
    println!("ratios are medians of per-round ratios (time; below 1.000 means faster than the reference)");
}
