//! End-to-end tests: the binary run on the samples and on small files made
//! in a temporary directory.

mod util;

mod bad_input;
mod equality;
mod extract_cli;
mod formats_cli;
mod investigate_cli;
