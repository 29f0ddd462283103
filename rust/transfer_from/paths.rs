//! The paths of `transfer_from` that need no pipe: read/write (any source), and, from a file,
//! copy_file_range, sendfile and mmap. Every one writes the target at an offset and leaves its
//! own offset alone; a file source is read at offsets from where its own offset stood.

use super::{Receive, Source, RECEIVE_BUFFER};
use crate::error::{Call, Error, Side};
use crate::sys;
use crate::transfer::{write_zero, Wrote};

impl Receive<'_, '_> {
    /// Where the next byte of a file source is read: its offset when the call began, plus what
    /// moved.
    pub(super) fn source_offset(&self) -> u64 {
        match self.source {
            Source::File { at, .. } => at + self.bytes,
            Source::Stream { .. } => 0,
        }
    }

    /// `pread(2)` from a file or `read(2)` from a stream into a buffer of [`RECEIVE_BUFFER`]
    /// bytes, then `pwrite(2)`. Ends at the end of the source, and for a non-blocking stream
    /// when it has nothing ready.
    pub(super) fn read_write(&mut self) -> Result<(), Error> {
        let src = self.src;
        let mut buf =
            sys::ReadBuffer::with_capacity(self.remaining().min(RECEIVE_BUFFER as u64) as usize);
        while self.bytes < self.count {
            self.checkpoint()?;
            let want = self.remaining().min(RECEIVE_BUFFER as u64) as usize;
            let got = match self.source {
                Source::File { .. } => {
                    let at = self.source_offset();
                    self.calls
                        .call(Call::Pread, Side::Source, || buf.pread(src, want, at))?
                }
                Source::Stream { .. } => {
                    match self
                        .calls
                        .may_block(Call::Read, Side::Source, || buf.read(src, want))?
                    {
                        Wrote::WouldBlock if self.wait_ready()? => continue,
                        Wrote::WouldBlock => return Ok(()),
                        Wrote::Bytes(n) => n,
                    }
                }
            };
            if got == 0 {
                return Ok(());
            }
            self.taken = true;
            self.write_at(buf.filled())?;
        }
        Ok(())
    }

    /// Writes all of `bytes` to the target at the next offset (`pwrite(2)`, as often as it
    /// takes), counting each part as it lands.
    pub(super) fn write_at(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let dst = self.dst;
        let mut done = 0;
        while done < bytes.len() {
            let at = self.target_offset();
            let n = self.calls.call(Call::Pwrite, Side::Target, || {
                sys::pwrite(dst, &bytes[done..], at)
            })?;
            if n == 0 {
                return Err(write_zero());
            }
            done += n;
            self.bytes += n as u64;
        }
        Ok(())
    }

    /// `copy_file_range(2)` with both offsets given: the kernel copies (or shares the blocks).
    pub(super) fn copy_file_range(&mut self) -> Result<(), Error> {
        let (src, dst) = (self.src, self.dst);
        while self.bytes < self.count {
            self.checkpoint()?;
            let want = self.remaining().min(self.max_call()) as usize;
            let (mut from, mut to) = (self.source_offset(), self.target_offset());
            let n = self.calls.call(Call::CopyFileRange, Side::Target, || {
                sys::copy_file_range(dst, Some(&mut to), src, &mut from, want)
            })?;
            if n == 0 {
                return Ok(()); // the source's end (it shrank, or reported size 0)
            }
            self.bytes += n as u64;
        }
        Ok(())
    }

    /// `sendfile(2)`, which writes at its target's own offset: through a second open file
    /// description of the target (`/proc/self/fd/N`), whose offset is set to `position` and
    /// whose flags are plain `O_WRONLY`.
    pub(super) fn sendfile(&mut self) -> Result<(), Error> {
        let src = self.src;
        let dst = self.dst;
        let own = self
            .calls
            .call(Call::Open, Side::Target, || sys::reopen_for_writing(dst))?;
        let own = std::os::fd::AsFd::as_fd(&own);
        let at = self.target_offset();
        self.calls
            .call(Call::Lseek, Side::Target, || sys::seek(own, Some(at)))?;
        while self.bytes < self.count {
            self.checkpoint()?;
            let want = self.remaining().min(self.max_call()) as usize;
            let mut from = self.source_offset();
            let n = self.calls.call(Call::Sendfile, Side::Target, || {
                sys::sendfile(own, src, &mut from, want)
            })?;
            if n == 0 {
                return Ok(());
            }
            self.bytes += n as u64;
        }
        Ok(())
    }

    /// Maps windows of the source ([`crate::MMAP_WINDOW`] bytes at most) and writes each with
    /// `pwrite(2)` from the mapping. Only the kernel reads the mapped bytes, so a source that
    /// shrinks under the mapping gives `EFAULT` (the transfer ends there), never `SIGBUS`.
    pub(super) fn mmap(&mut self) -> Result<(), Error> {
        let src = self.src;
        if let Source::File { size: None, .. } = self.source {
            if self.nothing_at_source()? {
                return Ok(()); // an empty file: nothing to map
            }
            return Err(Error::Unsupported {
                strategy: crate::Strategy::Mmap,
                reason: "the source reports size 0 (a /proc file or a device), so there is no length to map",
            });
        }
        while self.bytes < self.count {
            self.checkpoint()?;
            let len = self.remaining().min(crate::MMAP_WINDOW as u64) as usize;
            let at = self.source_offset();
            let map = self
                .calls
                .call(Call::Mmap, Side::Source, || sys::Mapping::new(src, at, len))?;
            self.calls.count += 1; // the munmap when `map` drops
            match self.write_at(map.bytes()) {
                Err(Error::Os { source, .. }) if source.raw_os_error() == Some(libc::EFAULT) => {
                    return Ok(()); // the source shrank under the mapping
                }
                other => other?,
            }
        }
        Ok(())
    }
}
