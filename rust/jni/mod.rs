//! The JNI face behind `dev.zerocopy.Native`: descriptor extraction from JDK channel objects,
//! argument conversion, and the funnel every native method goes through. No transfer logic: the
//! core does the transfer; `status.rs` says how a call ended, as a count or a status that
//! `dev.zerocopy.Outcome` turns into the JDK's exception.
//! Never reaches the C header (cbindgen reads only rust/capi/mod.rs).
//!
//! **No I/O on a reused descriptor.** A Java channel closed by another thread frees its fd
//! number, which the next `open` may reuse for an unrelated file. So each call reads the number
//! from `FileDescriptor.fd`, duplicates it, and then checks that the channel is still open:
//! `AbstractInterruptibleChannel.close()` sets its volatile `closed` flag *before* the channel
//! closes its descriptor, so a channel not yet closed after the `dup` proves the number was still
//! the channel's when it was duplicated. (The `FileDescriptor.fd` field alone proves nothing for
//! sockets and pipes: their natives close the number without clearing the field; a close through
//! a shared `FileDescriptor`, which does clear it first, is caught by reading the field again.)
//! All I/O then goes to the private duplicates, which stay valid whatever other threads close.
#![allow(unsafe_code)]

mod buffers;
mod send_file;
mod status;
mod transfer_from;

use std::ffi::c_void;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::OnceLock;

use jni::objects::{Global, JClass, JFieldID, JLongArray, JObject, JStaticMethodID};
use jni::signature::{JavaType, Primitive};
use jni::sys::{jint, jlong, jvalue, JNI_ERR, JNI_VERSION_1_8};
use jni::{jni_sig, jni_str, Env, EnvUnowned, JavaVM};

use crate::{
    check_access, transfer_to_with, Call, Error, Options, Side, Strategy, TargetKind, Transferred,
};
use status::{panicked, status, with_status, Fault, INTERRUPTED};

