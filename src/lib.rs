//! sidtrace: find out why a person got the same SMS twice.
pub mod model;
pub mod phone;
pub mod record;
pub mod time;
pub mod twilio;
