//! homehound watches listing sites and alerts Telegram users to new flats.
//!
//! # Layout
//!
//! - [`app`]: the three component threads of one process and how they end.
//! - [`component`]: a component's thread, runtime, pool and supervisor (restart with backoff).
//! - [`bot`]: the Telegram bot (long polling, commands).
//! - [`scraper`]: the listings scraper-notifier: sources as data (`css`,
//!   `json`, `jsonld`, presets), fetching, normalising.
//! - [`search`]: saved-search filters, their one-line syntax, matching.
//! - [`listing`]: the listing as scraped and stored, its period, validators, fill rates.
//! - [`fanout`]: who hears of a run's news (new, back on the market, price drops, channel posts).
//! - [`delivery`]: the outbox sender, the shared send gate, rendering.
//! - [`expiry`]: the subscription-expiry worker: the pass's decisions and
//!   texts (and retention's pruning).
//! - [`db`]: connections, `BEGIN IMMEDIATE` transactions, migrations, loads
//!   and stores; it imports no component (the scraper passes its matcher
//!   and texts in, the expiry worker its rows).
//! - [`metrics`]: the Prometheus registry.
//! - [`config`], [`secret`]: typed configuration; the redacted bot token.
//! - [`shutdown`]: the one shared shutdown flag.
//! - [`health`], [`http`]: liveness, `/healthz` and `/metrics`.
//! - [`texts`]: every word users read, in their language (Fluent, `locales/`);
//!   bot, delivery and expiry use it, and it imports none of them.
//! - [`telemetry`], [`cli`]: logging and the command line; [`check`]: `check-source`.

pub mod app;
pub mod bot;
pub mod chart;
pub mod check;
pub mod cli;
pub mod component;
pub mod config;
pub mod db;
pub mod delivery;
pub mod expiry;
pub mod fanout;
pub mod geo;
pub mod health;
pub mod http;
pub mod listing;
pub mod market;
pub mod metrics;
pub mod quiet;
pub mod scraper;
pub mod search;
pub mod secret;
pub mod shutdown;
pub mod telemetry;
pub mod texts;
