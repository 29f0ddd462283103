//! [`Calls`]: how every kernel call of a transfer is made. It counts them, retries one that a
//! signal interrupted while the checkpoint says go on, turns `EAGAIN` on the write side into
//! [`Wrote::WouldBlock`], and owns the watchdog that wakes a call blocked on a stalled peer.

use std::io;

use super::CHECKPOINT_BYTES;
use crate::error::{Call, Error, Side};
use crate::sys::{FileKind, MAX_RW_COUNT};
use crate::wake::Watch;

/// How a kernel call on the write side ended, for the loops.
pub(crate) enum Wrote {
    Bytes(usize),
    /// The target is non-blocking and full: end the transfer with what has moved.
    WouldBlock,
}

/// The kernel calls of one transfer.
pub(crate) struct Calls<'cp> {
    /// Kernel calls made, failed ones and retries included.
    pub(crate) count: u64,
    checkpoint: Option<&'cp mut dyn FnMut() -> bool>,
    /// The wake-up registration, while a blocked call must not block for good.
    watch: Option<Watch>,
    /// The last write-side call found a non-blocking target full.
    pub(crate) would_block: bool,
}

impl<'cp> Calls<'cp> {
    pub(crate) fn new(checkpoint: Option<&'cp mut dyn FnMut() -> bool>) -> Self {
        Calls {
            count: 0,
            checkpoint,
            watch: None,
            would_block: false,
        }
    }

    pub(crate) fn has_checkpoint(&self) -> bool {
        self.checkpoint.is_some()
    }

    /// Starts the watchdog that wakes a call blocked on a target that can block for good (anything
    /// but a file) when `wake` asks for it and there is a checkpoint to run.
    pub(crate) fn arm_watch(&mut self, dst_kind: FileKind, wake: bool) {
        let can_block = !matches!(
            dst_kind,
            FileKind::Regular | FileKind::CharDevice | FileKind::BlockDevice
        );
        if wake && can_block && self.checkpoint.is_some() && self.watch.is_none() {
            self.watch = Watch::start();
        }
    }

    /// The most one kernel call may move: [`CHECKPOINT_BYTES`] while a checkpoint must run in
    /// between, else the kernel's own limit.
    pub(crate) fn max_call(&self) -> u64 {
        if self.has_checkpoint() {
            CHECKPOINT_BYTES
        } else {
            MAX_RW_COUNT as u64
        }
    }

    /// Runs the checkpoint once [`CHECKPOINT_BYTES`] have moved since `*checked_at` (a transfer's
    /// count when it last ran, set to `bytes` now), or when the watchdog woke a blocked call.
    pub(crate) fn checkpoint_every(
        &mut self,
        bytes: u64,
        checked_at: &mut u64,
    ) -> Result<(), Error> {
        if bytes - *checked_at >= CHECKPOINT_BYTES || self.poked() {
            *checked_at = bytes;
            self.ask_checkpoint()?;
        }
        Ok(())
    }

    /// Whether the watchdog woke a blocked call since it was last asked.
    pub(crate) fn poked(&self) -> bool {
        self.watch.as_ref().is_some_and(Watch::take_poke)
    }

    /// Runs the checkpoint now: [`Error::Stopped`] when it says stop.
    pub(crate) fn ask_checkpoint(&mut self) -> Result<(), Error> {
        if let Some(keep_going) = self.checkpoint.as_mut() {
            if !keep_going() {
                return Err(Error::Stopped);
            }
        }
        Ok(())
    }

    /// Runs one kernel call and counts it. On EINTR it asks the checkpoint and retries while
    /// that says go on; without a checkpoint, EINTR is the call's error (a C caller's signal
    /// handler, installed without `SA_RESTART`, ends the transfer as it would end `write(2)`).
    pub(crate) fn call<T>(
        &mut self,
        call: Call,
        side: Side,
        mut f: impl FnMut() -> io::Result<T>,
    ) -> Result<T, Error> {
        loop {
            self.count += 1;
            match f() {
                Err(e) if e.kind() == io::ErrorKind::Interrupted && self.checkpoint.is_some() => {
                    self.poked();
                    self.ask_checkpoint()?;
                }
                r => return r.map_err(|e| Error::os(call, side, e)),
            }
        }
    }

    /// A write-side call, with `EAGAIN` turned into [`Wrote::WouldBlock`].
    pub(crate) fn write_call(
        &mut self,
        call: Call,
        f: impl FnMut() -> io::Result<usize>,
    ) -> Result<Wrote, Error> {
        self.may_block(call, Side::Target, f)
    }

    /// A call on a side that may be non-blocking, with `EAGAIN` turned into
    /// [`Wrote::WouldBlock`] (the side has nothing to give, or no room).
    pub(crate) fn may_block(
        &mut self,
        call: Call,
        side: Side,
        f: impl FnMut() -> io::Result<usize>,
    ) -> Result<Wrote, Error> {
        match self.call(call, side, f) {
            Ok(n) => Ok(Wrote::Bytes(n)),
            Err(Error::Os { source, .. }) if source.kind() == io::ErrorKind::WouldBlock => {
                self.would_block = true;
                Ok(Wrote::WouldBlock)
            }
            Err(e) => Err(e),
        }
    }
}

/// The error of a write that took no byte of a non-empty buffer.
pub(crate) fn write_zero() -> Error {
    Error::os(
        Call::Write,
        Side::Target,
        io::Error::from(io::ErrorKind::WriteZero),
    )
}
