//! `Native.transferFrom0` and `Native.transferFromRegistered0`: the natives of
//! `ZeroCopy.transferFrom`, over the core's `transfer_from`. The Java side made the JDK's checks
//! (modes, arguments, the interrupt) in JDK 25's order before either is called.

use std::os::fd::{AsFd, BorrowedFd};

use jni::objects::{JClass, JLongArray, JObject};
use jni::sys::{jboolean, jint, jlong};
use jni::EnvUnowned;

use super::status::{with_status, Fault};
use super::{
    ask_checkpoint, buffers, checkpoint_from_raw, finish, ids, on_raw_env, outcome, pin,
    registered, Guard, Stop, FILE, FROM_READER, INTO_FILE,
};
use crate::{transfer_from_with, Options, Strategy, TargetKind, Transferred};

/// One `transferFrom` as the Java side asked for it.
struct Request {
    position: jlong,
    count: jlong,
    strategy: jint,
    /// The source channel is blocking (`SelectableChannel.isBlocking()`; a FileChannel is).
    blocking: bool,
    /// The source is a socket or pipe, not a file.
    stream: bool,
}

impl Request {
    /// Runs the transfer on descriptors that stay the channels' for the whole call: `None` when
    /// the checkpoint (answered by `ask`) saw an interrupt before a stream gave any byte.
    fn run(
        &self,
        (dst, src): (BorrowedFd, BorrowedFd),
        guard: Guard,
        ask: &mut dyn FnMut() -> Option<Stop>,
    ) -> Result<Option<Transferred>, Fault> {
        let (Ok(position), Ok(count)) = (u64::try_from(self.position), u64::try_from(self.count))
        else {
            return Err(Fault::IllegalArgument);
        };
        let strategy = Strategy::from_code(self.strategy).ok_or(Fault::IllegalArgument)?;
        let mut stop = None;
        let mut keep_going = || {
            stop = ask();
            stop.is_none()
        };
        let mut options = Options::default()
            .guard_sigpipe(false)
            .checkpoint(&mut keep_going);
        if matches!(guard, Guard::Duplicates) {
            options = options.wake_blocked_calls();
        }
        options.source_blocks = self.blocking;
        if !self.stream {
            // Both are FileChannels whose modes the Java side checked: the copy is tried first.
            options = options.target_is(TargetKind::File);
            options.source_is_file = true;
        }
        let result = transfer_from_with(dst, src, position, count, strategy, options);
        match (stop, result) {
            // JDK 25's loop returns what a stream gave before an interrupt (the read's own hook
            // closed the source); with nothing, both channels close.
            (Some(Stop::Interrupted), Ok(done)) if self.stream && done.bytes > 0 => Ok(Some(done)),
            (stop, result) => outcome(stop, result, |done| done.bytes > 0),
        }
    }
}

/// `static native long transferFrom0(FileChannel dst, Object src, long position, long count,
/// int strategy, boolean blocking, long[] report)`: on private duplicates of the descriptors
/// (a virtual thread, or a JDK without the members `JdkChannels` uses). The bytes moved, or a
/// status; `report` (if not null) receives {strategy code, kernel calls}.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_dev_zerocopy_Native_transferFrom0<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    dst: JObject<'local>,
    src: JObject<'local>,
    position: jlong,
    count: jlong,
    strategy: jint,
    blocking: jboolean,
    report: JLongArray<'local>,
) -> jlong {
    with_status(&mut env, |env| {
        let ids = ids()?;
        let (dst_fd, _) = pin(env, ids, &dst, INTO_FILE)?;
        let (src_fd, src_kind) = pin(env, ids, &src, FROM_READER)?;
        let request = Request {
            position,
            count,
            strategy,
            blocking,
            stream: src_kind != FILE,
        };
        let mut ask = || ask_checkpoint(env, ids, &src, &dst);
        let fds = (dst_fd.as_fd(), src_fd.as_fd());
        let done = request.run(fds, Guard::Duplicates, &mut ask)?;
        finish(done, |entries| {
            if !report.is_null() {
                report.set_region(env, 0, &entries)?;
            }
            Ok(())
        })
    })
}

/// `static native long transferFromRegistered0(int dstFd, int srcFd, long position, long count,
/// int strategy, boolean blocking, boolean stream, FileChannel dst, Object src, long[] report)`:
/// `transferFrom0` on descriptor numbers the caller keeps valid by its registration with both
/// channels (`dev.zerocopy.JdkChannels.transferFrom`).
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_dev_zerocopy_Native_transferFromRegistered0<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    dst_fd: jint,
    src_fd: jint,
    position: jlong,
    count: jlong,
    strategy: jint,
    blocking: jboolean,
    stream: jboolean,
    dst: JObject<'local>,
    src: JObject<'local>,
    report: JLongArray<'local>,
) -> jlong {
    let (src, dst, report) = (src.as_raw(), dst.as_raw(), report.as_raw());
    let request = Request {
        position,
        count,
        strategy,
        blocking,
        stream,
    };
    on_raw_env(&mut env, |raw| {
        ids()?;
        let (dst_fd, src_fd) = registered(dst_fd, src_fd)?;
        let mut ask = || checkpoint_from_raw(raw, src, dst);
        let done = request.run((dst_fd, src_fd), Guard::Registered, &mut ask)?;
        finish(done, |entries| {
            buffers::Raw::from_raw(raw).set_long_region(report, &entries)
        })
    })
}
