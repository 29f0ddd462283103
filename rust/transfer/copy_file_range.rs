//! The copy_file_range path, file to file: the kernel copies from the source at an offset to the
//! target's own offset, and where the file system can, it shares the blocks instead (a reflink on
//! XFS and Btrfs, a server-side copy on NFS).

use super::calls::Wrote;
use super::job::Job;
use crate::error::{Call, Error};
use crate::sys;

impl Job<'_, '_> {
    pub(crate) fn copy_file_range(&mut self) -> Result<(), Error> {
        let (src, dst) = (self.src, self.dst);
        while self.bytes < self.count {
            self.checkpoint()?;
            let want = self.remaining().min(self.max_call()) as usize;
            let mut offset = self.offset();
            // Its errors are reported against the target, as sendfile's are.
            match self.calls.write_call(Call::CopyFileRange, || {
                sys::copy_file_range(dst, None, src, &mut offset, want)
            })? {
                Wrote::WouldBlock => return Ok(()),
                Wrote::Bytes(0) => return self.source_ended(),
                Wrote::Bytes(n) => self.bytes += n as u64,
            }
        }
        Ok(())
    }
}
