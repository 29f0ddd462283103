//! The mmap path: map windows of at most [`MMAP_WINDOW`] bytes of the source and write from the
//! mapping. Only the kernel reads the mapped bytes (inside `write(2)`), so a file that shrinks
//! under the mapping gives `EFAULT`, never `SIGBUS`.

use super::calls::{write_zero, Wrote};
use super::job::Job;
use super::probe::errno_of;
use super::MMAP_WINDOW;
use crate::error::{Call, Error, Side};
use crate::{sys, Strategy};

impl Job<'_, '_> {
    pub(crate) fn mmap(&mut self) -> Result<(), Error> {
        if !self.size_known {
            // A source reporting size 0 is either empty or of unknown length (/proc, a device):
            // one probe byte tells which, and only the empty one has anything to map (nothing).
            if self.nothing_at_position()? {
                return Ok(());
            }
            return Err(Error::Unsupported {
                strategy: Strategy::Mmap,
                reason: "the source reports size 0 but has content (a /proc file or a device), so there is no length to map",
            });
        }
        while self.bytes < self.count {
            self.checkpoint()?;
            let len = self.remaining().min(MMAP_WINDOW as u64) as usize;
            let map = self.map(len)?;
            self.calls.count += 1; // the munmap when `map` drops
            if !self.write_window(&map, len)? {
                return Ok(());
            }
        }
        Ok(())
    }

    /// Maps the next `len` bytes of the source.
    fn map(&mut self, len: usize) -> Result<sys::Mapping, Error> {
        let (src, offset) = (self.src, self.offset());
        self.calls
            .call(Call::Mmap, Side::Source, || {
                sys::Mapping::new(src, offset, len)
            })
            .map_err(|e| match errno_of(&e) {
                // mmap(2)'s word for a descriptor not open for reading; the other paths' (and
                // the contract's) is EBADF.
                Some(libc::EACCES) => Error::AccessMode { side: Side::Source },
                _ => e,
            })
    }

    /// Writes the window; false when a non-blocking target filled up first.
    fn write_window(&mut self, map: &sys::Mapping, len: usize) -> Result<bool, Error> {
        let (dst, socket) = (self.dst, self.dst_socket);
        let mut done = 0;
        while done < len {
            match self.calls.write_call(Call::Write, || {
                sys::write(dst, &map.bytes()[done..], socket)
            }) {
                Ok(Wrote::WouldBlock) => return Ok(false),
                Ok(Wrote::Bytes(0)) => return Err(write_zero()),
                Ok(Wrote::Bytes(n)) => {
                    done += n;
                    self.bytes += n as u64;
                }
                // The kernel faulted reading the mapping: the file shrank under it.
                Err(e) if errno_of(&e) == Some(libc::EFAULT) => {
                    return Err(Error::SourceEnded {
                        offset: self.offset(),
                    })
                }
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }
}
