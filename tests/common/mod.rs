//! Fixtures shared by the integration tests: source files with known bytes, and every kind of
//! target with a collector that returns what the target received. Temp files and 127.0.0.1 only.
#![allow(dead_code)]

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::thread::JoinHandle;

use zerocopy_nio::{transfer_to, Strategy, Transferred};

/// Deterministic bytes that differ at every offset (so a misplaced byte is caught).
pub fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// A temp file holding `data`, with its read offset moved to 17 so tests can check it never moves.
pub struct Source {
    pub file: File,
    pub data: Vec<u8>,
    pub path: PathBuf,
    _dir: tempfile::TempDir,
}

pub const SOURCE_OFFSET: u64 = 17;

impl Source {
    pub fn new(len: usize) -> Source {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("source");
        let data = pattern(len, len as u64 + 1);
        std::fs::write(&path, &data).unwrap();
        let mut file = File::open(&path).unwrap();
        file.seek(SeekFrom::Start(SOURCE_OFFSET)).unwrap();
        Source {
            file,
            data,
            path,
            _dir: dir,
        }
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.file.as_fd()
    }

    pub fn assert_offset_unchanged(&mut self) {
        assert_eq!(
            self.file.stream_position().unwrap(),
            SOURCE_OFFSET,
            "the source file offset moved"
        );
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    TcpBlocking,
    TcpNonBlocking,
    UnixSocket,
    Pipe,
    File,
    AppendFile,
    DevNull,
}

pub const KINDS: [Kind; 7] = [
    Kind::TcpBlocking,
    Kind::TcpNonBlocking,
    Kind::UnixSocket,
    Kind::Pipe,
    Kind::File,
    Kind::AppendFile,
    Kind::DevNull,
];

/// The strategies that take every kind of target. COPY_FILE_RANGE takes files only, and is tested
/// apart (tests/contract.rs).
pub const EVERY_TARGET: [Strategy; 4] = [
    Strategy::Auto,
    Strategy::Sendfile,
    Strategy::Mmap,
    Strategy::ReadWrite,
];

/// What a file target holds before the transfer; file targets are written from offset 3.
const FILE_PREFILL: &[u8] = b"0123456789";
const FILE_START: u64 = 3;
const APPEND_PREFILL: &[u8] = b"appended after this:";

/// One target of a given kind, open for writing, with whatever collects its bytes.
pub struct Target {
    pub kind: Kind,
    writer: OwnedFd,
    reader: Option<JoinHandle<Vec<u8>>>,
    path: Option<PathBuf>,
    _dir: Option<tempfile::TempDir>,
}

pub fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    (client, server)
}

fn drain(mut r: impl Read + Send + 'static) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut out = Vec::new();
        r.read_to_end(&mut out).unwrap();
        out
    })
}

impl Target {
    pub fn new(kind: Kind) -> Target {
        let mut t = Target {
            kind,
            writer: File::open("/dev/null").unwrap().into(),
            reader: None,
            path: None,
            _dir: None,
        };
        match kind {
            Kind::TcpBlocking | Kind::TcpNonBlocking => {
                let (client, server) = tcp_pair();
                client
                    .set_nonblocking(kind == Kind::TcpNonBlocking)
                    .unwrap();
                t.writer = client.into();
                t.reader = Some(drain(server));
            }
            Kind::UnixSocket => {
                let (a, b) = UnixStream::pair().unwrap();
                t.writer = a.into();
                t.reader = Some(drain(b));
            }
            Kind::Pipe => {
                let (r, w) = std::io::pipe().unwrap();
                t.writer = w.into();
                t.reader = Some(drain(r));
            }
            Kind::File | Kind::AppendFile => {
                let dir = tempfile::tempdir().unwrap();
                let path = dir.path().join("target");
                let append = kind == Kind::AppendFile;
                std::fs::write(&path, if append { APPEND_PREFILL } else { FILE_PREFILL }).unwrap();
                let mut f = OpenOptions::new()
                    .write(true)
                    .append(append)
                    .open(&path)
                    .unwrap();
                // An append-mode file must append wherever its offset was left.
                f.seek(SeekFrom::Start(FILE_START)).unwrap();
                t.writer = f.into();
                t.path = Some(path);
                t._dir = Some(dir);
            }
            Kind::DevNull => {
                t.writer = OpenOptions::new()
                    .write(true)
                    .custom_flags(0)
                    .open("/dev/null")
                    .unwrap()
                    .into();
            }
        }
        t
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.writer.as_fd()
    }

