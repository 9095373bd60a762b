//! SeaORM entities of homehound's schema, one module per table (dense format).
//!
//! The schema itself is defined by the `migration` crate; these types mirror
//! it. String-valued enums (`kind`, `status`) are kept as `String` columns and
//! given typed constants in `status`, so the database stays readable by hand.

pub mod access_period;
pub mod admin_audit;
pub mod channel;
pub mod chat;
pub mod cursor;
pub mod dialogue;
pub mod lease;
pub mod listing;
pub mod listing_mark;
pub mod listing_price;
pub mod outbox;
pub mod payment;
pub mod prelude;
pub mod reminder_sent;
pub mod search;
pub mod source;
pub mod source_run;
pub mod status;
pub mod support_message;
pub mod told;
