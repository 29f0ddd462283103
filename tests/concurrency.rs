//! 2, 8 and 64 threads at once, each sending its own file to its own loopback socket with each
//! strategy; every byte checked. (The core keeps no shared mutable state but the ENOSYS flag of
//! AUTO, an atomic.)

mod common;

use std::io::Read;
use std::os::fd::AsFd;

use common::*;
use zerocopy_nio::{transfer_to, Strategy};

fn send_concurrently(threads: usize, strategy: Strategy) {
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            std::thread::spawn(move || {
                let src = Source::new((256 << 10) + 1000 * t + 7);
                let (client, mut server) = tcp_pair();
                let reader = std::thread::spawn(move || {
                    let mut got = Vec::new();
                    server.read_to_end(&mut got).unwrap();
                    got
                });
                let size = src.data.len() as u64;
                let done = transfer_to(src.fd(), 3, size, client.as_fd(), strategy).unwrap();
                assert_eq!(done.bytes, size - 3, "{strategy}, thread {t}");
                drop(client);
                assert!(
                    reader.join().unwrap() == src.data[3..],
                    "{strategy}, thread {t}: other bytes arrived"
                );
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
}

#[test]
fn threads_2_8_64_each_with_its_own_file_and_socket() {
    for threads in [2, 8, 64] {
        for strategy in common::EVERY_TARGET {
            send_concurrently(threads, strategy);
        }
    }
}