/// Field and method IDs, looked up once in `JNI_OnLoad`. The classes are the JDK's own (never
/// unloaded) and `dev.zerocopy.Native`, kept alive by a global reference.
struct Ids {
    native_class: Global<JClass<'static>>,
    /// `static int checkpoint(Object src, Object dst)` in `dev.zerocopy.Native`.
    checkpoint: JStaticMethodID,
    /// The `FileDescriptor fd` field of FileChannelImpl, SocketChannelImpl, SinkChannelImpl and
    /// SourceChannelImpl, indexed by their kind code.
    channel_fd: [JFieldID; KINDS],
    /// Those classes, in the same order: a field is read only from an instance of its class.
    channel_class: [Global<JClass<'static>>; KINDS],
    /// `int fd` in `java.io.FileDescriptor`.
    descriptor_fd: JFieldID,
    /// `volatile boolean closed` in `java.nio.channels.spi.AbstractInterruptibleChannel`.
    channel_closed: JFieldID,
    /// `int position` and `int limit` in `java.nio.Buffer`.
    buffer_position: JFieldID,
    buffer_limit: JFieldID,
    /// `byte[] hb` and `int offset` in `java.nio.ByteBuffer`: a heap buffer's array, and where
    /// its index 0 is in it.
    heap_array: JFieldID,
    heap_offset: JFieldID,
}

static IDS: OnceLock<Ids> = OnceLock::new();

fn load_ids(env: &mut Env) -> jni::errors::Result<Ids> {
    let fd_sig = jni_sig!("Ljava/io/FileDescriptor;");
    let mut channel_fd = Vec::with_capacity(KINDS);
    let mut channel_class = Vec::with_capacity(KINDS);
    for class in [
        jni_str!("sun/nio/ch/FileChannelImpl"),
        jni_str!("sun/nio/ch/SocketChannelImpl"),
        jni_str!("sun/nio/ch/SinkChannelImpl"),
        jni_str!("sun/nio/ch/SourceChannelImpl"),
    ] {
        let class = env.find_class(class)?;
        channel_fd.push(env.get_field_id(&class, jni_str!("fd"), &fd_sig)?);
        channel_class.push(env.new_global_ref(class)?);
    }
    let unknown = || jni::errors::Error::JniCall(jni::errors::JniError::Unknown);
    let channel_class: [Global<JClass<'static>>; KINDS] =
        channel_class.try_into().map_err(|_| unknown())?;
    let channel_fd: [JFieldID; KINDS] = channel_fd.try_into().map_err(|_| unknown())?;
    let descriptor = env.find_class(jni_str!("java/io/FileDescriptor"))?;
    let channel = env.find_class(jni_str!(
        "java/nio/channels/spi/AbstractInterruptibleChannel"
    ))?;
    let native = env.find_class(jni_str!("dev/zerocopy/Native"))?;
    check_shared_constants(env, &native)?;
    let buffer = env.find_class(jni_str!("java/nio/Buffer"))?;
    let byte_buffer = env.find_class(jni_str!("java/nio/ByteBuffer"))?;
    Ok(Ids {
        buffer_position: env.get_field_id(&buffer, jni_str!("position"), jni_sig!("I"))?,
        buffer_limit: env.get_field_id(&buffer, jni_str!("limit"), jni_sig!("I"))?,
        heap_array: env.get_field_id(&byte_buffer, jni_str!("hb"), jni_sig!("[B"))?,
        heap_offset: env.get_field_id(&byte_buffer, jni_str!("offset"), jni_sig!("I"))?,
        checkpoint: env.get_static_method_id(
            &native,
            jni_str!("checkpoint"),
            jni_sig!("(Ljava/lang/Object;Ljava/lang/Object;)I"),
        )?,
        native_class: env.new_global_ref(native)?,
        channel_fd,
        channel_class,
        descriptor_fd: env.get_field_id(&descriptor, jni_str!("fd"), jni_sig!("I"))?,
        channel_closed: env.get_field_id(&channel, jni_str!("closed"), jni_sig!("Z"))?,
    })
}

/// Fails unless `dev.zerocopy.Native` has the constants this library was built with.
fn check_shared_constants(env: &mut Env, native: &JClass) -> jni::errors::Result<()> {
    let mismatch = || jni::errors::Error::JniCall(jni::errors::JniError::Unknown);
    for (name, value) in SHARED_INTS {
        let name = jni::strings::JNIString::from(name);
        if jlong::from(env.get_static_field(native, &name, jni_sig!("I"))?.i()?) != value {
            return Err(mismatch());
        }
    }
    Ok(())
}

/// Caches the IDs; the library does not load (UnsatisfiedLinkError) if any is missing, or if
/// the Java classes were built with other shared constants.
#[no_mangle]
pub extern "system" fn JNI_OnLoad(vm: *mut jni::sys::JavaVM, _reserved: *mut c_void) -> jint {
    let loaded = std::panic::catch_unwind(|| {
        // SAFETY: the JVM passes its own, valid JavaVM pointer to JNI_OnLoad.
        let vm = unsafe { JavaVM::from_raw(vm) };
        vm.attach_current_thread(|env| -> jni::errors::Result<()> {
            let ids = load_ids(env)?;
            let _ = IDS.set(ids);
            Ok(())
        })
    });
    match loaded {
        Ok(Ok(())) => JNI_VERSION_1_8,
        _ => JNI_ERR,
    }
}

fn ids() -> Result<&'static Ids, Fault> {
    IDS.get().ok_or(Fault::NotInitialised)
}

/// The kind code of a JDK channel, found here from its class (the classes cached at load, in
/// [`Ids::channel_class`]): never an index the Java side chose. IllegalArgumentException for any
/// other object.
fn channel_kind(env: &mut Env, ids: &Ids, channel: &JObject) -> Result<usize, Fault> {
    if channel.is_null() {
        return Err(Fault::IllegalArgument);
    }
    for (kind, class) in ids.channel_class.iter().enumerate() {
        if env.is_instance_of(channel, class)? {
            return Ok(kind);
        }
    }
    Err(Fault::IllegalArgument)
}

/// The `FileDescriptor` of a JDK channel (never replaced: the field is final), the fd number it
/// holds now (-1 once closed), and the channel's kind code.
fn channel_fd<'local>(
    env: &mut Env<'local>,
    ids: &Ids,
    channel: &JObject,
) -> Result<(JObject<'local>, RawFd, jint), Fault> {
    let kind = channel_kind(env, ids, channel)?;
    // SAFETY: the `FileDescriptor fd` field of the class `channel` was just found to be an
    // instance of, read with its declared type.
    let descriptor =
        unsafe { env.get_field_unchecked(channel, ids.channel_fd[kind], JavaType::Object) }?.l()?;
    let fd = if descriptor.is_null() {
        -1
    } else {
        descriptor_fd(env, ids, &descriptor)?
    };
    Ok((descriptor, fd, kind as jint))
}

