//! One pass of the expiry worker: which reminders are due, which periods
//! ended and who is told, in the chat's language. The decisions and texts
//! are here; `db::access` loads and stores.

use std::{
    collections::{HashMap, HashSet},
    time::Duration,
};

use chrono::{DateTime, Utc};
use entity::{access_period, outbox, reminder_sent, status::outbox_kind};
use sea_orm::{ActiveValue::Set, DatabaseConnection, DbErr};

use crate::{
    db::{
        access::{self, Chain, Reminder, chain_at},
        outbox::PRIORITY_NOTICE,
        outbox::pending_row,
    },
    delivery::render::Notice,
    texts::{Lang, Texts},
};

/// What one pass of the expiry worker did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    pub reminders: u64,
    pub expired: u64,
    pub notices: u64,
}

/// A notice with the "Renew" button.
fn payload(text: String, t: Texts) -> String {
    let notice = Notice { text, action: Some((t.btn_renew(), "m:plans".to_owned())), html: true };
    serde_json::to_string(&notice).unwrap_or_default()
}

/// The time left until `end`, as a reminder says it: to the hour from a
/// day up (a "3 days" reminder sent a few minutes late still says 3 days),
/// to the minute from a minute up, else in whole seconds (rounded up: a
/// pass runs just after an offset falls due).
pub fn time_left(end: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
    let millis = (end - now).num_milliseconds().max(0) as u64;
    let secs = millis / 1_000;
    if secs < 60 {
        return Duration::from_secs(millis.div_ceil(1_000));
    }
    let unit = if secs >= 86_400 - 1_800 { 3_600 } else { 60 };
    Duration::from_secs((secs + unit / 2) / unit * unit)
}

/// One pass of the expiry worker at `now`:
///
/// - reminders: for each chat with access, the chain's end E; an offset `o`
///   is due once `now ≥ E − o`, unless `E − o` is at or before the start of
///   the period holding E (a 3-day trial gets no "3 days left" at its very
///   start). Only the nearest due offset is sent (after downtime the older
///   ones are recorded as passed, not sent). Each (period, offset) is
///   recorded in `reminders_sent` with its outbox row, so no worker sends it
///   twice; a renewal makes a new last period, so reminders follow the new end.
/// - expiry: active periods that ended are marked expired; a chat whose
///   access ended with them gets one expiry notice (keyed by the period).
///
/// Reads happen outside any write transaction and the writes are committed
/// in chunks ([`access::PASS_CHUNK`] chats), so the database's write lock
/// (SQLite) is never held for the whole pass: the bot and the scraper keep
/// writing while 100,000 chats are looked at. Each chunk is atomic (a chat's
/// reminder marks with its outbox row), and every write is idempotent, so a
/// pass that fails half-way is finished by the next one.
pub async fn pass(db: &DatabaseConnection, offsets: &[Duration], now: DateTime<Utc>) -> Result<Pass, DbErr> {
    let mut report = Pass::default();
    let (active, chats) = access::active_periods(db).await?;
    let texts = |chat_id: i64| Texts(Lang::from_code(chats.get(&chat_id).map(|c| c.language.as_str())));
    let blocked = |chat_id: i64| chats.get(&chat_id).is_some_and(|c| c.blocked);

    let mut offsets: Vec<Duration> = offsets.to_vec();
    offsets.sort();
    let mut reminders: Vec<Reminder> = Vec::new();
    let mut by_chat: HashMap<i64, Vec<&access_period::Model>> = HashMap::new();
    for p in &active {
        by_chat.entry(p.chat_id).or_default().push(p);
    }
    let chains: Vec<(i64, Chain<'_>)> =
        by_chat.iter().filter_map(|(chat, periods)| chain_at(periods, now).map(|c| (*chat, c))).collect();
    let last_ids: Vec<i64> = chains.iter().map(|(_, c)| c.last.id).collect();
    let recorded: HashSet<(i64, i64)> = access::recorded_reminders(db, &last_ids).await?;
    for (chat_id, chain) in &chains {
        let due: Vec<&Duration> = offsets
            .iter()
            .filter(|o| {
                let at = chain.end - chrono::Duration::from_std(**o).unwrap_or(chrono::Duration::MAX);
                at <= now && at > chain.last.starts_at
            })
            .collect();
        let Some(nearest) = due.first() else { continue };
        if recorded.contains(&(chain.last.id, nearest.as_secs() as i64)) {
            continue;
        }
        let marks: Vec<reminder_sent::ActiveModel> = due
            .iter()
            .filter(|o| !recorded.contains(&(chain.last.id, o.as_secs() as i64)))
            .map(|o| reminder_sent::ActiveModel {
                access_period_id: Set(chain.last.id),
                offset_secs: Set(o.as_secs() as i64),
                sent_at: Set(now),
                ..Default::default()
            })
            .collect();
        if blocked(*chat_id) {
            reminders.push((marks, None));
            continue;
        }
        let t = texts(*chat_id);
        let key = format!("reminder:{}:{}", chain.last.id, nearest.as_secs());
        // The time really left: the pass runs every few minutes (and not
        // while the process is down), so the offset is only its lower bound.
        let left = time_left(chain.end, now);
        let zone =
            chats.get(chat_id).map_or(chrono_tz::UTC, |c| crate::quiet::zone(c.timezone.as_deref(), &c.language));
        let text = payload(t.reminder(left, chain.end, zone), t);
        let row = pending_row(*chat_id, None, outbox_kind::REMINDER, key, PRIORITY_NOTICE, Some(text), now);
        reminders.push((marks, Some(row)));
        report.reminders += 1;
    }

    // Expiry: periods that ended; a notice where access ended with them.
    let ended: Vec<&access_period::Model> = active.iter().filter(|p| p.ends_at <= now).collect();
    report.expired = ended.len() as u64;
    let mut notices: HashMap<i64, outbox::ActiveModel> = HashMap::new();
    let mut told: HashSet<i64> = HashSet::new();
    for p in &ended {
        let continues = by_chat.get(&p.chat_id).is_some_and(|ps| ps.iter().any(|q| q.ends_at > now));
        if continues || blocked(p.chat_id) || !told.insert(p.chat_id) {
            continue;
        }
        let t = texts(p.chat_id);
        let (key, text) = (format!("expiry:{}", p.id), payload(t.expired(), t));
        notices.insert(p.id, pending_row(p.chat_id, None, outbox_kind::EXPIRY, key, PRIORITY_NOTICE, Some(text), now));
        report.notices += 1;
    }

    access::record_reminders(db, &reminders).await?;
    let ended_ids: Vec<i64> = ended.iter().map(|p| p.id).collect();
    access::expire_periods(db, &ended_ids, &notices, now).await?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_time_left_is_what_a_person_would_say() {
        let end = Utc::now();
        let left = |secs: i64| time_left(end, end - chrono::Duration::seconds(secs));
        // A "1 hour" reminder sent 11 minutes late.
        assert_eq!(left(49 * 60 + 10), Duration::from_secs(49 * 60));
        // A "1 day" reminder sent a few minutes late, and one after 5 hours down.
        assert_eq!(left(86_400 - 240), Duration::from_secs(86_400));
        assert_eq!(left(19 * 3_600 + 20), Duration::from_secs(19 * 3_600));
        assert_eq!(left(3 * 86_400 - 600), Duration::from_secs(3 * 86_400));
        assert_eq!(left(-5), Duration::ZERO);
        // Seconds (test configurations): rounded up.
        assert_eq!(time_left(end, end - chrono::Duration::milliseconds(7_300)), Duration::from_secs(8));
    }
}
