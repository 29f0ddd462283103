//! Fuzzes `zc_transfer_to` / `zc_transfer_to_report` as a C program calls them: random kinds of
//! descriptor on either side (files in every mode, pipes and sockets, /dev/null, directories,
//! closed descriptors, -1 and numbers nobody opened), random positions, counts and strategy
//! integers, NULL out-parameters. Every call must keep the contract: 0 with a count no larger than
//! the file allows (and the right bytes in a file target), or a positive errno with the
//! out-parameter untouched. Pipes and sockets are non-blocking so no call can wait forever; their
//! peers may be closed (EPIPE, never a SIGPIPE: libFuzzer's main does not ignore it).
#![no_main]

use std::ffi::CString;
use std::os::raw::c_int;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use zerocopy_nio::capi::{zc_report, zc_transfer_to, zc_transfer_to_report};

#[derive(Arbitrary, Debug)]
struct Call {
    src: u8,
    dst: u8,
    file_len: u16,
    position: u64,
    count: u64,
    strategy: i32,
    report: bool,
    null_out: bool,
    close_peer: bool,
    small_position: bool,
}

struct Fds {
    open: Vec<c_int>,
}

impl Drop for Fds {
    fn drop(&mut self) {
        for fd in &self.open {
            // SAFETY: closing descriptors this iteration opened.
            unsafe { libc::close(*fd) };
        }
    }
}

fn open(path: &str, flags: c_int) -> c_int {
    let p = CString::new(path).unwrap();
    // SAFETY: a valid C string; the mode is used only with O_CREAT.
    unsafe { libc::open(p.as_ptr(), flags | libc::O_CLOEXEC, 0o600) }
}

/// A descriptor of the kind `kind` asks for; `file` is the test file's path.
fn descriptor(kind: u8, file: &str, dir: &str, close_peer: bool, fds: &mut Fds, as_target: bool) -> c_int {
    let mut pair = [0 as c_int; 2];
    let fd = match kind % 12 {
        0 => open(file, libc::O_RDONLY),
        1 => open(file, libc::O_WRONLY),
        2 => open(file, libc::O_RDWR | libc::O_APPEND),
        3 => open(file, libc::O_RDWR),
        4 | 5 => {
            // SAFETY: a valid out-array of two ints.
            unsafe { libc::pipe2(pair.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) };
            let (ours, peer) = if as_target { (pair[1], pair[0]) } else { (pair[0], pair[1]) };
            if close_peer {
                // SAFETY: our own descriptor.
                unsafe { libc::close(peer) };
            } else {
                fds.open.push(peer);
            }
            ours
        }
        6 | 7 => {
            // SAFETY: a valid out-array of two ints.
            unsafe {
                libc::socketpair(
                    libc::AF_UNIX,
                    libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                    0,
                    pair.as_mut_ptr(),
                )
            };
            if close_peer {
                // SAFETY: our own descriptor.
                unsafe { libc::close(pair[1]) };
            } else {
                fds.open.push(pair[1]);
            }
            pair[0]
        }
        8 => open("/dev/null", if as_target { libc::O_WRONLY } else { libc::O_RDONLY }),
        9 => open(dir, libc::O_RDONLY | libc::O_DIRECTORY),
        10 => {
            let fd = open(file, libc::O_RDONLY);
            // SAFETY: closing our own descriptor: the number stays unused for this call.
            unsafe { libc::close(fd) };
            return fd;
        }
        _ => return if kind & 0x80 != 0 { -1 } else { 900_000 + kind as c_int },
    };
    if fd >= 0 {
        fds.open.push(fd);
    }
    fd
}

fuzz_target!(|call: Call| {
    let dir = std::env::temp_dir().join(format!("zc-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src_path = dir.join("src");
    let dst_path = dir.join("dst");
    let len = (call.file_len % 20_000) as usize;
    let data: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
    std::fs::write(&src_path, &data).unwrap();
    std::fs::write(&dst_path, b"").unwrap();
    let mut fds = Fds { open: Vec::new() };
    let dir_s = dir.to_str().unwrap();
    let src = descriptor(call.src, src_path.to_str().unwrap(), dir_s, call.close_peer, &mut fds, false);
    let dst = descriptor(call.dst, dst_path.to_str().unwrap(), dir_s, call.close_peer, &mut fds, true);
    let position = if call.small_position { call.position % (len as u64 + 2) } else { call.position };

    const UNTOUCHED: u64 = 0xDEAD_BEEF;
    let (rc, moved, ran) = if call.report {
        let mut report = zc_report { transferred: UNTOUCHED, syscalls: UNTOUCHED, strategy: -7 };
        let out = if call.null_out { std::ptr::null_mut() } else { &mut report as *mut zc_report };
        // SAFETY: `out` is NULL or points to a live zc_report.
        let rc = unsafe { zc_transfer_to_report(src, position, call.count, dst, call.strategy, out) };
        (rc, report.transferred, report.strategy)
    } else {
        let mut n = UNTOUCHED;
        let out = if call.null_out { std::ptr::null_mut() } else { &mut n as *mut u64 };
        // SAFETY: `out` is NULL or points to a live u64.
        let rc = unsafe { zc_transfer_to(src, position, call.count, dst, call.strategy, out) };
        (rc, n, 1)
    };

    assert!(rc >= 0, "negative errno {rc}");
    if rc != 0 || call.null_out {
        assert_eq!(moved, UNTOUCHED, "the out-parameter changed on error {rc}");
        return;
    }
    assert!((1..=3).contains(&ran), "reported strategy {ran}");
    let left = (len as u64).saturating_sub(position);
    let src_is_file = call.src % 12 == 0 || call.src % 12 == 3 || call.src % 12 == 2;
    if src_is_file {
        assert!(moved <= call.count.min(left), "{moved} bytes from {left} left, count {}", call.count);
    }
    let dst_kind = call.dst % 12;
    if src_is_file && (dst_kind == 1 || dst_kind == 3 || dst_kind == 2) {
        // The target file received exactly the source's bytes (appended or from offset 0).
        let got = std::fs::read(&dst_path).unwrap();
        let start = position as usize;
        let expect = &data[start.min(len)..start.min(len) + moved as usize];
        assert_eq!(&got[got.len() - moved as usize..], expect);
    }
});
