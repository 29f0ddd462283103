//! `Native.sendFile0`: the core's `send_file` for `ZeroCopy.sendFile`. A response's header and
//! trailer usually arrive already copied by the Java side into the thread's staging buffer (a
//! direct `ByteBuffer`, one copy of a few hundred bytes, which is what the JDK's own gathering
//! write does with heap buffers), so the call reads no Java object but that buffer; large ones
//! come as the `ByteBuffer[]` arrays themselves ([`Buffers`]).

use std::os::fd::{AsFd, BorrowedFd};

use jni::objects::{JByteBuffer, JClass, JObject, JObjectArray};
use jni::sys::{jboolean, jint, jlong};
use jni::{Env, EnvUnowned};

use super::buffers::{Buffers, Slices};
use super::exceptions::{Fault, ThrowJdkException};
use super::{
    ask_checkpoint, ids, java_options, outcome, pin, target_kind, Guard, FILE, INTERRUPTED,
};
use crate::{send_file_with, Side, Strategy};

/// The staging buffer's layout: three `long`s of results (the strategy that moved the body, the
/// kernel calls, the body's bytes), then the header's bytes, then the trailer's.
const RESULTS: usize = 24;

/// The thread's staging buffer, as the Java side filled it.
struct Staging<'a> {
    results: *mut u8,
    header: &'a [u8],
    trailer: &'a [u8],
}

impl Staging<'_> {
    /// The buffer's memory; `header_len < 0` says the header and trailer are in the arrays.
    fn new<'a>(
        env: &Env,
        staging: &'a JByteBuffer,
        header_len: jint,
        trailer_len: jint,
    ) -> Result<Staging<'a>, Fault> {
        let address = env.get_direct_buffer_address(staging)?;
        let capacity = env.get_direct_buffer_capacity(staging)?;
        let (header, trailer) = (
            usize::try_from(header_len.max(0)).map_err(|_| Fault::IllegalArgument)?,
            usize::try_from(trailer_len).map_err(|_| Fault::IllegalArgument)?,
        );
        if address.is_null() || RESULTS + header + trailer > capacity {
            return Err(Fault::IllegalArgument);
        }
        // SAFETY: the range lies within the direct buffer's `capacity` bytes (checked above),
        // which stay allocated while the buffer, an argument of this native call, is reachable.
        // Only the kernel and this function read it; the Java thread that filled it is in this
        // call, and the buffer is that thread's own.
        let (header, trailer) = unsafe {
            (
                std::slice::from_raw_parts(address.add(RESULTS), header),
                std::slice::from_raw_parts(address.add(RESULTS + header), trailer),
            )
        };
        Ok(Staging {
            results: address,
            header,
            trailer,
        })
    }

    fn write_results(&self, entries: [jlong; 3]) {
        for (i, value) in entries.into_iter().enumerate() {
            // SAFETY: the first RESULTS bytes of the buffer (checked in `new`), written unaligned.
            unsafe {
                self.results
                    .add(i * 8)
                    .cast::<jlong>()
                    .write_unaligned(value)
            };
        }
    }
}

/// `static native long sendFile0(boolean registered, int fileFd, int targetFd, long position,
/// long count, int targetKind, int strategy, ByteBuffer staging, int headerLen, int trailerLen,
/// ByteBuffer[] header, ByteBuffer[] trailer, FileChannel file, Object target)`: on the descriptor
/// numbers when `registered` (the caller holds both channels' close protocol, as for
/// `transferRegistered0`), else on private duplicates of the channels' descriptors. The header and
/// trailer are `headerLen` and `trailerLen` bytes of `staging` after its results, or, when
/// `headerLen` is negative, what remains in the two arrays. Returns the bytes written in all, or
/// -2 when interrupted, and writes the results into `staging`. The modes and arguments were
/// checked on the Java side.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_dev_zerocopy_Native_sendFile0<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    registered: jboolean,
    file_fd: jint,
    target_fd: jint,
    position: jlong,
    count: jlong,
    target_kind_code: jint,
    strategy: jint,
    staging: JByteBuffer<'local>,
    header_len: jint,
    trailer_len: jint,
    header: JObjectArray<'local>,
    trailer: JObjectArray<'local>,
    file: JObject<'local>,
    target: JObject<'local>,
) -> jlong {
    env.with_env(|env| -> Result<jlong, Fault> {
        let ids = ids()?;
        let (Ok(position), Ok(count)) = (u64::try_from(position), u64::try_from(count)) else {
            return Err(Fault::IllegalArgument);
        };
        let strategy = Strategy::from_code(strategy).ok_or(Fault::IllegalArgument)?;
        let kind = target_kind(target_kind_code)?;
        let staged = Staging::new(env, &staging, header_len, trailer_len)?;
        let buffers;
        let (header, trailer): (Slices, Slices) = if header_len < 0 {
            buffers = Buffers::read(env, ids, &header, &trailer)?;
            buffers.slices()
        } else {
            let one = |bytes| std::iter::once(std::io::IoSlice::new(bytes)).collect();
            (one(staged.header), one(staged.trailer))
        };
        let pinned;
        let (guard, file_fd, target_fd) = if registered {
            if file_fd < 0 || target_fd < 0 {
                return Err(Fault::AsyncClosed);
            }
            // SAFETY: non-negative, and the Java side holds both channels' close protocol for
            // the whole call, as for transferRegistered0.
            let fds = unsafe {
                (
                    BorrowedFd::borrow_raw(file_fd),
                    BorrowedFd::borrow_raw(target_fd),
                )
            };
            (Guard::Registered, fds.0, fds.1)
        } else {
            pinned = (
                pin(env, ids, &file, FILE, Side::Source)?,
                pin(env, ids, &target, target_kind_code, Side::Target)?,
            );
            (Guard::Duplicates, pinned.0.as_fd(), pinned.1.as_fd())
        };
        let mut stop = None;
        let mut keep_going = || {
            stop = ask_checkpoint(env, ids, &file, &target);
            stop.is_none()
        };
        let mut options = java_options(&mut keep_going, kind, &guard);
        options.source_checked = true;
        let sent = send_file_with(
            target_fd, &header, file_fd, position, count, &trailer, strategy, options,
        );
        let Some(sent) = outcome(stop, sent, |sent| sent.bytes > 0)? else {
            return Ok(INTERRUPTED);
        };
        staged.write_results([
            sent.strategy.code() as jlong,
            sent.syscalls as jlong,
            sent.body as jlong,
        ]);
        Ok(sent.bytes as jlong)
    })
    .resolve::<ThrowJdkException>()
}
