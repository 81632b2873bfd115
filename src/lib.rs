//! sidtrace: find out why a person got the same SMS twice.
//!
//! ```text
//! paths ──input──▶ lines ──catalog (detect, parse)──▶ AccessLine / AppRecord
//!        ──extract (prefilter, two passes, link)──▶ Attempt + ContextRecord + coverage
//! --twilio ──twilio──▶ TwilioRecord
//!        ──investigate (join, verdicts)──▶ Report ──render──▶ text / json / markdown
//! ```
//!
//! Parsing never prints; the binary is a thin shell over [`app::run`].

pub mod access;
pub mod app;
pub mod applog;
pub mod catalog;
pub mod cli;
pub mod extract;
pub mod formats;
pub mod input;
pub mod intern;
pub mod interrupt;
pub mod investigate;
pub mod join;
pub mod mapfile;
pub mod model;
pub mod output;
pub mod phone;
pub mod progress;
pub mod record;
pub mod scrub;
pub mod time;
pub mod twilio;

/// Hash maps for the hot paths (a million SIDs, recipients, interned
/// texts): foldhash hashes short keys several times faster than std's
/// SipHash and still seeds each process at random.
pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
/// The set form of [`FastMap`].
pub(crate) type FastSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;
