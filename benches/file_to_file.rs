//! File to file, SENDFILE against COPY_FILE_RANGE and READ_WRITE, interleaved round by round: a
//! source in the page cache copied over the same target blocks (offset 0 each time, so the page
//! cache allocation of a growing file does not drown the difference). GB/s, median of the rounds.
//!
//!   cargo bench --bench file_to_file

use std::io::Seek;
use std::os::fd::AsFd;
use std::time::Instant;

use zerocopy_nio::{transfer_to, Strategy};

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let strategies = [
        Strategy::Sendfile,
        Strategy::CopyFileRange,
        Strategy::ReadWrite,
    ];
    println!(
        "file -> file (the same target blocks rewritten), 25 interleaved rounds; GB/s, median"
    );
    for size in [64usize << 10, 1 << 20, 16 << 20] {
        let src_path = dir.path().join("src");
        std::fs::write(&src_path, vec![7u8; size]).unwrap();
        let src = std::fs::File::open(&src_path).unwrap();
        let dst = std::fs::File::create(dir.path().join("dst")).unwrap();
        let batch = (64 << 20) / size;
        let mut samples = vec![Vec::new(); strategies.len()];
        for round in 0..25 {
            for k in 0..strategies.len() {
                let i = (k + round) % strategies.len();
                let t = Instant::now();
                for _ in 0..batch {
                    (&dst).seek(std::io::SeekFrom::Start(0)).unwrap();
                    let done = transfer_to(src.as_fd(), 0, size as u64, dst.as_fd(), strategies[i])
                        .unwrap();
                    assert_eq!(done.bytes, size as u64);
                }
                samples[i].push((size * batch) as f64 / t.elapsed().as_secs_f64() / 1e9);
            }
        }
        print!("{:>9}", format!("{}KiB", size >> 10));
        for (i, s) in samples.iter_mut().enumerate() {
            s.sort_by(|a, b| a.partial_cmp(b).unwrap());
            print!("  {} {:.2}", strategies[i], s[s.len() / 2]);
        }
        println!();
    }
}
