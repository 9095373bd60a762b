//! `homehound check-source`: the operator's tool for adding a site.
//!
//! Prints every extracted listing as one JSON object per line on stdout and a
//! summary on stderr (count, and how many listings miss each field). Exits 1
//! when nothing was extracted, the page is a wall, or a field the source
//! configures is empty on every listing.

use std::{io::Write, path::Path};

use reqwest::Url;

use crate::scraper::{
    adapters::{Adapter, Page, PageOutcome},
    listing::Listing,
    sources::{self, SourceConfig},
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
    #[error("no listings extracted: {0}")]
    Empty(String),
    #[error("{0}")]
    Fetch(String),
}

/// Parses a saved page (or JSON answer) with the built-in kind or preset `kind`.
pub fn check_file(kind: &str, file: &Path, base: Option<&str>) -> Result<Checked, CheckError> {
    let home = Adapter::home(kind).unwrap_or("https://localhost/");
    let source = sources::for_kind(kind, home).map_err(|_| {
        CheckError::Usage(format!(
            "--kind {kind:?} is not a built-in kind or preset (a css or json source is checked by name: \
             check-source NAME --file …)"
        ))
    })?;
    check_source_file(&source, file, base)
}

/// Parses a saved page (or JSON answer) with a configured source.
pub fn check_source_file(source: &SourceConfig, file: &Path, base: Option<&str>) -> Result<Checked, CheckError> {
    let base = match base {
        Some(b) => Url::parse(b).map_err(|e| CheckError::Usage(format!("--url {b:?}: {e}")))?,
        None => source.url.clone(),
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
    check_page(source, &body, &base)
}

/// What a check read: the listings, and the fields the source configures
/// that are empty on every one of them (a selector or path that is wrong).
#[derive(Debug)]
pub struct Checked {
    pub listings: Vec<Listing>,
    pub empty_fields: Vec<&'static str>,
}

/// Parses a fetched page of a configured source.
pub fn check_page(source: &SourceConfig, body: &str, url: &Url) -> Result<Checked, CheckError> {
    let outcome = source.adapter.parse(&source.name, Page { body, url }, source.currency.as_deref(), source.period);
    match outcome {
        PageOutcome::Blocked(why) => Err(CheckError::Blocked(source.request.scrub(&why))),
        PageOutcome::Invalid(why) => Err(CheckError::Fetch(source.request.scrub(&why))),
        PageOutcome::Listings { listings, .. } if listings.is_empty() => {
            Err(CheckError::Empty(source.request.scrub(&source.adapter.explain_empty(Page { body, url }))))
        }
        PageOutcome::Listings { listings, .. } => {
            let empty_fields = source
                .adapter
                .configured_fields(body)
                .into_iter()
                .filter(|field| ALERT_FIELDS.contains(field) && !listings.iter().any(|l| l.has(field)))
                .collect();
            Ok(Checked { listings, empty_fields })
        }
    }
}

/// The fields an alert shows: one of these configured but empty on every
/// listing is a wrong selector or path. (`phone`, `furnished` and the like
/// are absent from many pages by nature.)
const ALERT_FIELDS: &[&str] = &["title", "price", "rooms", "area", "district", "photo"];

/// Writes the JSON lines and the summary.
pub fn report(listings: &[Listing], out: &mut impl Write, err: &mut impl Write) -> std::io::Result<()> {
    for listing in listings {
        serde_json::to_writer(&mut *out, listing)?;
        out.write_all(b"\n")?;
    }
    let n = listings.len();
    writeln!(err, "{n} listings extracted")?;
    // A title that fell back to the district counts as missing.
    for field in [
        "title",
        "price",
        "currency",
        "period",
        "monthly_price",
        "rooms",
        "area_m2",
        "district",
        "photo",
        "furnished",
        "phone",
    ] {
        let count = listings.iter().filter(|l| l.has(field)).count();
        let note = if count < n { format!(" (missing on {})", n - count) } else { String::new() };
        writeln!(err, "  {field}: {count} of {n}{note}")?;
    }
    Ok(())
}
