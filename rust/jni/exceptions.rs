//! The one place where errors become Java exceptions: the class `FileChannel.transferTo` throws
//! in the same situation on JDK 25, and for OS errors an `IOException` whose message is the
//! system's error text ("Broken pipe"), as the JDK's own natives give.

use std::fmt;

use jni::errors::ErrorPolicy;
use jni::objects::JThrowable;
use jni::{jni_sig, jni_str, Env};

use crate::error::Side;
use crate::Error;

/// Why a native method failed.
pub(crate) enum Fault {
    Core(Error),
    /// A channel was closed by another thread after the Java-side checks.
    AsyncClosed,
    /// A negative position or count (or a kind or strategy code the Java side never passes).
    IllegalArgument,
    /// A Java exception is already pending (thrown by a callback or by JNI itself).
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

/// The system's text for an OS error, without std's " (os error N)" suffix: what the JDK's
/// natives put in their IOException messages.
fn os_text(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.rfind(" (os error ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// Throws an exception of a class with only a no-argument constructor.
fn throw_plain(env: &mut Env, class: &'static jni::strings::JNIStr) -> jni::errors::Result<()> {
    let obj = env.new_object(class, jni_sig!("()V"), &[])?;
    let throwable = env.cast_local::<JThrowable>(obj)?;
    let _ = env.throw(&throwable);
    Ok(())
}

fn throw(env: &mut Env, fault: Fault) -> jni::errors::Result<()> {
    if env.exception_check() {
        return Ok(()); // the pending exception says it best
    }
    let io = jni_str!("java/io/IOException");
    let _ = match fault {
        Fault::Core(Error::AccessMode { side: Side::Source }) => {
            return throw_plain(
                env,
                jni_str!("java/nio/channels/NonReadableChannelException"),
            )
        }
        Fault::Core(Error::AccessMode { side: Side::Target }) => {
            return throw_plain(
                env,
                jni_str!("java/nio/channels/NonWritableChannelException"),
            )
        }
        Fault::AsyncClosed => {
            return throw_plain(
                env,
                jni_str!("java/nio/channels/AsynchronousCloseException"),
            )
        }
        Fault::IllegalArgument => {
            return throw_plain(env, jni_str!("java/lang/IllegalArgumentException"))
        }
        Fault::Core(e @ Error::Unsupported { .. }) => env.throw_new(
            jni_str!("java/lang/UnsupportedOperationException"),
            jni::strings::JNIString::from(e.to_string()),
        ),
        Fault::Core(Error::Os { source, .. }) => {
            env.throw_new(io, jni::strings::JNIString::from(os_text(&source)))
        }
        other => env.throw_new(io, jni::strings::JNIString::from(other.to_string())),
    };
    Ok(())
}

/// The error policy of every native method: a [`Fault`] becomes the JDK's exception, a panic an
/// `IOException` naming it as a bug (the JVM never sees an unwind).
#[derive(Debug, Default)]
pub(crate) struct ThrowJdkException;

impl<T: Default> ErrorPolicy<T, Fault> for ThrowJdkException {
    type Captures<'unowned_env_local: 'native_method, 'native_method> = ();

    fn on_error<'unowned_env_local: 'native_method, 'native_method>(
        env: &mut Env<'unowned_env_local>,
        _cap: &mut Self::Captures<'unowned_env_local, 'native_method>,
        err: Fault,
    ) -> jni::errors::Result<T> {
        throw(env, err)?;
        Ok(T::default())
    }

    fn on_panic<'unowned_env_local: 'native_method, 'native_method>(
        env: &mut Env<'unowned_env_local>,
        _cap: &mut Self::Captures<'unowned_env_local, 'native_method>,
        payload: Box<dyn std::any::Any + Send + 'static>,
    ) -> jni::errors::Result<T> {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        std::mem::forget(payload); // dropping a panic payload may itself panic
        if !env.exception_check() {
            let _ = env.throw_new(
                jni_str!("java/io/IOException"),
                jni::strings::JNIString::from(format!(
                    "zerocopy-nio internal error (a bug): {what}"
                )),
            );
        }
        Ok(T::default())
    }
}
