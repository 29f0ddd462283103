//! `Native.sendFile0`: the core's `send_file` for `ZeroCopy.sendFile`. A response's header and
//! trailer usually arrive already copied by the Java side into the thread's staging buffer (a
//! direct `ByteBuffer`, one copy of a few hundred bytes, which is what the JDK's own gathering
//! write does with heap buffers), so the call reads no Java object but that buffer; large ones
//! come as the `ByteBuffer[]` arrays themselves ([`Buffers`]).

use std::io::IoSlice;
use std::os::fd::{AsFd, BorrowedFd};

use jni::objects::{JByteBuffer, JClass, JObject, JObjectArray};
use jni::sys::{jboolean, jint, jlong, jobject};
use jni::{Env, EnvUnowned};

use super::buffers::{Buffers, Raw, Slices};
use super::status::{with_status, Fault, INTERRUPTED};
use super::{
    ask_checkpoint, checkpoint_from_raw, ids, java_options, on_raw_env, outcome, pin, registered,
    target_kind, Guard, Stop, FROM_FILE, TO_WRITER,
};
use crate::{send_file_with, Sent, Strategy, TargetKind};

/// The staging buffer's layout: three `long`s of results (the strategy that moved the body, the
/// kernel calls, the body's bytes), then the header's bytes, then the trailer's
/// (`Native.STAGING_RESULTS`, checked at load).
pub(super) const RESULTS: usize = 24;

/// The thread's staging buffer, as the Java side filled it.
struct Staging<'a> {
    results: *mut u8,
    header: &'a [u8],
    trailer: &'a [u8],
}