fn descriptor_fd(env: &mut Env, ids: &Ids, descriptor: &JObject) -> Result<RawFd, Fault> {
    // SAFETY: `descriptor_fd` is `int fd` of java.io.FileDescriptor, read as an int.
    let fd = unsafe {
        env.get_field_unchecked(
            descriptor,
            ids.descriptor_fd,
            JavaType::Primitive(Primitive::Int),
        )
    }?
    .i()?;
    Ok(fd)
}

/// A private duplicate of a JDK channel's descriptor (see the module docs for why it is safe),
/// and the channel's kind code, which must be one of `accepts` (IllegalArgumentException).
fn pin(
    env: &mut Env,
    ids: &Ids,
    channel: &JObject,
    (side, accepts): (Side, &[jint]),
) -> Result<(OwnedFd, jint), Fault> {
    let (descriptor, fd, kind) = channel_fd(env, ids, channel)?;
    if !accepts.contains(&kind) {
        return Err(Fault::IllegalArgument);
    }
    if fd < 0 {
        return Err(Fault::AsyncClosed);
    }
    // SAFETY: `fd` is non-negative. If another thread closed it meanwhile, the duplication fails
    // with EBADF and nothing else happens; if the number was reused, the second read below
    // rejects the duplicate.
    let dup = crate::sys::duplicate(unsafe { BorrowedFd::borrow_raw(fd) }, 0).map_err(|e| {
        match e.raw_os_error() {
            Some(libc::EBADF) => Fault::AsyncClosed,
            // EMFILE/ENFILE: no descriptor to spare. Unlike the C face, the Java face cannot go
            // on with the number alone (any thread may close a Java channel), so it throws
            // IOException("Too many open files").
            _ => Fault::Core(Error::os(Call::Dup, side, e)),
        }
    })?;
    // SAFETY: `channel_closed` is `boolean closed` of AbstractInterruptibleChannel, a superclass
    // of every JDK channel class `channel_kind` accepts, read as a boolean.
    let closed = unsafe {
        env.get_field_unchecked(
            channel,
            ids.channel_closed,
            JavaType::Primitive(Primitive::Boolean),
        )
    }?
    .z()?;
    if closed || descriptor_fd(env, ids, &descriptor)? != fd {
        return Err(Fault::AsyncClosed);
    }
    Ok((dup, kind))
}

/// Why the Java-side checkpoint stopped a transfer.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stop {
    Interrupted,
    Closed,
    /// The callback itself threw (an exception is pending).
    Failed,
}

/// Asks `dev.zerocopy.Native.checkpoint(src, dst)`: 0 go on, 1 interrupted, 2 a channel closed.
fn ask_checkpoint(env: &mut Env, ids: &Ids, src: &JObject, dst: &JObject) -> Option<Stop> {
    let args = [jvalue { l: src.as_raw() }, jvalue { l: dst.as_raw() }];
    // SAFETY: the method ID belongs to `native_class` and takes (Object, Object), returning int.
    let answer = unsafe {
        env.call_static_method_unchecked(
            &ids.native_class,
            ids.checkpoint,
            JavaType::Primitive(Primitive::Int),
            &args,
        )
    }
    .and_then(|v| v.i());
    match answer {
        Ok(GO_ON) => None,
        Ok(STOP_INTERRUPTED) => Some(Stop::Interrupted),
        Ok(_) => Some(Stop::Closed),
        Err(_) => Some(Stop::Failed),
    }
}

/// Kind codes of `dev.zerocopy.Native` (indexes into [`Ids::channel_fd`]).
const FILE: jint = 0;
const SOCKET: jint = 1;
const PIPE_SINK: jint = 2;
const PIPE_SOURCE: jint = 3;
const KINDS: usize = 4;

