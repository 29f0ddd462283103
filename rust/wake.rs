//! Wakes transfers blocked in the kernel, so that a checkpoint can look at them.
//!
//! A write to a socket whose peer stopped reading, or to a full pipe, blocks in the kernel until
//! the peer reads: no checkpoint runs, so neither `Thread.interrupt()` nor closing a channel from
//! another thread would stop it. (The JDK wakes such threads by signalling them from `close()`;
//! we cannot hook the JDK's `close()`, and our private duplicates keep the descriptor alive
//! anyway.) So a transfer that asks for it registers here, and one watchdog thread signals every
//! transfer that has been registered for a whole [`WAKE_INTERVAL`], once per interval: the blocked
//! call returns early (`EINTR` or a short count), the transfer runs its checkpoint, and goes on or
//! stops. Transfers shorter than an interval are never signalled, and the watchdog sleeps on a
//! condition variable while nothing is registered.
//!
//! Shared mutable state, and why: the registry is the one list the watchdog must see, so it is a
//! process-wide `Mutex`; each registration's `poked` flag is shared with the watchdog, which sets
//! it before signalling so the woken transfer knows to run its checkpoint.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use crate::sys::{self, Thread};

/// How long a transfer may stay blocked before it is woken to run its checkpoint, and how often
/// after that. The JDK's `NativeThreadSet` re-signals at the same pace while it waits for a close.
pub const WAKE_INTERVAL: Duration = Duration::from_millis(50);

struct Entry {
    thread: Thread,
    /// Shared with the registration's [`Watch`], and what identifies the entry.
    poked: Arc<AtomicBool>,
    /// Registered at the watchdog's previous look: signalled from this one on.
    seen: bool,
}

#[derive(Default)]
struct Registry {
    entries: Vec<Entry>,
    /// The watchdog waits for the registry to fill (and must be notified).
    idle: bool,
}

struct Watchdog {
    registry: Mutex<Registry>,
    filled: Condvar,
    signal: libc::c_int,
}

impl Watchdog {
    fn lock(&self) -> MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn run(&self) {
        let mut registry = self.lock();
        loop {
            while registry.entries.is_empty() {
                registry.idle = true;
                registry = self
                    .filled
                    .wait(registry)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            registry.idle = false;
            registry = self
                .filled
                .wait_timeout(registry, WAKE_INTERVAL)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
            for entry in &mut registry.entries {
                if entry.seen {
                    entry.poked.store(true, Ordering::Release);
                    // The entry is removed (under this lock) before its thread leaves the
                    // transfer, so the thread is alive.
                    sys::wake(entry.thread, self.signal);
                } else {
                    entry.seen = true;
                }
            }
        }
    }
}

/// Started on first use; `None` when no signal is usable or the thread could not start.
static WATCHDOG: OnceLock<Option<&'static Watchdog>> = OnceLock::new();

fn watchdog() -> Option<&'static Watchdog> {
    *WATCHDOG.get_or_init(|| {
        let signal = sys::wake_signal()?;
        let dog: &'static Watchdog = Box::leak(Box::new(Watchdog {
            registry: Mutex::new(Registry::default()),
            filled: Condvar::new(),
            signal,
        }));
        std::thread::Builder::new()
            .name("zerocopy-nio-wake".into())
            .spawn(move || dog.run())
            .ok()?;
        Some(dog)
    })
}

/// The calling thread's registration: woken while it lives, removed on drop.
pub struct Watch {
    dog: &'static Watchdog,
    poked: Arc<AtomicBool>,
}

impl Watch {
    /// Registers the calling thread; `None` when waking is not possible in this process (see
    /// [`sys::wake_signal`]).
    pub fn start() -> Option<Watch> {
        let dog = watchdog()?;
        let poked = Arc::new(AtomicBool::new(false));
        let mut registry = dog.lock();
        registry.entries.push(Entry {
            thread: sys::current_thread(),
            poked: Arc::clone(&poked),
            seen: false,
        });
        if registry.idle {
            registry.idle = false;
            dog.filled.notify_one();
        }
        Some(Watch { dog, poked })
    }

    /// Whether the watchdog woke this thread since the last call.
    pub fn take_poke(&self) -> bool {
        self.poked.swap(false, Ordering::Acquire)
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.dog
            .lock()
            .entries
            .retain(|e| !Arc::ptr_eq(&e.poked, &self.poked));
    }
}
