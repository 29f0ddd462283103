//! `transfer_from`: every strategy from every source kind into a file, with exact bytes, counts
//! and offsets. Temp files and 127.0.0.1 only.

mod common;

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::AsFd;

use common::{pattern, tcp_pair};
use zerocopy_nio::{transfer_from, Error, Strategy};

fn target() -> (File, tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("target");
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .unwrap();
    (file, dir, path)
}

#[test]
fn a_socket_arrives_at_position_by_every_stream_strategy() {
    for strategy in [Strategy::Auto, Strategy::Splice, Strategy::ReadWrite] {
        let data = pattern(3 << 20, 7);
        let (mut rx, mut tx) = tcp_pair();
        let sent = data.clone();
        let sender = std::thread::spawn(move || {
            tx.write_all(&sent).unwrap();
        });
        let (mut file, _dir, _) = target();
        file.seek(SeekFrom::Start(5)).unwrap();
        let done = transfer_from(file.as_fd(), rx.as_fd(), 100, u64::MAX, strategy).unwrap();
        sender.join().unwrap();
        assert_eq!(done.bytes, data.len() as u64, "{strategy}");
        let expected = if strategy == Strategy::Auto {
            Strategy::Splice
        } else {
            strategy
        };
        assert_eq!(done.strategy, expected);
        assert_eq!(
            file.stream_position().unwrap(),
            5,
            "the target's offset moved"
        );
        let mut got = Vec::new();
        file.seek(SeekFrom::Start(0)).unwrap();
        file.read_to_end(&mut got).unwrap();
        assert_eq!(&got[..100], &[0u8; 100][..]);
        assert!(got[100..] == data[..], "{strategy}: bytes differ");
        let mut rest = [0u8; 1];
        assert_eq!(rx.read(&mut rest).unwrap(), 0);
    }
}

#[test]
fn a_file_source_is_read_from_its_own_offset_which_advances() {
    for strategy in [
        Strategy::Auto,
        Strategy::CopyFileRange,
        Strategy::Sendfile,
        Strategy::Mmap,
        Strategy::ReadWrite,
    ] {
        let data = pattern(1 << 20, 3);
        let (mut src, _d1, _) = target();
        src.write_all(&data).unwrap();
        src.seek(SeekFrom::Start(1000)).unwrap();
        let (mut dst, _d2, _) = target();
        let done = transfer_from(dst.as_fd(), src.as_fd(), 7, u64::MAX, strategy).unwrap();
        assert_eq!(done.bytes, data.len() as u64 - 1000, "{strategy}");
        assert_eq!(src.stream_position().unwrap(), data.len() as u64);
        assert_eq!(dst.stream_position().unwrap(), 0);
        let mut got = Vec::new();
        dst.read_to_end(&mut got).unwrap();
        assert!(got[7..] == data[1000..], "{strategy}");
    }
}

#[test]
fn splice_refuses_a_file_source_only_where_bytes_would_move() {
    let (mut src, _d1, _) = target();
    src.write_all(b"abc").unwrap();
    src.seek(SeekFrom::Start(0)).unwrap();
    let (dst, _d2, _) = target();
    let refused = transfer_from(dst.as_fd(), src.as_fd(), 0, 3, Strategy::Splice);
    assert!(
        matches!(refused, Err(Error::Unsupported { .. })),
        "{refused:?}"
    );
    let nothing = transfer_from(dst.as_fd(), src.as_fd(), 0, 0, Strategy::Splice).unwrap();
    assert_eq!(nothing.bytes, 0);
}