    /// Whether the target keeps the bytes it receives (not /dev/null).
    pub fn keeps_bytes(&self) -> bool {
        self.kind != Kind::DevNull
    }

    /// Closes the writing end and returns the bytes the transfer put into the target, after
    /// checking the target's offset rules (`written` is the total the transfers reported).
    pub fn finish(self, written: u64) -> Vec<u8> {
        let offset = lseek_cur(self.writer.as_raw_fd());
        drop(self.writer);
        if let Some(reader) = self.reader {
            return reader.join().unwrap();
        }
        let Some(path) = self.path else {
            return Vec::new();
        };
        let contents = std::fs::read(path).unwrap();
        if self.kind == Kind::AppendFile {
            assert_eq!(&contents[..APPEND_PREFILL.len()], APPEND_PREFILL);
            // A write to an O_APPEND file moves the offset to the end; no write leaves it alone.
            let want = if written > 0 {
                contents.len() as u64
            } else {
                FILE_START
            };
            assert_eq!(offset, want, "append target offset is wrong");
            return contents[APPEND_PREFILL.len()..].to_vec();
        }
        let end = FILE_START + written;
        assert_eq!(
            offset, end,
            "file target offset did not advance by the count"
        );
        assert_eq!(
            &contents[..FILE_START as usize],
            &FILE_PREFILL[..FILE_START as usize]
        );
        if (end as usize) < FILE_PREFILL.len() {
            assert_eq!(&contents[end as usize..], &FILE_PREFILL[end as usize..]);
        }
        contents[FILE_START as usize..end as usize].to_vec()
    }
}

pub fn lseek_cur(fd: i32) -> u64 {
    // SAFETY: lseek on a descriptor we own; -1 is returned (and asserted against) on error.
    let off = unsafe { libc::lseek(fd, 0, libc::SEEK_CUR) };
    if off < 0 {
        0 // sockets and pipes have no offset
    } else {
        off as u64
    }
}

/// Waits until `fd` is writable (for resuming on a non-blocking target).
pub fn wait_writable(fd: BorrowedFd<'_>) {
    let mut p = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLOUT,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    unsafe { libc::poll(&mut p, 1, 5_000) };
}

/// Transfers `count` bytes from `position`, resuming after partial counts on a non-blocking
/// target. On a blocking target the first call must move everything.
pub fn transfer_all(
    src: BorrowedFd<'_>,
    position: u64,
    count: u64,
    dst: BorrowedFd<'_>,
    strategy: Strategy,
    expected: u64,
    nonblocking: bool,
) -> (u64, Vec<Transferred>) {
    let mut total = 0;
    let mut reports = Vec::new();
    loop {
        let r = transfer_to(src, position + total, count - total, dst, strategy)
            .unwrap_or_else(|e| panic!("{strategy}: transfer failed after {total} bytes: {e}"));
        total += r.bytes;
        reports.push(r);
        if !nonblocking {
            assert_eq!(
                total, expected,
                "{strategy}: a blocking target got a short count"
            );
        }
        if total >= expected {
            return (total, reports);
        }
        if r.bytes == 0 {
            wait_writable(dst);
        }
    }
}

/// Writes `data` to a fresh temp file and returns it open for reading (read offset 0).
pub fn temp_file_with(data: &[u8]) -> (tempfile::TempDir, File) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    let mut f = File::create(&path).unwrap();
    f.write_all(data).unwrap();
    (dir, File::open(&path).unwrap())
}
