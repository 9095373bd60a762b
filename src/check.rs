//! `homehound check-source`: the operator's tool for adding a site.
//!
//! Prints every extracted listing as one JSON object per line on stdout and a
//! summary on stderr (count, and how many listings miss each field). Exits 1
//! when nothing was extracted or the page is a wall.

use std::{io::Write, path::Path};

use reqwest::Url;

use crate::scraper::{
    adapters::{Adapter, Page, PageOutcome, sites::Site},
    listing::Listing,
    sources::SourceConfig,
};

/// Largest saved page read, like the fetcher's body cap.
pub const MAX_FILE: u64 = 16 * 1024 * 1024;

/// Why a check failed; the message is for the operator.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("{0}")]
    Usage(String),
    #[error("cannot read {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("the page looks blocked: {0}")]
    Blocked(String),
    #[error("no listings extracted")]
    Empty,
    #[error("{0}")]
    Fetch(String),
}

/// Parses a saved page with the adapter of `kind`.
pub fn check_file(kind: &str, file: &Path, base: Option<&str>) -> Result<Vec<Listing>, CheckError> {
    let adapter = Adapter::builtin(kind).ok_or_else(|| {
        CheckError::Usage(format!(
            "--kind {kind:?} is not a built-in kind (a css source is checked by name from SOURCES_FILE)"
        ))
    })?;
    let base = match base {
        Some(b) => Url::parse(b).map_err(|e| CheckError::Usage(format!("--url {b:?}: {e}")))?,
        None => default_base(kind),
    };
    let read_err = |e: std::io::Error| CheckError::Read { path: file.display().to_string(), reason: e.to_string() };
    let len = std::fs::metadata(file).map_err(read_err)?.len();
    if len > MAX_FILE {
        return Err(CheckError::Read {
            path: file.display().to_string(),
            reason: format!("{len} bytes is more than the {MAX_FILE}-byte limit"),
        });
    }
    let bytes = std::fs::read(file).map_err(read_err)?;
    let body = String::from_utf8_lossy(&bytes);
    listings_of(adapter.parse(kind, Page { body: &body, url: &base }, None, None))
}

/// Parses a fetched page of a configured source.
pub fn check_page(source: &SourceConfig, body: &str, url: &Url) -> Result<Vec<Listing>, CheckError> {
    let outcome = source.adapter.parse(&source.name, Page { body, url }, source.currency.as_deref(), source.period);
    listings_of(outcome)
}

fn listings_of(outcome: PageOutcome) -> Result<Vec<Listing>, CheckError> {
    match outcome {
        PageOutcome::Blocked(why) => Err(CheckError::Blocked(why)),
        PageOutcome::Listings { listings, .. } if listings.is_empty() => Err(CheckError::Empty),
        PageOutcome::Listings { listings, .. } => Ok(listings),
    }
}

/// The site's own origin, so relative links in a saved page resolve as they
/// did on the site.
fn default_base(kind: &str) -> Url {
    let home = Site::from_kind(kind).map_or("https://localhost/", Site::home);
    Url::parse(home).unwrap_or_else(|_| Url::parse("https://localhost/").expect("constant URL"))
}

/// Writes the JSON lines and the summary.
pub fn report(listings: &[Listing], out: &mut impl Write, err: &mut impl Write) -> std::io::Result<()> {
    for listing in listings {
        serde_json::to_writer(&mut *out, listing)?;
        out.write_all(b"\n")?;
    }
    let n = listings.len();
    let missing = |f: fn(&Listing) -> bool| listings.iter().filter(|l| f(l)).count();
    let fields: [(&str, usize); 7] = [
        ("price", missing(|l| l.price.is_none())),
        ("currency", missing(|l| l.currency.is_none())),
        ("monthly_price", missing(|l| l.monthly_price.is_none())),
        ("rooms", missing(|l| l.rooms.is_none())),
        ("area_m2", missing(|l| l.area_m2.is_none())),
        ("district", missing(|l| l.district.is_none())),
        ("photo", missing(|l| l.photo.is_none())),
    ];
    writeln!(err, "{n} listings extracted")?;
    for (field, count) in fields {
        if count > 0 {
            writeln!(err, "  {field}: missing on {count} of {n}")?;
        }
    }
    Ok(())
}