/// What each side of a call may be: the source of `transferTo` and `sendFile` (a FileChannel),
/// their target (a FileChannel, SocketChannel or Pipe.SinkChannel), and the source of
/// `transferFrom` (a FileChannel, SocketChannel or Pipe.SourceChannel; its target is a
/// FileChannel, as `FROM_FILE` says).
const FROM_FILE: (Side, &[jint]) = (Side::Source, &[FILE]);
const TO_WRITER: (Side, &[jint]) = (Side::Target, &[FILE, SOCKET, PIPE_SINK]);
const INTO_FILE: (Side, &[jint]) = (Side::Target, &[FILE]);
const FROM_READER: (Side, &[jint]) = (Side::Source, &[FILE, SOCKET, PIPE_SOURCE]);

/// `Native.checkpoint`'s answers.
const GO_ON: jint = 0;
const STOP_INTERRUPTED: jint = 1;
const STOP_CLOSED: jint = 2;

/// The `static final` fields of `dev.zerocopy.Native` that must equal these constants: checked
/// in `JNI_OnLoad`, which refuses to load the library if any differs.
const SHARED_INTS: [(&str, jlong); 17] = [
    ("FILE", FILE as jlong),
    ("SOCKET", SOCKET as jlong),
    ("PIPE_SINK", PIPE_SINK as jlong),
    ("PIPE_SOURCE", PIPE_SOURCE as jlong),
    ("GO_ON", GO_ON as jlong),
    ("STOP_INTERRUPTED", STOP_INTERRUPTED as jlong),
    ("STOP_CLOSED", STOP_CLOSED as jlong),
    ("INTERRUPTED", status::INTERRUPTED),
    ("ASYNC_CLOSED", status::ASYNC_CLOSED),
    ("ILLEGAL_ARGUMENT", status::ILLEGAL_ARGUMENT),
    ("NOT_READABLE", status::NOT_READABLE),
    ("NOT_WRITABLE", status::NOT_WRITABLE),
    ("UNSUPPORTED", status::UNSUPPORTED),
    ("IO_ERROR", status::IO_ERROR),
    ("INTERNAL_ERROR", status::INTERNAL_ERROR),
    ("STAGING_RESULTS", send_file::RESULTS as jlong),
    ("STATISTICS_LONGS", STATISTICS_LONGS as jlong),
];

/// The longs `Native.statistics0` fills: for each direction and strategy code its calls, bytes,
/// kernel calls and errors, then the fallbacks by strategy code.
const STATISTICS_LONGS: usize = crate::DIRECTIONS * crate::STRATEGIES * 4 + crate::STRATEGIES;

/// The descriptors a transfer runs on, and how they are kept from being closed under it.
enum Guard {
    /// Private duplicates (see the module docs): the channels' own close protocol is not joined.
    /// The watchdog wakes a call blocked on a stalled peer.
    Duplicates,
    /// The Java side registered this thread with both channels as the JDK's own transferTo
    /// does (`dev.zerocopy.JdkChannels`): a close waits for the call to end and signals the
    /// thread, so the numbers cannot be reused meanwhile and no watchdog is needed.
    Registered,
}

#[allow(clippy::too_many_arguments)]
fn transfer(
    env: &mut Env,
    src: &JObject,
    position: jlong,
    count: jlong,
    dst: &JObject,
    strategy: jint,
    report: &JLongArray,
) -> Result<jlong, Fault> {
    let ids = ids()?;
    let (src_fd, _) = pin(env, ids, src, FROM_FILE)?;
    let (dst_fd, dst_kind) = pin(env, ids, dst, TO_WRITER)?;
    let (Ok(position), Ok(count)) = (u64::try_from(position), u64::try_from(count)) else {
        // The JDK checks the channels' modes before the arguments.
        check_access(src_fd.as_fd(), dst_fd.as_fd())?;
        return Err(Fault::IllegalArgument);
    };
    let fds = (src_fd.as_fd(), dst_fd.as_fd());
    let mut ask = || ask_checkpoint(env, ids, src, dst);
    let done = run(
        fds,
        position,
        count,
        dst_kind,
        strategy,
        Guard::Duplicates,
        &mut ask,
    )?;
    finish(done, |entries| {
        if !report.is_null() {
            report.set_region(env, 0, &entries)?;
        }
        Ok(())
    })
}

