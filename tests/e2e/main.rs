//! The integration suite: one test binary, one module per area.
//!
//! Every test gets its own database: a temp SQLite file, or a fresh
//! PostgreSQL schema when `TEST_DATABASE_URL` is set.

#[path = "../support/mod.rs"]
mod support;

mod access;
mod actions;
mod binary;
mod bot;
mod channels;
mod database;
mod delivery;
mod fixtures;
mod hostile;
mod market;
mod places;
mod replicas;
mod scraper;
mod supervision;
mod words;
