//! Command line (clap).

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
    }
}
