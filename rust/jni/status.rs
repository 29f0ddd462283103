//! How a native call ends, as Java sees it: a count (bytes, 0 or more) or one of the negative
//! status codes of `dev.zerocopy.Native` (checked against these when the library loads).
//! `dev.zerocopy.Outcome` turns a status into the exception the JDK throws in that situation:
//! that Java class is the one place where outcomes become exceptions. The natives throw
//! nothing themselves; the text of an I/O error (the system's, "Broken pipe", as the JDK's own
//! natives give it) or of an internal error waits in a thread-local for `Native.lastErrorText0`.

use std::cell::RefCell;
use std::fmt;

use jni::sys::jlong;
use jni::{Env, EnvUnowned, Outcome};

use crate::error::Side;
use crate::Error;

/// The status codes (`dev.zerocopy.Native`).
pub(crate) const INTERRUPTED: jlong = -2;
pub(crate) const ASYNC_CLOSED: jlong = -3;
pub(crate) const ILLEGAL_ARGUMENT: jlong = -4;
pub(crate) const NOT_READABLE: jlong = -5;
pub(crate) const NOT_WRITABLE: jlong = -6;
pub(crate) const UNSUPPORTED: jlong = -7;
pub(crate) const IO_ERROR: jlong = -8;
pub(crate) const INTERNAL_ERROR: jlong = -9;

/// Why a native method failed.
pub(crate) enum Fault {
    Core(Error),
    /// A channel was closed by another thread after the Java-side checks.
    AsyncClosed,
    /// A negative position or count, a strategy code the Java side never passes, or an object of
    /// a class the natives do not take.
    IllegalArgument,
    /// A Java exception is already pending (thrown by a callback or by JNI itself); the JVM
    /// throws it when the native method returns, whatever it returns.
    JavaPending,
    /// A JNI call failed without a pending exception.
    Jni(jni::errors::Error),
    /// `JNI_OnLoad` did not run (the library was not loaded by `System.load`).
    NotInitialised,
}

impl From<Error> for Fault {
    fn from(e: Error) -> Self {
        Fault::Core(e)
    }
}

impl From<jni::errors::Error> for Fault {
    fn from(e: jni::errors::Error) -> Self {
        match e {
            jni::errors::Error::JavaException => Fault::JavaPending,
            e => Fault::Jni(e),
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Core(e) => write!(f, "{e}"),
            Fault::AsyncClosed => f.write_str("a channel was closed during the transfer"),
            Fault::IllegalArgument => f.write_str("illegal argument"),
            Fault::JavaPending => f.write_str("a Java exception is pending"),
            Fault::Jni(e) => write!(f, "JNI call failed: {e}"),
            Fault::NotInitialised => f.write_str("JNI_OnLoad did not run"),
        }
    }
}

thread_local! {
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

fn remember(text: String) {
    LAST_ERROR.with(|last| *last.borrow_mut() = text);
}

/// The text of this thread's last I/O, unsupported or internal error (for `lastErrorText0`).
pub(crate) fn last_error_text() -> String {
    LAST_ERROR.with(|last| last.borrow().clone())
}

/// The system's text for an OS error, without std's " (os error N)" suffix: what the JDK's
/// natives put in their IOException messages.
fn os_text(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.rfind(" (os error ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// The status of a fault (its text remembered where the status has one).
pub(crate) fn status(fault: Fault) -> jlong {
    match fault {
        Fault::Core(Error::AccessMode { side: Side::Source }) => NOT_READABLE,
        Fault::Core(Error::AccessMode { side: Side::Target }) => NOT_WRITABLE,
        Fault::AsyncClosed => ASYNC_CLOSED,
        Fault::IllegalArgument | Fault::JavaPending => ILLEGAL_ARGUMENT,
        Fault::Core(e @ Error::Unsupported { .. }) => {
            remember(e.to_string());
            UNSUPPORTED
        }
        Fault::Core(Error::Os { source, .. }) => {
            remember(os_text(&source));
            IO_ERROR
        }
        other => {
            remember(other.to_string());
            IO_ERROR
        }
    }
}

/// The status of a panic: an internal error naming it as a bug (the JVM never sees an unwind).
pub(crate) fn panicked(payload: Box<dyn std::any::Any + Send + 'static>) -> jlong {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    std::mem::forget(payload); // dropping a panic payload may itself panic
    remember(format!("zerocopy-nio internal error (a bug): {what}"));
    INTERNAL_ERROR
}

/// Runs a native method's body with a jni-rs `Env`: its count, or the status of its fault or
/// panic.
pub(crate) fn with_status<'local>(
    env: &mut EnvUnowned<'local>,
    body: impl FnOnce(&mut Env<'local>) -> Result<jlong, Fault>,
) -> jlong {
    match env.with_env(body).into_outcome() {
        Outcome::Ok(n) => n,
        Outcome::Err(fault) => status(fault),
        Outcome::Panic(payload) => panicked(payload),
    }
}
