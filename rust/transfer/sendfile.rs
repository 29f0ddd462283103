//! The sendfile path: `sendfile(2)` with an offset pointer, so the bytes never enter user space
//! and the source's own offset never moves.

use super::calls::Wrote;
use super::job::Job;
use super::PIPE_CHUNK;
use crate::error::{Call, Error};
use crate::sys;

impl Job<'_, '_> {
    pub(crate) fn sendfile(&mut self) -> Result<(), Error> {
        let (src, dst) = (self.src, self.dst);
        while self.bytes < self.count {
            self.checkpoint()?;
            let mut want = self.remaining().min(self.max_call()) as usize;
            if self.dst_pipe {
                want = want.min(PIPE_CHUNK);
            }
            let mut offset = self.offset();
            // sendfile reads the source and writes the target in one call; its errors are
            // reported against the target, where they nearly always come from.
            match self.calls.write_call(Call::Sendfile, || {
                sys::sendfile(dst, src, &mut offset, want)
            })? {
                Wrote::WouldBlock => return Ok(()),
                Wrote::Bytes(0) => return self.source_ended(),
                Wrote::Bytes(n) => self.bytes += n as u64,
            }
        }
        Ok(())
    }
}