/// The return value of a finished transfer, and its report written by `report` (strategy code,
/// kernel calls) when the transfer was not interrupted.
fn finish(
    done: Option<Transferred>,
    report: impl FnOnce([jlong; 2]) -> Result<(), Fault>,
) -> Result<jlong, Fault> {
    let Some(done) = done else {
        return Ok(INTERRUPTED);
    };
    report([done.strategy.code() as jlong, done.syscalls as jlong])?;
    // At most the clamped count, which came from a non-negative jlong.
    Ok(done.bytes as jlong)
}

/// The target kind a Java kind code names.
fn target_kind(dst_kind: jint) -> Result<TargetKind, Fault> {
    match dst_kind {
        FILE => Ok(TargetKind::File),
        SOCKET => Ok(TargetKind::Socket),
        PIPE_SINK => Ok(TargetKind::Pipe),
        _ => Err(Fault::IllegalArgument),
    }
}

/// The options every Java call runs with. The JVM ignores SIGPIPE already, so no guard. The
/// checkpoint notices an interrupt or a channel closed by another thread every few MiB, and
/// whenever a signal interrupts a call: the JDK's close signals a registered thread; the watchdog
/// signals one that is not.
fn java_options<'a>(
    keep_going: &'a mut dyn FnMut() -> bool,
    target: TargetKind,
    guard: &Guard,
) -> Options<'a> {
    let options = Options::default()
        .guard_sigpipe(false)
        .checkpoint(keep_going)
        .target_is(target);
    match guard {
        Guard::Duplicates => options.wake_blocked_calls(),
        Guard::Registered => options,
    }
}

/// What a call's checkpoint answer and result come to in Java: the result, `None` for an
/// interrupt (the Java side closes both channels), or the exception. `moved` says whether a
/// result moved any byte (a close after some bytes returns them, as the JDK does).
fn outcome<T>(
    stop: Option<Stop>,
    result: Result<T, Error>,
    moved: impl Fn(&T) -> bool,
) -> Result<Option<T>, Fault> {
    match (stop, result) {
        (Some(Stop::Interrupted), _) => Ok(None),
        (Some(Stop::Failed), _) => Err(Fault::JavaPending),
        (Some(Stop::Closed), Ok(done)) if moved(&done) => Ok(Some(done)),
        (Some(Stop::Closed), _) => Err(Fault::AsyncClosed),
        (None, Ok(done)) => Ok(Some(done)),
        (None, Err(e)) => Err(e.into()),
    }
}

/// Transfers between descriptors that stay the channels' for the whole call; `None` when the
/// checkpoint (answered by `ask`) saw an interrupt. An interrupted thread never gets here (the
/// Java side checks, in the JDK's order).
fn run(
    (src_fd, dst_fd): (BorrowedFd, BorrowedFd),
    position: u64,
    count: u64,
    dst_kind: jint,
    strategy: jint,
    guard: Guard,
    ask: &mut dyn FnMut() -> Option<Stop>,
) -> Result<Option<Transferred>, Fault> {
    let strategy = Strategy::from_code(strategy).ok_or(Fault::IllegalArgument)?;
    let target = target_kind(dst_kind)?;
    let mut stop = None;
    let mut keep_going = || {
        stop = ask();
        stop.is_none()
    };
    let options = java_options(&mut keep_going, target, &guard);
    let result = transfer_to_with(src_fd, position, count, dst_fd, strategy, options);
    if matches!(guard, Guard::Duplicates) && !matches!(result, Ok(ref done) if done.bytes > 0) {
        // Nothing moved: report a wrong mode before anything else, as the JDK does. (A
        // registered call had its modes checked from the channels' flags on the Java side.)
        check_access(src_fd, dst_fd)?;
    }
    let result = match result {
        // The file shrank between the size check and the read: the JDK returns what sendfile
        // returns then, 0.
        Err(Error::SourceEnded { .. }) if stop.is_none() => Ok(Transferred {
            bytes: 0,
            strategy,
            syscalls: 0,
        }),
        other => other,
    };
    outcome(stop, result, |done| done.bytes > 0)
}

