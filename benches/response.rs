//! Responses (a 200-byte header, then a file's bytes) to a loopback socket with `TCP_NODELAY`,
//! interleaved as in `benches/interleaved.rs`: `send_file` by each strategy against the loops a C
//! programmer writes by hand. The READ_WRITE and SENDFILE columns around 16-64 KiB are what chose
//! [`zerocopy_nio::SMALL_BODY`], the size up to which AUTO gathers the body with the header.
//!
//!   cargo bench --bench response            # ~1 min; prints a table
//!   cargo bench --bench response -- 100     # more rounds

mod common;

use std::io::IoSlice;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::time::Duration;

use common::{interleave, median, source, Sink};
use zerocopy_nio::{send_file, Strategy};

const HEADER: usize = 200;

const NAMES: [&str; 7] = [
    "AUTO",
    "SENDFILE",
    "MMAP",
    "READ_WRITE",
    "send+sendfile",
    "MSG_MORE+sf",
    "pread+writev",
];

fn check(n: isize, what: &str) -> usize {
    assert!(n >= 0, "{what}: {}", std::io::Error::last_os_error());
    n as usize
}

/// The header with `flags`, then the body by sendfile: the usual pattern, by hand.
fn plain_header_sendfile(
    src: BorrowedFd<'_>,
    dst: BorrowedFd<'_>,
    header: &[u8],
    size: usize,
    flags: i32,
) {
    let mut done = 0;
    while done < header.len() {
        // SAFETY: `header[done..]` is valid for reads.
        let n = unsafe {
            libc::send(
                dst.as_raw_fd(),
                header[done..].as_ptr().cast(),
                header.len() - done,
                flags | libc::MSG_NOSIGNAL,
            )
        };
        done += check(n, "send");
    }
    let mut off: libc::off64_t = 0;
    while (off as usize) < size {
        // SAFETY: valid descriptors and offset pointer.
        let n = unsafe {
            libc::sendfile64(
                dst.as_raw_fd(),
                src.as_raw_fd(),
                &mut off,
                size - off as usize,
            )
        };
        check(n, "sendfile");
    }
}

/// pread of the body into `buf`, then one writev of header and body (looping on short writes).
fn plain_pread_writev(
    src: BorrowedFd<'_>,
    dst: BorrowedFd<'_>,
    header: &[u8],
    size: usize,
    buf: &mut [u8],
) {
    // SAFETY: `buf` is valid for `size` bytes.
    let n = unsafe { libc::pread64(src.as_raw_fd(), buf.as_mut_ptr().cast(), size, 0) };
    assert_eq!(check(n, "pread"), size);
    let total = header.len() + size;
    let mut done = 0;
    while done < total {
        let (h, b) = if done < header.len() {
            (&header[done..], &buf[..size])
        } else {
            (&header[..0], &buf[done - header.len()..size])
        };
        let iov = [
            libc::iovec {
                iov_base: h.as_ptr() as *mut _,
                iov_len: h.len(),
            },
            libc::iovec {
                iov_base: b.as_ptr() as *mut _,
                iov_len: b.len(),
            },
        ];
        // SAFETY: two valid iovecs.
        let n = unsafe { libc::writev(dst.as_raw_fd(), iov.as_ptr(), 2) };
        done += check(n, "writev");
    }
}

fn run_one(i: usize, src: &std::fs::File, sink: &Sink, header: &[u8], size: usize, buf: &mut [u8]) {
    let dst = sink.socket.as_fd();
    match i {
        0..=3 => {
            let head = [IoSlice::new(header)];
            let r = send_file(
                dst,
                &head,
                src.as_fd(),
                0,
                size as u64,
                &[],
                Strategy::ALL[i],
            )
            .unwrap();
            assert_eq!(r.bytes, (header.len() + size) as u64);
        }
        4 => plain_header_sendfile(src.as_fd(), dst, header, size, 0),
        5 => plain_header_sendfile(src.as_fd(), dst, header, size, libc::MSG_MORE),
        _ => plain_pread_writev(src.as_fd(), dst, header, size, buf),
    }
}

fn main() {
    let rounds: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(40);
    let dir = tempfile::tempdir().unwrap();
    let header = vec![b'h'; HEADER];
    println!("{HEADER}-byte header + body -> loopback TCP (TCP_NODELAY, draining peer), {rounds} interleaved rounds; median us per response");
    print!("{:>6}", "body");
    for name in NAMES {
        print!(" {name:>13}");
    }
    println!("  {:>13}", "AUTO/best");
    for (size, label) in [
        (1usize << 10, "1KiB"),
        (4 << 10, "4KiB"),
        (8 << 10, "8KiB"),
        (12 << 10, "12KiB"),
        (16 << 10, "16KiB"),
        (24 << 10, "24KiB"),
        (32 << 10, "32KiB"),
        (48 << 10, "48KiB"),
        (64 << 10, "64KiB"),
        (1 << 20, "1MiB"),
    ] {
        let src = source(&dir, size);
        let sink = Sink::new();
        sink.socket.set_nodelay(true).unwrap();
        let mut buf = vec![0u8; size];
        let samples = interleave(
            &sink,
            NAMES.len(),
            rounds,
            Duration::from_millis(200),
            |i| run_one(i, &src, &sink, &header, size, &mut buf),
        );
        let mut best: Vec<f64> = (0..rounds)
            .map(|j| {
                samples[0][j]
                    / (4..NAMES.len())
                        .map(|i| samples[i][j])
                        .fold(f64::MAX, f64::min)
            })
            .collect();
        print!("{label:>6}");
        for s in &samples {
            print!(" {:>13.2}", median(&mut s.clone()) * 1e6);
        }
        println!("  {:>13.3}", median(&mut best));
    }
    println!("AUTO/best: median per-round ratio of AUTO to the fastest hand-written loop (below 1.000: AUTO faster)");
}
