//! Process-wide statistics: for each direction (`transfer_to`, `send_file`, `transfer_from`) and
//! each strategy that ran, the calls, bytes, kernel calls and errors; for each strategy the
//! fallbacks from it. Relaxed atomic counters, a handful of `fetch_add`s per call, read as a
//! snapshot ([`statistics`]) that the C face (`zc_statistics`) and the Java face
//! (`ZeroCopy.statistics()`, the `dev.zerocopy:type=Transfers` MBean) expose.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::{Strategy, Transferred};

/// Which call a count belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// `transfer_to` (`zc_transfer_to`, `ZeroCopy.transferTo`).
    To = 0,
    /// `send_file` (`zc_send_file`, `ZeroCopy.sendFile`).
    Response = 1,
    /// `transfer_from` (`zc_transfer_from`, `ZeroCopy.transferFrom`).
    From = 2,
}

/// Directions, in index order.
pub const DIRECTIONS: usize = 3;
/// Strategies, by code (AUTO's row counts errors of AUTO calls that never chose a path).
pub const STRATEGIES: usize = Strategy::ALL.len();

/// The counters of one direction and strategy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Calls that ran this strategy and returned a count (0 included).
    pub calls: u64,
    /// Bytes they moved (for `send_file`, header and trailer included).
    pub bytes: u64,
    /// Kernel calls they made.
    pub syscalls: u64,
    /// Calls that asked for this strategy and failed (an error, no byte moved).
    pub errors: u64,
}

/// A snapshot of every counter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Statistics {
    /// `counters[direction][strategy code]`.
    pub counters: [[Counters; STRATEGIES]; DIRECTIONS],
    /// Times the kernel refused a strategy's call before the first byte and the next path ran,
    /// by the code of the strategy fallen from.
    pub fallbacks: [u64; STRATEGIES],
}

const FIELDS: usize = 4;

static COUNTERS: [[[AtomicU64; FIELDS]; STRATEGIES]; DIRECTIONS] =
    [const { [const { [const { AtomicU64::new(0) }; FIELDS] }; STRATEGIES] }; DIRECTIONS];
static FALLBACKS: [AtomicU64; STRATEGIES] = [const { AtomicU64::new(0) }; STRATEGIES];

/// Counts a finished call: its counts under the strategy that ran, or an error under the one asked
/// for.
pub(crate) fn record<E>(
    direction: Direction,
    requested: Strategy,
    result: &Result<Transferred, E>,
) {
    let row = &COUNTERS[direction as usize];
    match result {
        Ok(done) => {
            let cell = &row[done.strategy.code() as usize];
            cell[0].fetch_add(1, Ordering::Relaxed);
            cell[1].fetch_add(done.bytes, Ordering::Relaxed);
            cell[2].fetch_add(done.syscalls, Ordering::Relaxed);
        }
        Err(_) => {
            row[requested.code() as usize][3].fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Counts a fallback from `from`.
pub(crate) fn fell_back(from: Strategy) {
    FALLBACKS[from.code() as usize].fetch_add(1, Ordering::Relaxed);
}

/// A snapshot of the process-wide counters (each read on its own: a snapshot taken during
/// transfers may count a call's bytes and not yet its kernel calls).
pub fn statistics() -> Statistics {
    let mut out = Statistics::default();
    for (d, row) in COUNTERS.iter().enumerate() {
        for (s, cell) in row.iter().enumerate() {
            let [calls, bytes, syscalls, errors] =
                cell.each_ref().map(|c| c.load(Ordering::Relaxed));
            out.counters[d][s] = Counters {
                calls,
                bytes,
                syscalls,
                errors,
            };
        }
    }
    for (s, f) in FALLBACKS.iter().enumerate() {
        out.fallbacks[s] = f.load(Ordering::Relaxed);
    }
    out
}
