//! The read/write path: `pread(2)` into a buffer of [`READ_WRITE_BUFFER`] bytes (never zeroed),
//! then `write(2)`, or `send(MSG_NOSIGNAL)` to a socket. The baseline, and AUTO's fallback.

use super::calls::{write_zero, Wrote};
use super::job::Job;
use super::READ_WRITE_BUFFER;
use crate::error::{Call, Error, Side};
use crate::sys;

impl Job<'_, '_> {
    pub(crate) fn read_write(&mut self) -> Result<(), Error> {
        let (src, dst, socket) = (self.src, self.dst, self.dst_socket);
        let capacity = self.remaining().min(READ_WRITE_BUFFER as u64) as usize;
        let mut buf = sys::ReadBuffer::with_capacity(capacity);
        while self.bytes < self.count {
            self.checkpoint()?;
            let want = self.remaining().min(READ_WRITE_BUFFER as u64) as usize;
            let offset = self.offset();
            let data = self
                .calls
                .call(Call::Pread, Side::Source, || buf.pread(src, want, offset))?;
            if data == 0 {
                return self.source_ended();
            }
            let mut written = 0;
            while written < data {
                match self.calls.write_call(Call::Write, || {
                    sys::write(dst, &buf.filled()[written..], socket)
                })? {
                    Wrote::WouldBlock => return Ok(()),
                    Wrote::Bytes(0) => return Err(write_zero()),
                    Wrote::Bytes(n) => {
                        written += n;
                        self.bytes += n as u64;
                    }
                }
            }
        }
        Ok(())
    }
}