/// Runs the usual call of a native method on the raw environment the JVM passed, with no jni-rs
/// `Env` (whose set-up and checks cost more than a small transfer's own work): its count, or the
/// status of its fault or panic (never an unwind into the JVM).
fn on_raw_env(
    env: &mut EnvUnowned,
    body: impl FnOnce(*mut jni::sys::JNIEnv) -> Result<jlong, Fault>,
) -> jlong {
    let raw = env.as_raw();
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| body(raw))) {
        Ok(Ok(n)) => n,
        Ok(Err(fault)) => status(fault),
        Err(payload) => panicked(payload),
    }
}

/// Asks the Java checkpoint from a call on the raw environment (see [`on_raw_env`]): it needs a
/// jni-rs `Env`, made here only when the core asks, every few MiB or after a signal.
fn checkpoint_from_raw(
    raw: *mut jni::sys::JNIEnv,
    src: jni::sys::jobject,
    dst: jni::sys::jobject,
) -> Option<Stop> {
    // SAFETY: `raw` is the environment the JVM passed to the native method running on this
    // thread, and `src` and `dst` are that call's local references.
    let mut env = unsafe { EnvUnowned::from_raw(raw) };
    let answer = env
        .with_env(|env| -> Result<Option<Stop>, Fault> {
            let ids = ids()?;
            // SAFETY: as above: local references of the running native call.
            let (src, dst) = unsafe { (JObject::from_raw(env, src), JObject::from_raw(env, dst)) };
            Ok(ask_checkpoint(env, ids, &src, &dst))
        })
        .into_outcome();
    match answer {
        jni::Outcome::Ok(stop) => stop,
        _ => Some(Stop::Failed),
    }
}

/// Descriptor numbers the Java side keeps valid by its registration with both channels
/// (`dev.zerocopy.JdkChannels`).
fn registered(
    src_fd: jint,
    dst_fd: jint,
) -> Result<(BorrowedFd<'static>, BorrowedFd<'static>), Fault> {
    if src_fd < 0 || dst_fd < 0 {
        return Err(Fault::AsyncClosed);
    }
    // SAFETY: non-negative, and the Java side holds both channels' close protocol for the whole
    // native call (a close waits for it to end), so each number stays the channel's descriptor
    // until the call returns, and the descriptors are used only within it. A wrong number is no
    // memory hazard: the kernel checks every descriptor it is given.
    Ok(unsafe {
        (
            BorrowedFd::borrow_raw(src_fd),
            BorrowedFd::borrow_raw(dst_fd),
        )
    })
}

/// `static native long transfer0(FileChannel src, long position, long count, Object dst,
/// int strategy, long[] report)`: the bytes moved, or -2 when interrupted. The channels' kinds
/// are found here, from their classes.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_dev_zerocopy_Native_transfer0<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    src: JObject<'local>,
    position: jlong,
    count: jlong,
    dst: JObject<'local>,
    strategy: jint,
    report: JLongArray<'local>,
) -> jlong {
    with_status(&mut env, |env| {
        transfer(env, &src, position, count, &dst, strategy, &report)
    })
}

/// `static native long checkAccess0(FileChannel src, Object dst)`: 0, or the status of a source
/// not open for reading (NOT_READABLE) or a target not open for writing (NOT_WRITABLE).
#[no_mangle]
pub extern "system" fn Java_dev_zerocopy_Native_checkAccess0<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    src: JObject<'local>,
    dst: JObject<'local>,
) -> jlong {
    with_status(&mut env, |env| {
        let ids = ids()?;
        let (src_fd, _) = pin(env, ids, &src, FROM_FILE)?;
        let (dst_fd, _) = pin(env, ids, &dst, TO_WRITER)?;
        check_access(src_fd.as_fd(), dst_fd.as_fd())?;
        Ok(0)
    })
}

/// `static native String lastErrorText0()`: the text of this thread's last IO_ERROR,
/// UNSUPPORTED or INTERNAL_ERROR status ("Broken pipe"); null if it cannot be made.
#[no_mangle]
pub extern "system" fn Java_dev_zerocopy_Native_lastErrorText0<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
) -> JObject<'local> {
    object_or_null(&mut env, |env| {
        Ok(env.new_string(status::last_error_text())?.into())
    })
}

