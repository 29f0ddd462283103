//! The C face from C: tests/c/contract.c, tests/c/send_file.c, tests/c/transfer_from.c,
//! tests/c/hardening.c and examples/c/zc_send.c are compiled against only
//! include/zerocopy_nio.h with warnings as errors (the contract test also with AddressSanitizer
//! and UndefinedBehaviorSanitizer), linked to the library cargo just built, and run.

mod common;

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

/// target/debug (or release), where cargo put libzerocopy_nio.so for this test run.
fn lib_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().to_path_buf()
}

fn compile(source: &str, out: &Path, extra: &[&str]) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lib = lib_dir();
    assert!(
        lib.join("libzerocopy_nio.so").exists(),
        "no cdylib in {lib:?}"
    );
    let status = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-g", "-pthread"])
        .args(extra)
        .arg("-I")
        .arg(root.join("include"))
        .arg(root.join(source))
        .arg("-L")
        .arg(&lib)
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .arg("-lzerocopy_nio")
        .arg("-o")
        .arg(out)
        .status()
        .expect("run cc");
    assert!(status.success(), "compiling {source} failed");
}

/// Compiles `tests/c/{name}.c` with AddressSanitizer and UndefinedBehaviorSanitizer, runs it with
/// a temp directory, and returns its stdout once it exited 0 and reported " 0 failed".
fn run_sanitized(name: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let exe = dir.path().join(name);
    compile(
        &format!("tests/c/{name}.c"),
        &exe,
        &["-fsanitize=address,undefined", "-fno-sanitize-recover=all"],
    );
    let out = Command::new(&exe)
        .arg(dir.path())
        .env("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{name} failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains(&format!("{name}: ")), "{stdout}");
    assert!(stdout.contains(" 0 failed"), "{stdout}");
    stdout
}

#[test]
fn c_contract_under_sanitizers() {
    run_sanitized("contract");
}

/// `zc_send_file` from C (tests/c/send_file.c): exact bytes, a non-blocking resume, bad input,
/// a reset peer with SIGPIPE at its default disposition.
#[test]
fn c_send_file_under_sanitizers() {
    run_sanitized("send_file");
}

/// `zc_transfer_from` from C (tests/c/transfer_from.c): exact bytes from TCP, Unix sockets, pipes
/// and files, the source's offset through the private duplicate, `O_APPEND` targets, bad input,
/// `EINTR` without `SA_RESTART`, and a signal handler that runs a SPLICE transfer while the
/// thread is blocked in one.
#[test]
fn c_transfer_from_under_sanitizers() {
    run_sanitized("transfer_from");
}

/// Faults from C (tests/c/hardening.c): 1000 close races on each side, a peer that stops reading,
/// half-close and reset, the source truncated/extended/deleted mid-transfer, no spare descriptor.
#[test]
fn c_faults_under_sanitizers() {
    let stdout = run_sanitized("hardening");
    assert!(
        stdout.contains("1000 iterations x source and target, 2000 numbers reused"),
        "{stdout}"
    );
}

/// A listener on 127.0.0.1: its port, and a thread that returns what one connection sent.
fn receiver() -> (String, std::thread::JoinHandle<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let receiver = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut got = Vec::new();
        s.read_to_end(&mut got).unwrap();
        got
    });
    (port, receiver)
}

#[test]
fn c_example_sends_a_file_over_tcp() {
    let dir = tempfile::tempdir().unwrap();
    let exe = dir.path().join("zc_send");
    compile("examples/c/zc_send.c", &exe, &["-O2"]);
    let data = common::pattern((3 << 20) + 5, 42);
    let file = dir.path().join("payload");
    std::fs::write(&file, &data).unwrap();
    for strategy in ["auto", "sendfile", "mmap", "read_write"] {
        let (port, receiver) = receiver();
        let out = Command::new(&exe)
            .args([file.to_str().unwrap(), "127.0.0.1", &port, strategy])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{strategy}: {stdout} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            receiver.join().unwrap() == data,
            "{strategy}: the receiver got other bytes"
        );
        let ran = if strategy == "auto" {
            "SENDFILE"
        } else {
            &strategy.to_uppercase()
        };
        assert!(
            stdout.starts_with(&format!("sent {} bytes with {ran}", data.len())),
            "{stdout}"
        );
    }
    // Under valgrind (where installed: .ci/run installs it), no error and no definite leak.
    if Command::new("valgrind").arg("--version").output().is_ok() {
        let (port, receiver) = receiver();
        let out = Command::new("valgrind")
            .args([
                "--error-exitcode=99",
                "--leak-check=full",
                "--errors-for-leak-kinds=definite",
            ])
            .arg(&exe)
            .args([file.to_str().unwrap(), "127.0.0.1", &port, "auto"])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "valgrind: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(receiver.join().unwrap() == data);
    }
    // A bad strategy name is a usage error, not a crash.
    let out = Command::new(&exe)
        .args(["x", "127.0.0.1", "1", "zero"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
