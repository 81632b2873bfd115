//! sidtrace: find out why a person got the same SMS twice.
pub mod investigate;
pub mod model;
pub mod record;
pub mod time;
