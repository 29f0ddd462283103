//! zerocopy-nio: moves a file's bytes to a socket, a pipe or another file on Linux by
//! read/write, mmap+write or sendfile, with the semantics of `FileChannel.transferTo`.
//!
//! The safe core is [`transfer_to`]; the C face is in [`capi`] (header `include/zerocopy_nio.h`).
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod capi;
mod error;
mod strategy;
mod sys;
mod transfer;

pub use error::{Call, Error, Side};
pub use strategy::Strategy;
pub use transfer::{
    transfer_to, transfer_to_with, Options, Transferred, MMAP_WINDOW, READ_WRITE_BUFFER,
};
