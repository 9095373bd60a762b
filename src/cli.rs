//! Command line (clap).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// homehound: Telegram alerts for new flat listings.
#[derive(Debug, Parser)]
#[command(name = "homehound", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand, PartialEq, Eq)]
pub enum Command {
    /// Migrate the database, then run the bot, scraper and expiry worker until SIGINT/SIGTERM (default).
    Run,
    /// Apply pending database migrations and exit.
    Migrate {
        /// List every migration and whether it is applied; change nothing.
        #[arg(long)]
        status: bool,
    },
    /// Fetch source NAME from SOURCES_FILE once (or parse a saved page) and print its listings as JSON lines.
    CheckSource {
        /// A source name from SOURCES_FILE (any kind: css, json, a preset with overrides).
        #[arg(required_unless_present = "kind", conflicts_with = "kind")]
        name: Option<String>,
        /// A built-in kind or preset for --file (wg-gesucht, bayut, immowelt, …, jsonld).
        #[arg(long, requires = "file")]
        kind: Option<String>,
        /// A saved page or JSON answer to read instead of fetching.
        #[arg(long)]
        file: Option<PathBuf>,
        /// The page's address, for making links absolute (default: the site's home page).
        #[arg(long, requires = "file")]
        url: Option<String>,
    },
    /// Write a consistent copy of the live SQLite database to FILE (safe while homehound runs).
    Backup {
        /// The copy to write; must not exist yet.
        file: PathBuf,
    },
}

impl Cli {
    pub fn subcommand(&self) -> &Command {
        self.command.as_ref().unwrap_or(&Command::Run)
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn verify_cli() {
        <Cli as CommandFactory>::command().debug_assert();
    }

    #[test]
    fn run_is_the_default() {
        assert_eq!(Cli::parse_from(["homehound"]).subcommand(), &Command::Run);
        assert_eq!(
            Cli::parse_from(["homehound", "migrate", "--status"]).subcommand(),
            &Command::Migrate { status: true }
        );
        assert!(Cli::try_parse_from(["homehound", "check-source", "mine", "--file", "p.html"]).is_ok());
        assert!(Cli::try_parse_from(["homehound", "check-source", "--kind", "bayut", "--file", "a.json"]).is_ok());
        assert!(Cli::try_parse_from(["homehound", "check-source", "--kind", "bayut"]).is_err());
        assert!(Cli::try_parse_from(["homehound", "check-source", "mine", "--kind", "css", "--file", "p"]).is_err());
    }
}
