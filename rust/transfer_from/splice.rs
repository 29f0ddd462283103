//! The splice path: a pipe source is spliced straight into the file; a socket, or a file, goes
//! through a pipe this thread keeps between calls (created once, sized [`SPLICE_PIPE`]). Every call empties the
//! pipe before it returns: what it took from the socket is written to the file, by splice, else
//! by read/write; if even that fails, the pipe is closed, never kept with bytes in it. A call made
//! while another is using this thread's pipe (from a signal handler) makes a pipe of its own.

use std::cell::Cell;
use std::os::fd::AsFd;

use super::{Receive, Source};
use crate::error::{Call, Error, Side};
use crate::sys::{self, Pipe};
use crate::transfer::Wrote;

/// The size each thread's splice pipe is given (`F_SETPIPE_SZ`; a kernel that refuses it leaves
/// the default 64 KiB). Chosen by measurement (`docs/benchmarks.md`, "Receiving"): from a
/// loopback socket into a file, 1 MiB moved as much as larger pipes and more than 64 or 256 KiB.
pub const SPLICE_PIPE: usize = 1 << 20;

thread_local! {
    /// This thread's empty splice pipe, while no call is using it.
    static CACHED: Cell<Option<Pipe>> = const { Cell::new(None) };
}

/// This thread's pipe, taken out of the cache (so a call from a signal handler meanwhile makes
/// its own), or a new one.
fn take_pipe(receive: &mut Receive<'_, '_>) -> Result<Pipe, Error> {
    if let Some(pipe) = CACHED.try_with(Cell::take).ok().flatten() {
        return Ok(pipe);
    }
    receive
        .calls
        .call(Call::Pipe, Side::Source, || sys::pipe(SPLICE_PIPE))
}

/// Puts an empty pipe back for the next call on this thread (replacing one a nested call left).
fn keep_pipe(pipe: Pipe) {
    let _ = CACHED.try_with(|cached| cached.replace(Some(pipe)));
}

impl Receive<'_, '_> {
    pub(super) fn splice(&mut self) -> Result<(), Error> {
        let nonblocking = match self.source {
            Source::Stream {
                pipe: true,
                nonblocking,
            } => return self.splice_pipe(nonblocking),
            Source::Stream { nonblocking, .. } => nonblocking,
            Source::File { .. } => false,
        };
        let through = take_pipe(self)?;
        let result = self.splice_through(&through, nonblocking);
        if self.in_pipe == 0 {
            keep_pipe(through);
        }
        // Else `through` closes here, with the bytes no path could write.
        result
    }

    /// A pipe source: splice(2) from it to the file, no pipe between.
    fn splice_pipe(&mut self, nonblocking: bool) -> Result<(), Error> {
        let (src, dst) = (self.src, self.dst);
        while self.bytes < self.count {
            self.checkpoint()?;
            let want = self.remaining().min(self.max_call()) as usize;
            let mut at = self.target_offset();
            match self.calls.may_block(Call::Splice, Side::Source, || {
                sys::splice_out(src, dst, &mut at, want, nonblocking)
            })? {
                Wrote::WouldBlock if self.wait_ready()? => continue,
                Wrote::WouldBlock | Wrote::Bytes(0) => return Ok(()),
                Wrote::Bytes(n) => {
                    self.bytes += n as u64;
                    self.taken = true;
                }
            }
        }
        Ok(())
    }

    /// A socket or a file: splice(2) into the pipe what arrived (from a file: at its offset), then
    /// from the pipe into the target.
    fn splice_through(&mut self, through: &Pipe, nonblocking: bool) -> Result<(), Error> {
        let src = self.src;
        let into = through.write.as_fd();
        let file = matches!(self.source, Source::File { .. });
        while self.bytes < self.count {
            self.checkpoint()?;
            let want = self
                .remaining()
                .min(through.capacity as u64)
                .min(self.max_call()) as usize;
            let mut at = self.source_offset();
            match self.calls.may_block(Call::Splice, Side::Source, || {
                sys::splice_in(src, file.then_some(&mut at), into, want, nonblocking)
            })? {
                Wrote::WouldBlock if self.wait_ready()? => continue,
                Wrote::WouldBlock | Wrote::Bytes(0) => return Ok(()),
                Wrote::Bytes(n) => {
                    self.in_pipe = n;
                    self.taken = true;
                }
            }
            self.empty_pipe(through)?;
        }
        Ok(())
    }

    /// Writes what the pipe holds to the file: by splice(2), and where that fails, by
    /// read/write. The error of the splice when neither can.
    fn empty_pipe(&mut self, through: &Pipe) -> Result<(), Error> {
        let (from, dst) = (through.read.as_fd(), self.dst);
        while self.in_pipe > 0 {
            let mut at = self.target_offset();
            let want = self.in_pipe;
            // Not through the checkpoint: these bytes left the socket and must reach the file
            // (a call into a file with the pipe full never waits), so a signal only retries it.
            let spliced = loop {
                self.calls.count += 1;
                match sys::splice_out(from, dst, &mut at, want, false) {
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    other => break other,
                }
            };
            match spliced {
                Ok(n) if n > 0 => {
                    self.in_pipe -= n;
                    self.bytes += n as u64;
                }
                Ok(_) => return Err(crate::transfer::write_zero()),
                Err(e) => {
                    let e = Error::os(Call::Splice, Side::Target, e);
                    return self.empty_pipe_by_copy(through).map_err(|_| e);
                }
            }
        }
        Ok(())
    }

    /// The pipe emptied by `read(2)` and `pwrite(2)`, for a file the kernel cannot splice into.
    fn empty_pipe_by_copy(&mut self, through: &Pipe) -> Result<(), Error> {
        let from = through.read.as_fd();
        let mut buf = sys::ReadBuffer::with_capacity(self.in_pipe.min(super::RECEIVE_BUFFER));
        while self.in_pipe > 0 {
            let want = self.in_pipe;
            let n = self
                .calls
                .call(Call::Read, Side::Source, || buf.read(from, want))?;
            if n == 0 {
                return Err(crate::transfer::write_zero());
            }
            self.in_pipe -= n;
            self.write_at(buf.filled())?;
        }
        Ok(())
    }
}
