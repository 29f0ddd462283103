//! zerocopy-nio: moves a file's bytes to a socket, a pipe or another file on Linux by
//! read/write, mmap+write or sendfile, with the semantics of `FileChannel.transferTo`.
//!
//! The safe core is [`transfer_to`]; the C face is in [`capi`] (header `include/zerocopy_nio.h`).
//!
//! ```
//! use std::io::Read;
//! use std::os::fd::AsFd;
//! use zerocopy_nio::{transfer_to, Strategy};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = tempfile::tempdir()?;
//! # let path = dir.path().join("greeting");
//! std::fs::write(&path, b"hello, pipe")?;
//! let file = std::fs::File::open(&path)?;
//! let (mut reader, writer) = std::io::pipe()?;
//!
//! // From byte 7 to the end; AUTO picks sendfile for a pipe and says so.
//! let done = transfer_to(file.as_fd(), 7, u64::MAX, writer.as_fd(), Strategy::Auto)?;
//! assert_eq!(done.bytes, 4);
//! assert_eq!(done.strategy, Strategy::Sendfile);
//!
//! drop(writer);
//! let mut got = String::new();
//! reader.read_to_string(&mut got)?;
//! assert_eq!(got, "pipe");
//! # Ok(())
//! # }
//! ```
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod capi;
mod error;
#[cfg(feature = "jni")]
mod jni;
mod send_file;
mod stats;
mod strategy;
mod sys;
mod transfer;
mod transfer_from;
mod wake;

pub use error::{Call, Error, Side, Unusable};
pub use send_file::{send_file, send_file_with, Sent, HOLD_HEADER_MAX, SMALL_BODY};
pub use stats::{statistics, Counters, Direction, Statistics, DIRECTIONS, STRATEGIES};
pub use strategy::Strategy;
pub use transfer::{
    check_access, transfer_to, transfer_to_with, Options, TargetKind, Transferred,
    CHECKPOINT_BYTES, MMAP_WINDOW, PIPE_CHUNK, READ_WRITE_BUFFER,
};
pub use transfer_from::{
    transfer_from, transfer_from_with, RECEIVE_BUFFER, SPLICE_FILE_MIN, SPLICE_PIPE,
};
pub use wake::WAKE_INTERVAL;
