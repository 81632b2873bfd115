//! End-to-end tests: the binary run on the samples and on small files made
//! in a temporary directory.

mod util;

mod bad_input;
mod equality;
mod extract_cli;
mod format_corpus;
mod formats_cli;
mod fuzz_regressions;
mod grammars_cli;
mod hostile;
mod investigate_cli;
mod properties;
mod roles_cli;
mod scenarios;
mod sharding;
mod snapshots;
mod trust;
mod wrapped_site;
