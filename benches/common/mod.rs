//! What both benches share: a loopback sink with a draining peer, a source file, and the
//! reference loops written with plain libc that the library is measured against.
#![allow(dead_code)] // each bench uses a part

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsRawFd, BorrowedFd};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A connected loopback socket whose peer reads and discards everything until EOF.
pub struct Sink {
    pub socket: TcpStream,
    /// The peer's socket, to ask how much it has not read yet.
    peer: TcpStream,
    reader: Option<JoinHandle<()>>,
}

impl Sink {
    pub fn new() -> Sink {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let socket = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (peer, _) = listener.accept().unwrap();
        let mut reading = peer.try_clone().unwrap();
        let reader = std::thread::spawn(move || {
            let mut buf = vec![0u8; 1 << 20];
            while matches!(reading.read(&mut buf), Ok(n) if n > 0) {}
        });
        Sink {
            socket,
            peer,
            reader: Some(reader),
        }
    }

    /// Waits until every byte sent has been read by the peer, so that the next contender does not
    /// start behind a backlog.
    pub fn wait_drained(&self) {
        let queued = |fd: i32, req: libc::c_ulong| {
            let mut n: libc::c_int = 0;
            // SAFETY: SIOCOUTQ/FIONREAD write one int.
            unsafe { libc::ioctl(fd, req, &mut n) };
            n
        };
        while queued(self.socket.as_raw_fd(), libc::TIOCOUTQ) > 0
            || queued(self.peer.as_raw_fd(), libc::FIONREAD) > 0
        {
            std::thread::yield_now();
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

/// The reference sendfile loop: what a C programmer writes by hand.
pub fn plain_sendfile(src: BorrowedFd<'_>, dst: BorrowedFd<'_>, size: usize) {
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
pub fn plain_read_write(src: BorrowedFd<'_>, dst: BorrowedFd<'_>, size: usize, buf: &mut [u8]) {
    let mut off = 0usize;
    while off < size {
        let want = buf.len().min(size - off);
        // SAFETY: `buf` is valid for `want` bytes.
        let n =
            unsafe { libc::pread64(src.as_raw_fd(), buf.as_mut_ptr().cast(), want, off as i64) };
        assert!(n > 0, "pread: {}", std::io::Error::last_os_error());
        let mut done = 0;
        while done < n as usize {
            // SAFETY: `buf[done..n]` is initialised.
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

/// A file of `size` bytes in `dir`, open for reading (and in the page cache).
pub fn source(dir: &tempfile::TempDir, size: usize) -> std::fs::File {
    let path = dir.path().join(format!("src-{size}"));
    let data: Vec<u8> = (0..size).map(|i| (i * 31 % 251) as u8).collect();
    std::fs::write(&path, data).unwrap();
    std::fs::File::open(path).unwrap()
}

/// Runs `contenders` contenders (`run(i)` runs contender `i` once) in turns: each is warmed up
/// for `warm_up`, then every round runs each for a batch sized so that the fastest takes about
/// 2 ms, the order rotated each round, every batch starting once the peer has read everything.
/// Returns the seconds per run of each batch: `samples[contender][round]`.
pub fn interleave(
    sink: &Sink,
    contenders: usize,
    rounds: usize,
    warm_up: Duration,
    mut run: impl FnMut(usize),
) -> Vec<Vec<f64>> {
    let mut fastest = f64::MAX;
    for i in 0..contenders {
        let (start, mut n) = (Instant::now(), 0u32);
        while start.elapsed() < warm_up {
            run(i);
            n += 1;
        }
        sink.wait_drained();
        fastest = fastest.min(start.elapsed().as_secs_f64() / f64::from(n));
    }
    let batch = (0.002 / fastest).clamp(1.0, 5000.0) as usize;
    let mut samples = vec![Vec::with_capacity(rounds); contenders];
    for round in 0..rounds {
        for k in 0..contenders {
            let i = (k + round) % contenders;
            sink.wait_drained();
            let t = Instant::now();
            for _ in 0..batch {
                run(i);
            }
            samples[i].push(t.elapsed().as_secs_f64() / batch as f64);
        }
    }
    samples
}

/// The median (sorts `v`).
pub fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}
