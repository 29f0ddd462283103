//! `send_file` through the Rust face: the bytes at every kind of target for every strategy, the
//! kernel calls of a small response, a `/proc` file, and an append-mode target.

mod common;

use std::io::IoSlice;
use std::os::fd::AsFd;

use common::{Kind, Source, Target};
use zerocopy_nio::{send_file, Error, Strategy, SMALL_BODY};

const HEADER: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 17\r\n\r\n";
const TRAILER: &[u8] = b"\r\n0\r\n\r\n";

#[test]
fn every_target_gets_header_body_and_trailer() {
    let size = (SMALL_BODY as usize) * 5 + 3;
    let mut src = Source::new(size);
    for kind in [
        Kind::TcpBlocking,
        Kind::UnixSocket,
        Kind::Pipe,
        Kind::File,
        Kind::AppendFile,
    ] {
        for strategy in common::EVERY_TARGET {
            for (position, count) in [
                (0u64, 7u64),
                (1, SMALL_BODY),
                (2, SMALL_BODY + 1),
                (0, u64::MAX),
            ] {
                if kind == Kind::AppendFile && strategy == Strategy::Sendfile && count > 0 {
                    continue; // below
                }
                let target = Target::new(kind);
                let header = [IoSlice::new(&HEADER[..5]), IoSlice::new(&HEADER[5..])];
                let trailer = [IoSlice::new(TRAILER)];
                let sent = send_file(
                    target.fd(),
                    &header,
                    src.fd(),
                    position,
                    count,
                    &trailer,
                    strategy,
                )
                .unwrap_or_else(|e| panic!("{strategy} to {kind:?}: {e}"));
                let body = count.min(size as u64 - position);
                assert_eq!(sent.body, body, "{strategy} to {kind:?}");
                assert_eq!(sent.bytes, (HEADER.len() + TRAILER.len()) as u64 + body);
                let mut expected = HEADER.to_vec();
                expected
                    .extend_from_slice(&src.data[position as usize..(position + body) as usize]);
                expected.extend_from_slice(TRAILER);
                let got = target.finish(sent.bytes);
                assert!(
                    got.ends_with(&expected),
                    "{strategy} to {kind:?} ({position}, {count})"
                );
                src.assert_offset_unchanged();
            }
        }
    }
}

/// A small response is the fstat of a target of unknown kind, one pread and one writev.
#[test]
fn a_small_response_is_one_read_and_one_write() {
    let src = Source::new(4096);
    let target = Target::new(Kind::TcpBlocking);
    let sent = send_file(
        target.fd(),
        &[IoSlice::new(HEADER)],
        src.fd(),
        0,
        4096,
        &[],
        Strategy::Auto,
    )
    .unwrap();
    assert_eq!((sent.strategy, sent.syscalls), (Strategy::ReadWrite, 3));
    assert_eq!(target.finish(sent.bytes).len(), HEADER.len() + 4096);
}

/// A file that reports size 0 but has content: AUTO and READ_WRITE send what it has; MMAP refuses
/// before the header is written.
#[test]
fn a_proc_file_is_read_to_its_end() {
    let proc_file = std::fs::File::open("/proc/self/status").unwrap();
    for strategy in [Strategy::Auto, Strategy::ReadWrite, Strategy::Mmap] {
        let target = Target::new(Kind::Pipe);
        let result = send_file(
            target.fd(),
            &[IoSlice::new(HEADER)],
            proc_file.as_fd(),
            0,
            u64::MAX,
            &[],
            strategy,
        );
        match strategy {
            Strategy::Mmap => {
                assert!(
                    matches!(result, Err(Error::Unsupported { .. })),
                    "{result:?}"
                );
                assert!(target.finish(0).is_empty(), "MMAP wrote before it refused");
            }
            _ => {
                let sent = result.unwrap();
                let got = target.finish(sent.bytes);
                assert!(
                    sent.body > 0 && got.starts_with(HEADER),
                    "{strategy}: {sent:?}"
                );
                assert!(String::from_utf8_lossy(&got[HEADER.len()..]).contains("Name:"));
            }
        }
    }
}

/// SENDFILE cannot write to an O_APPEND file: refused before the header, with EINVAL.
#[test]
fn sendfile_refuses_an_append_target_before_writing() {
    let src = Source::new(100);
    let target = Target::new(Kind::AppendFile);
    let err = send_file(
        target.fd(),
        &[IoSlice::new(HEADER)],
        src.fd(),
        0,
        100,
        &[],
        Strategy::Sendfile,
    )
    .unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");
    assert_eq!(err.errno(), libc::EINVAL);
    target.finish(0);
}

/// More buffers than one writev takes (IOV_MAX, 1024): every byte still goes, in order.
#[test]
fn more_buffers_than_one_call_takes() {
    let src = Source::new(5000);
    let bytes: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
    let header: Vec<IoSlice<'_>> = bytes.chunks(1).map(IoSlice::new).collect();
    for strategy in common::EVERY_TARGET {
        let target = Target::new(Kind::TcpBlocking);
        let sent = send_file(target.fd(), &header, src.fd(), 0, 5000, &header, strategy).unwrap();
        let mut expected = bytes.clone();
        expected.extend_from_slice(&src.data);
        expected.extend_from_slice(&bytes);
        assert_eq!(target.finish(sent.bytes), expected, "{strategy}");
    }
}
