//! Quiet hours: a window of the chat's local day in which alerts are held
//! and sent as one digest when it ends.

use chrono::{DateTime, Timelike, Utc};
use chrono_tz::Tz;

/// A chat's quiet hours: from `from` to `to`, minutes after local midnight
/// (`from > to` spans midnight: 23:00–08:00).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    pub from: u16,
    pub to: u16,
}

impl QuietHours {
    /// `HH:MM-HH:MM` (also with `–`); `None` for anything else or an empty
    /// window.
    pub fn parse(text: &str) -> Option<Self> {
        let (a, b) = text.trim().split_once(['-', '–'])?;
        let minutes = |t: &str| -> Option<u16> {
            let (h, m) = t.trim().split_once(':')?;
            let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
            (h < 24 && m < 60).then_some(h * 60 + m)
        };
        let (from, to) = (minutes(a)?, minutes(b)?);
        (from != to).then_some(Self { from, to })
    }

    /// From the stored columns.
    pub fn from_columns(from: Option<i32>, to: Option<i32>) -> Option<Self> {
        let valid = |m: i32| u16::try_from(m).ok().filter(|m| *m < 24 * 60);
        Some(Self { from: valid(from?)?, to: valid(to?)? }).filter(|q| q.from != q.to)
    }

    /// Whether `now` falls in the window in time zone `tz`.
    pub fn covers(&self, tz: Tz, now: DateTime<Utc>) -> bool {
        let local = now.with_timezone(&tz);
        let m = (local.hour() * 60 + local.minute()) as u16;
        if self.from < self.to { m >= self.from && m < self.to } else { m >= self.from || m < self.to }
    }

    /// "23:00–08:00".
    pub fn display(&self) -> String {
        format!("{:02}:{:02}–{:02}:{:02}", self.from / 60, self.from % 60, self.to / 60, self.to % 60)
    }
}

/// The chat's time zone: the one it set, else one from its language
/// (Russian: Moscow), else UTC.
pub fn zone(stored: Option<&str>, language: &str) -> Tz {
    if let Some(tz) = stored.and_then(|s| s.parse::<Tz>().ok()) {
        return tz;
    }
    match language.get(..2) {
        Some("ru") => chrono_tz::Europe::Moscow,
        _ => chrono_tz::UTC,
    }
}

/// Whether a chat with these settings is in its quiet hours now.
pub fn is_quiet(
    from: Option<i32>,
    to: Option<i32>,
    timezone: Option<&str>,
    language: &str,
    now: DateTime<Utc>,
) -> bool {
    QuietHours::from_columns(from, to).is_some_and(|q| q.covers(zone(timezone, language), now))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn windows_parse_and_span_midnight() {
        let night = QuietHours::parse("23:00-08:00").unwrap();
        assert_eq!(night, QuietHours { from: 23 * 60, to: 8 * 60 });
        assert_eq!(night.display(), "23:00–08:00");
        for bad in ["23-8", "25:00-08:00", "10:00-10:00", "", "off", "10:60-11:00"] {
            assert_eq!(QuietHours::parse(bad), None, "{bad}");
        }
        let at = |h, m| Utc.with_ymd_and_hms(2026, 12, 6, h, m, 0).unwrap();
        assert!(night.covers(chrono_tz::UTC, at(23, 30)));
        assert!(night.covers(chrono_tz::UTC, at(7, 59)));
        assert!(!night.covers(chrono_tz::UTC, at(8, 0)));
        assert!(!night.covers(chrono_tz::UTC, at(12, 0)));
        // 21:30 UTC is 22:30 in Berlin (winter): not yet quiet; 22:30 UTC is.
        assert!(!night.covers(chrono_tz::Europe::Berlin, at(21, 30)));
        assert!(night.covers(chrono_tz::Europe::Berlin, at(22, 30)));
        let lunch = QuietHours::parse("12:00–13:30").unwrap();
        assert!(lunch.covers(chrono_tz::UTC, at(13, 0)) && !lunch.covers(chrono_tz::UTC, at(13, 30)));
    }

    #[test]
    fn the_zone_comes_from_the_chat_or_its_language() {
        assert_eq!(zone(Some("Europe/Berlin"), "ru"), chrono_tz::Europe::Berlin);
        assert_eq!(zone(None, "ru-RU"), chrono_tz::Europe::Moscow);
        assert_eq!(zone(Some("Mars/Base"), "en"), chrono_tz::UTC);
    }
}
