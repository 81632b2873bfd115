//! Ctrl-C: the binary's signal handler raises a flag; the reading loops
//! look at it (once per read of a file's bytes) and stop, and the command
//! ends with [`crate::app::exit::INTERRUPTED`] without writing output.

use std::sync::atomic::{AtomicBool, Ordering};

static STOP: AtomicBool = AtomicBool::new(false);

/// Ask every reading loop to stop.
pub fn request() {
    STOP.store(true, Ordering::Relaxed);
}

/// Whether a stop was asked for.
pub fn requested() -> bool {
    STOP.load(Ordering::Relaxed)
}

/// The error readers return once a stop was asked for.
pub fn error() -> std::io::Error {
    std::io::Error::other("interrupted")
}
