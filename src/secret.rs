//! The bot token, kept out of logs, errors and panic messages.

use std::fmt;

/// The Telegram bot token. `Debug` and `Display` print `[redacted]`; the only
/// way to read it is [`BotToken::expose`], used where the token goes on the
/// wire.
#[derive(Clone, PartialEq, Eq)]
pub struct BotToken(String);

impl BotToken {
    /// Wraps a token that looks like `123456789:AA…` (digits, a colon, a secret).
    ///
    /// The error never contains the value.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let raw = raw.trim();
        let Some((id, secret)) = raw.split_once(':') else {
            return Err("it has no ':' (a token looks like 123456789:AAE…)");
        };
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err("the part before ':' must be the bot's numeric id (a token looks like 123456789:AAE…)");
        }
        if secret.len() < 10 || !secret.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
            return Err("the part after ':' is not a token secret (a token looks like 123456789:AAE…)");
        }
        Ok(Self(raw.to_owned()))
    }

    /// The token itself, for building the Telegram client only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with every occurrence of the token (and of its secret half)
    /// replaced, as a last line of defence for error texts from libraries.
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.replace(&self.0, "[redacted]");
        if let Some((_, secret)) = self.0.split_once(':') {
            out = out.replace(secret, "[redacted]");
        }
        out
    }
}

impl fmt::Debug for BotToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BotToken([redacted])")
    }
}

impl fmt::Display for BotToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "123456789:AAEhBOweik6ad9r_QXMENQjcrGbqCr4K-6s";

    #[test]
    fn debug_and_display_never_show_the_token() {
        let token = BotToken::parse(TOKEN).unwrap();
        let shown = format!("{token} {token:?} {:?}", Some(&token));
        assert!(!shown.contains("AAEh"), "{shown}");
        assert!(!shown.contains("123456789"), "{shown}");
    }

    #[test]
    fn parse_rejects_malformed_tokens_without_echoing_them() {
        for bad in ["", "abc", "12345:", "abc:AAEhBOweik6ad9r", "123:short", "123:has space here"] {
            let err = BotToken::parse(bad).unwrap_err();
            assert!(bad.is_empty() || !err.contains(bad), "{err}");
        }
        assert_eq!(BotToken::parse(&format!(" {TOKEN}\n")).unwrap().expose(), TOKEN);
    }

    #[test]
    fn scrub_removes_token_and_secret() {
        let token = BotToken::parse(TOKEN).unwrap();
        let text = format!("error for url https://api/bot{TOKEN}/GetMe and AAEhBOweik6ad9r_QXMENQjcrGbqCr4K-6s");
        let clean = token.scrub(&text);
        assert!(!clean.contains("AAEh"), "{clean}");
    }
}