impl Staging<'_> {
    /// The buffer's memory; `header_len < 0` says the header and trailer are in the arrays. The
    /// slices are for the native call that received `staging` only (its caller picks `'a`).
    fn new<'a>(
        raw: &Raw,
        staging: jobject,
        header_len: jint,
        trailer_len: jint,
    ) -> Result<Staging<'a>, Fault> {
        let (address, capacity) = raw.direct(staging).ok_or(Fault::IllegalArgument)?;
        let (header, trailer) = (
            usize::try_from(header_len.max(0)).map_err(|_| Fault::IllegalArgument)?,
            usize::try_from(trailer_len).map_err(|_| Fault::IllegalArgument)?,
        );
        if (RESULTS + header + trailer) as i64 > capacity {
            return Err(Fault::IllegalArgument);
        }
        let address = address.cast_mut();
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

    fn write_results(&self, sent: &Sent) {
        let entries = [
            sent.strategy.code() as jlong,
            sent.syscalls as jlong,
            sent.body as jlong,
        ];
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

/// The arguments every call has, checked.
#[derive(Clone, Copy)]
struct Request {
    position: u64,
    count: u64,
    kind: TargetKind,
    strategy: Strategy,
}

impl Request {
    fn new(position: jlong, count: jlong, kind: jint, strategy: jint) -> Result<Request, Fault> {
        let (Ok(position), Ok(count)) = (u64::try_from(position), u64::try_from(count)) else {
            return Err(Fault::IllegalArgument);
        };
        Ok(Request {
            position,
            count,
            kind: target_kind(kind)?,
            strategy: Strategy::from_code(strategy).ok_or(Fault::IllegalArgument)?,
        })
    }

    /// Runs the core; `None` when the checkpoint saw an interrupt. `ask` answers the
    /// checkpoint.
    fn send(
        &self,
        (file, target): (BorrowedFd<'_>, BorrowedFd<'_>),
        guard: Guard,
        (header, trailer): (&[IoSlice<'_>], &[IoSlice<'_>]),
        ask: &mut dyn FnMut() -> Option<Stop>,
    ) -> Result<Option<Sent>, Fault> {
        let mut stop = None;
        let mut keep_going = || {
            stop = ask();
            stop.is_none()
        };
        let mut options = java_options(&mut keep_going, self.kind, &guard);
        options.source_checked = true;
        let (position, count, strategy) = (self.position, self.count, self.strategy);
        let sent = send_file_with(
            target, header, file, position, count, trailer, strategy, options,
        );
        outcome(stop, sent, |sent| sent.bytes > 0)
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
///
/// The usual call (registered, staged) touches no Java object but the staging buffer, so it runs
/// on the raw environment (`on_raw_env`).
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_dev_zerocopy_Native_sendFile0<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    registered_fds: jboolean,
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
    let raw = env.as_raw();
    let request = Request::new(position, count, target_kind_code, strategy);
    if !registered_fds || header_len < 0 {
        return with_status(&mut env, |env| {
            let arrays = (&header, &trailer);
            let objects = (&file, &target);
            let staged = Staging::new(
                &Raw::from_raw(raw),
                staging.as_raw(),
                header_len,
                trailer_len,
            )?;
            let sent = if registered_fds {
                let fds = registered(file_fd, target_fd)?;
                with_arrays(env, &request?, fds, Guard::Registered, arrays, objects)?
            } else {
                on_duplicates(
                    env,
                    &request?,
                    (header_len >= 0).then_some(&staged),
                    arrays,
                    objects,
                )?
            };
            Ok(finish(&staged, sent))
        });
    }
    let (file, target, staging) = (file.as_raw(), target.as_raw(), staging.as_raw());
    on_raw_env(&mut env, |raw| {
        let request = request?;
        let staged = Staging::new(&Raw::from_raw(raw), staging, header_len, trailer_len)?;
        let fds = registered(file_fd, target_fd)?;
        let mut ask = || checkpoint_from_raw(raw, file, target);
        let parts = (one(staged.header), one(staged.trailer));
        let sent = request.send(fds, Guard::Registered, (&parts.0, &parts.1), &mut ask)?;
        Ok(finish(&staged, sent))
    })
}

/// A single buffer as the core's slices.
fn one(bytes: &[u8]) -> Slices<'_> {
    std::iter::once(IoSlice::new(bytes)).collect()
}

/// The return value and results of a finished call.
fn finish(staged: &Staging, sent: Option<Sent>) -> jlong {
    match sent {
        Some(sent) => {
            staged.write_results(&sent);
            sent.bytes as jlong
        }
        None => INTERRUPTED,
    }
}

/// The registered call with the header and trailer in the arrays.
fn with_arrays(
    env: &mut Env,
    request: &Request,
    fds: (BorrowedFd<'_>, BorrowedFd<'_>),
    guard: Guard,
    (header, trailer): (&JObjectArray, &JObjectArray),
    (file, target): (&JObject, &JObject),
) -> Result<Option<Sent>, Fault> {
    let ids = ids()?;
    let buffers = Buffers::read(env, ids, header, trailer)?;
    let (header, trailer) = buffers.slices();
    let mut ask = || ask_checkpoint(env, ids, file, target);
    request.send(fds, guard, (&header, &trailer), &mut ask)
}

/// The call on private duplicates of the channels' descriptors (a virtual thread, or a JDK
/// without the members the registration needs): from `staged`, else from the arrays.
fn on_duplicates(
    env: &mut Env,
    request: &Request,
    staged: Option<&Staging>,
    arrays: (&JObjectArray, &JObjectArray),
    (file, target): (&JObject, &JObject),
) -> Result<Option<Sent>, Fault> {
    let ids = ids()?;
    let ((file_fd, _), (target_fd, kind)) = (
        pin(env, ids, file, FROM_FILE)?,
        pin(env, ids, target, TO_WRITER)?,
    );
    let fds = (file_fd.as_fd(), target_fd.as_fd());
    // The target's kind as its class says, not as the Java side claimed.
    let request = &Request {
        kind: target_kind(kind)?,
        ..*request
    };
    let Some(staged) = staged else {
        return with_arrays(env, request, fds, Guard::Duplicates, arrays, (file, target));
    };
    let (header, trailer) = (one(staged.header), one(staged.trailer));
    let mut ask = || ask_checkpoint(env, ids, file, target);
    request.send(fds, Guard::Duplicates, (&header, &trailer), &mut ask)
}
