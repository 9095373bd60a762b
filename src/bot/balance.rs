//! Paid broadcasts spend the bot's Star balance: it is read at start and
//! every few minutes (`getMyStarBalance`). Below `PAID_BROADCAST_MIN_STARS`
//! paid sending stops (alerts go at the free rate) and the admins are told
//! once; back above, it resumes and they are told so.

use std::{sync::atomic::Ordering, time::Duration};

use teloxide::prelude::*;
use tracing::{info, warn};

use super::BotState;
use crate::{
    db,
    delivery::gate::FREE_BUDGET,
    texts::{Arg, Texts},
};

/// How often the balance is read.
const EVERY: Duration = Duration::from_secs(300);
/// The lease of the replica that tells the admins about the balance.
const BALANCE_LEASE: &str = "star-balance";
/// Bound on one `getMyStarBalance` call.
const CALL: Duration = Duration::from_secs(30);

/// Watches the balance until shutdown (only with `TELEGRAM_PAID_BROADCAST`).
pub(super) async fn watch(bot: Bot, state: std::sync::Arc<BotState>) {
    let min = state.config.paid_broadcast_min_stars;
    let rate = state.config.telegram_rate_limit;
    // Whether the admins were told the balance is too low (and not yet
    // that it recovered).
    let mut told_low = false;
    let owner: &str = &db::leases::OWNER;
    loop {
        // Every replica reads the balance (its gate may send); one tells
        // the admins: the holder of lease `star-balance`.
        let teller = matches!(db::leases::acquire_now(&state.db, BALANCE_LEASE, owner, EVERY * 2).await, Ok(Some(_)));
        match tokio::time::timeout(CALL, bot.get_my_star_balance().send()).await {
            Ok(Ok(balance)) => {
                let stars = i64::from(balance.amount);
                state.shared.star_balance.store(stars, Ordering::Release);
                crate::metrics::set(
                    "homehound_star_balance",
                    "The bot's Star balance when last read.",
                    &[],
                    stars as f64,
                );
                let enough = stars >= i64::from(min);
                state.shared.gate.set_paid(enough);
                // What to tell the admins (each in their chat's language).
                let notice = if !enough && !told_low {
                    told_low = true;
                    warn!(stars, min, "Star balance below PAID_BROADCAST_MIN_STARS; paid broadcasts paused");
                    Some("admin-balance-low")
                } else if enough && told_low {
                    told_low = false;
                    info!(stars, "Star balance enough again; paid broadcasts resumed");
                    Some("admin-balance-ok")
                } else {
                    None
                };
                if let Some(id) = notice.filter(|_| teller) {
                    let text = |t: Texts| {
                        t.msg(
                            id,
                            &[
                                ("stars", Arg::Html(&stars.to_string())),
                                ("min", Arg::Html(&min.to_string())),
                                ("free", Arg::Html(&FREE_BUDGET.to_string())),
                                ("rate", Arg::Html(&rate.to_string())),
                            ],
                        )
                    };
                    if let Err(e) = super::payments::tell_admins(&state, "star-balance", text).await {
                        warn!(error = %e, "cannot tell the admins about the Star balance");
                    }
                }
            }
            Ok(Err(e)) => {
                warn!(error = %state.config.telegram_token.scrub(&e.to_string()), "cannot read the Star balance")
            }
            Err(_) => warn!("getMyStarBalance timed out"),
        }
        if !state.shutdown.sleep(EVERY).await {
            if teller {
                let _ = db::leases::release(&state.db, BALANCE_LEASE, owner).await;
            }
            return;
        }
    }
}