/// Runs a native method that returns an object: the object, or null if it fails (the callers
/// treat null as "not available").
fn object_or_null<'local>(
    env: &mut EnvUnowned<'local>,
    body: impl FnOnce(&mut Env<'local>) -> Result<JObject<'local>, Fault>,
) -> JObject<'local> {
    match env.with_env(body).into_outcome() {
        jni::Outcome::Ok(object) => object,
        _ => JObject::null(),
    }
}

/// `static native long transferRegistered0(int srcFd, long position, long count, int dstFd,
/// int dstKind, int strategy, FileChannel src, Object dst, long[] report)`: `transfer0` on
/// descriptor numbers the caller keeps valid by its registration with both channels
/// (`dev.zerocopy.JdkChannels`); position and count are non-negative, the modes checked.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_dev_zerocopy_Native_transferRegistered0<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    src_fd: jint,
    position: jlong,
    count: jlong,
    dst_fd: jint,
    dst_kind: jint,
    strategy: jint,
    src: JObject<'local>,
    dst: JObject<'local>,
    report: JLongArray<'local>,
) -> jlong {
    let (src, dst, report) = (src.as_raw(), dst.as_raw(), report.as_raw());
    on_raw_env(&mut env, |raw| {
        ids()?;
        let (Ok(position), Ok(count)) = (u64::try_from(position), u64::try_from(count)) else {
            return Err(Fault::IllegalArgument);
        };
        let fds = registered(src_fd, dst_fd)?;
        let mut ask = || checkpoint_from_raw(raw, src, dst);
        let done = run(
            fds,
            position,
            count,
            dst_kind,
            strategy,
            Guard::Registered,
            &mut ask,
        )?;
        finish(done, |entries| {
            buffers::Raw::from_raw(raw).set_long_region(report, &entries)
        })
    })
}

/// `static native String strategyName0(int code)`: the name of the strategy with this code in
/// this library (`Strategy.code()` in Java must give the same name), or null.
#[no_mangle]
pub extern "system" fn Java_dev_zerocopy_Native_strategyName0<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    code: jint,
) -> JObject<'local> {
    object_or_null(&mut env, |env| match Strategy::from_code(code) {
        Some(s) => Ok(env.new_string(s.name())?.into()),
        None => Ok(JObject::null()),
    })
}

/// `static native Object trustedLookup0()`: the JDK's full-privilege
/// `MethodHandles.Lookup.IMPL_LOOKUP`, from which `dev.zerocopy.JdkChannels` takes method handles
/// on the few members of the JDK's channel classes that its own transferTo uses (JNI reads a
/// field whatever its access; no `--add-opens` is needed). Null when the field is missing.
#[no_mangle]
pub extern "system" fn Java_dev_zerocopy_Native_trustedLookup0<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
) -> JObject<'local> {
    object_or_null(&mut env, |env| {
        let lookup = env.find_class(jni_str!("java/lang/invoke/MethodHandles$Lookup"))?;
        let value = env.get_static_field(
            &lookup,
            jni_str!("IMPL_LOOKUP"),
            jni_sig!("Ljava/lang/invoke/MethodHandles$Lookup;"),
        );
        match value {
            Ok(v) => Ok(v.l()?),
            Err(jni::errors::Error::JavaException) => {
                env.exception_clear();
                Ok(JObject::null())
            }
            Err(e) => Err(e.into()),
        }
    })
}

/// `static native long statistics0(long[] out)`: fills `out` with the process-wide counters
/// (`STATISTICS_LONGS` longs, see there) and returns 0.
#[no_mangle]
pub extern "system" fn Java_dev_zerocopy_Native_statistics0<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    out: JLongArray<'local>,
) -> jlong {
    with_status(&mut env, |env| {
        let now = crate::statistics();
        let mut longs = Vec::with_capacity(STATISTICS_LONGS);
        for row in now.counters {
            for c in row {
                longs.extend([c.calls, c.bytes, c.syscalls, c.errors].map(|n| n as jlong));
            }
        }
        longs.extend(now.fallbacks.map(|n| n as jlong));
        if out.is_null() {
            return Err(Fault::IllegalArgument);
        }
        out.set_region(env, 0, &longs)?;
        Ok(0)
    })
}
