//! 100,000 small transfers per strategy, through each entry point, leave the process as they found
//! it: the same open descriptors, no mapping of the source left, and resident memory back near its
//! start. The entry points: the core, the C face (which duplicates and closes both descriptors on
//! every call), and the core with a checkpoint and `wake_blocked_calls` (which registers with the
//! watchdog, as the Java face does). One test in its own binary, so nothing else opens files
//! meanwhile.

use std::fs::{File, OpenOptions};
use std::os::fd::{AsFd, AsRawFd};

use zerocopy_nio::capi::zc_transfer_to;
use zerocopy_nio::{transfer_to, transfer_to_with, Options, Strategy};

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn mappings_of(path: &std::path::Path) -> usize {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    maps.lines()
        .filter(|l| l.ends_with(path.to_str().unwrap()))
        .count()
}

#[test]
fn no_descriptor_mapping_or_memory_leaks_over_100k_transfers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("small");
    std::fs::write(&path, vec![7u8; 4096 + 17]).unwrap();
    let src = File::open(&path).unwrap();
    let devnull = OpenOptions::new().write(true).open("/dev/null").unwrap();
    let (reader, writer) = std::io::pipe().unwrap();
    for face in ["core", "C face", "core with wake-ups"] {
        // COPY_FILE_RANGE takes file targets only, and SPLICE is for transfer_from
        // (tests/contract.rs, tests/transfer_from.rs).
        for strategy in Strategy::ALL
            .into_iter()
            .filter(|s| !matches!(s, Strategy::CopyFileRange | Strategy::Splice))
        {
            let run = |n: usize| {
                for i in 0..n {
                    let position = (i % 17) as u64;
                    let bytes = match face {
                        "core" => {
                            transfer_to(src.as_fd(), position, 4096, devnull.as_fd(), strategy)
                                .unwrap()
                                .bytes
                        }
                        "C face" => {
                            let mut n = 0;
                            // SAFETY: valid descriptors and a valid out-pointer.
                            let rc = unsafe {
                                zc_transfer_to(
                                    src.as_raw_fd(),
                                    position,
                                    4096,
                                    devnull.as_raw_fd(),
                                    strategy.code(),
                                    &mut n,
                                )
                            };
                            assert_eq!(rc, 0);
                            n
                        }
                        _ => {
                            let mut go_on = || true;
                            let options = Options::default()
                                .checkpoint(&mut go_on)
                                .wake_blocked_calls();
                            let dst = devnull.as_fd();
                            transfer_to_with(src.as_fd(), position, 4096, dst, strategy, options)
                                .unwrap()
                                .bytes
                        }
                    };
                    assert_eq!(bytes, 4096);
                }
            };
            run(1000); // warm up allocator and caches
            let (fds, rss) = (open_fds(), rss_kib());
            run(100_000);
            assert_eq!(open_fds(), fds, "{face}, {strategy}: descriptors leaked");
            assert_eq!(
                mappings_of(&path),
                0,
                "{face}, {strategy}: a window stayed mapped"
            );
            let grown = rss_kib().saturating_sub(rss);
            assert!(
                grown < 4096,
                "{face}, {strategy}: resident memory grew by {grown} KiB"
            );
        }
    }
    // Failing calls leak nothing either.
    let fds = open_fds();
    for _ in 0..10_000 {
        assert!(transfer_to(reader.as_fd(), 0, 1, writer.as_fd(), Strategy::Auto).is_err());
    }
    assert_eq!(open_fds(), fds);
}
