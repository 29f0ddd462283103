//! The transfer paths a caller can ask for.

use std::ffi::CStr;
use std::fmt;

/// How the bytes travel from the source to the target.
///
/// The numeric codes are a stable contract shared with the C header (`ZC_STRATEGY_*`) and the
/// Java enum; new strategies get new codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Strategy {
    /// The best path for the target kind: [`Strategy::Sendfile`] where the kernel can, else
    /// [`Strategy::ReadWrite`]; falls back to `ReadWrite` before the first byte if the kernel
    /// refuses sendfile (`EINVAL`, `ENOSYS`, `EOPNOTSUPP`, `EXDEV`).
    Auto,
    /// `sendfile(2)` with an offset pointer: the bytes never enter user space.
    Sendfile,
    /// Map windows of the source (`mmap(2)`, at most [`crate::MMAP_WINDOW`] bytes) and `write(2)`
    /// from the mapping: one copy fewer than read/write.
    Mmap,
    /// `pread(2)` into a buffer of [`crate::READ_WRITE_BUFFER`] bytes, then `write(2)`/`send(2)`:
    /// the baseline every other path is measured against.
    ReadWrite,
    /// `copy_file_range(2)`, file to file only: the kernel copies (and where the file system can,
    /// shares the blocks: a reflink on XFS and Btrfs, a server-side copy on NFS). Where the kernel
    /// refuses it for these files before the first byte (`EXDEV`, `EINVAL`, `ENOSYS`,
    /// `EOPNOTSUPP`), the transfer goes on by sendfile, or read/write.
    CopyFileRange,
    /// `splice(2)`, into a file (`transfer_from` only): a pipe source is spliced straight into the
    /// file; a socket or a file through a pipe each thread keeps ([`crate::SPLICE_PIPE`] bytes),
    /// emptied before every call returns. The bytes never enter user space.
    Splice,
}

impl Strategy {
    /// Every strategy, in code order.
    pub const ALL: [Strategy; 6] = [
        Strategy::Auto,
        Strategy::Sendfile,
        Strategy::Mmap,
        Strategy::ReadWrite,
        Strategy::CopyFileRange,
        Strategy::Splice,
    ];

    /// The stable numeric code (`ZC_STRATEGY_*` in C, the ordinal in Java).
    pub const fn code(self) -> i32 {
        match self {
            Strategy::Auto => 0,
            Strategy::Sendfile => 1,
            Strategy::Mmap => 2,
            Strategy::ReadWrite => 3,
            Strategy::CopyFileRange => 4,
            Strategy::Splice => 5,
        }
    }

    /// The strategy with this code, or `None` for a value no strategy has.
    pub const fn from_code(code: i32) -> Option<Strategy> {
        match code {
            0 => Some(Strategy::Auto),
            1 => Some(Strategy::Sendfile),
            2 => Some(Strategy::Mmap),
            3 => Some(Strategy::ReadWrite),
            4 => Some(Strategy::CopyFileRange),
            5 => Some(Strategy::Splice),
            _ => None,
        }
    }

    /// The name used in the C header, the Java enum and reports: `c"SENDFILE"`, ...
    pub const fn c_name(self) -> &'static CStr {
        match self {
            Strategy::Auto => c"AUTO",
            Strategy::Sendfile => c"SENDFILE",
            Strategy::Mmap => c"MMAP",
            Strategy::ReadWrite => c"READ_WRITE",
            Strategy::CopyFileRange => c"COPY_FILE_RANGE",
            Strategy::Splice => c"SPLICE",
        }
    }

    /// [`Strategy::c_name`] as a `&str`.
    pub fn name(self) -> &'static str {
        // The names are ASCII literals, so the conversion cannot fail.
        self.c_name().to_str().unwrap_or("?")
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_and_appended_and_round_trip() {
        let names = [
            "AUTO",
            "SENDFILE",
            "MMAP",
            "READ_WRITE",
            "COPY_FILE_RANGE",
            "SPLICE",
        ];
        for (code, strategy) in Strategy::ALL.into_iter().enumerate() {
            assert_eq!(strategy.code(), code as i32);
            assert_eq!(Strategy::from_code(code as i32), Some(strategy));
            assert_eq!(strategy.name(), names[code]);
        }
        assert_eq!(Strategy::from_code(Strategy::ALL.len() as i32), None);
        assert_eq!(Strategy::from_code(-1), None);
    }
}
