//! Every text the bot sends, in one place. Interpolated values are
//! HTML-escaped here, never at the call site.

use std::time::Duration;

/// Escapes `&`, `<`, `>` and `"` for Telegram's HTML parse mode.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

pub fn welcome(first_name: Option<&str>, new: bool, trial: Duration) -> String {
    let greeting = match first_name {
        Some(name) => format!("Hi, {}!", escape(name)),
        None => "Hi!".to_owned(),
    };
    let trial = if new && !trial.is_zero() {
        format!("\n\nYour free trial of <b>{}</b> has started.", humantime::format_duration(trial))
    } else {
        String::new()
    };
    format!(
        "{greeting} I watch listing sites and tell you about new flats that match your searches \
         within seconds of them appearing.{trial}\n\nSend /help to see what I can do."
    )
}

pub fn help() -> String {
    "<b>homehound</b> alerts you to new listings that match your saved searches.\n\n\
     /start — register and show this bot's welcome\n\
     /help — this message"
        .to_owned()
}

pub fn unknown() -> String {
    "I did not understand that. Send /help to see what I can do.".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_html() {
        assert_eq!(escape("<b>Tom & \"Jerry\"</b>"), "&lt;b&gt;Tom &amp; &quot;Jerry&quot;&lt;/b&gt;");
    }

    #[test]
    fn welcome_escapes_the_name() {
        let text = welcome(Some("<script>"), true, Duration::from_secs(3 * 86_400));
        assert!(text.contains("&lt;script&gt;"), "{text}");
        assert!(text.contains("3days"), "{text}");
    }
}
