//! Progress on standard error: only on a terminal, never mixed into output.
//! Its messages pass the credential scrub like every other output.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::scrub::scrub;

/// A byte-counting progress bar that stays hidden when standard error is not
/// a terminal (or when asked to be quiet), so it costs nothing in pipelines.
pub struct Progress {
    bar: Option<ProgressBar>,
    files_done: AtomicU64,
    posts: AtomicU64,
    files_total: u64,
}

impl Progress {
    /// A bar over `total_bytes` of input in `files` files; shown only when
    /// `enabled` and standard error is a terminal and `CI` is unset.
    pub fn new(total_bytes: u64, files: u64, enabled: bool) -> Progress {
        let show = enabled && std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
        let bar = show.then(|| {
            let bar =
                ProgressBar::with_draw_target(Some(total_bytes), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(
                "{spinner} {msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
            bar.set_style(style);
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Progress {
            bar,
            files_done: AtomicU64::new(0),
            posts: AtomicU64::new(0),
            files_total: files,
        }
    }

    /// A progress that never shows.
    pub fn hidden() -> Progress {
        Progress::new(0, 0, false)
    }

    /// Start a phase (resets the byte count).
    pub fn phase(&self, name: &str, total_bytes: u64) {
        self.files_done.store(0, Ordering::Relaxed);
        if let Some(b) = &self.bar {
            b.set_length(total_bytes);
            b.set_position(0);
            b.set_message(scrub(name).into_owned());
        }
    }

    /// Count bytes read.
    pub fn bytes(&self, n: u64) {
        if let Some(b) = &self.bar {
            b.inc(n);
        }
    }

    /// A file is done, having shown `posts` outbound POSTs.
    pub fn file_done(&self, posts: u64) {
        let done = self.files_done.fetch_add(1, Ordering::Relaxed) + 1;
        let p = self.posts.fetch_add(posts, Ordering::Relaxed) + posts;
        if let Some(b) = &self.bar {
            let msg = format!("files {done}/{} POSTs {p}", self.files_total);
            b.set_message(scrub(&msg).into_owned());
        }
    }

    /// Remove the bar.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
