//! Plans paid with Telegram Stars: `/plans`, the invoice, the pre-checkout
//! check, the successful payment, and the admin's refund.
//!
//! The invoice payload names the plan and the chat (`plan:<name>:<chat>`);
//! what a payment buys is always read from its payload and the configured
//! plans, never from conversation state.

use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::payment;
use teloxide::{
    ApiError, RequestError,
    prelude::*,
    types::{
        LabeledPrice, PreCheckoutQuery, SuccessfulPayment, TelegramTransactionId, TransactionPartner, User, UserId,
    },
};
use tracing::{error, info, warn};

use super::{
    BotError, BotState,
    ctx::{Ctx, ensure_chat, reader_of, texts_of},
    wizard::Keyboard,
};
use crate::{
    config::Plan,
    db::{
        self,
        payments::{Applied, Charge},
    },
    texts::{Arg, Lang, Texts},
};

/// Telegram Stars.
const XTR: &str = "XTR";

fn payload(plan: &Plan, chat: ChatId) -> String {
    format!("plan:{}:{}", plan.name, chat.0)
}

/// The plan and chat an invoice payload names, if the plan still exists.
fn parse_payload<'a>(plans: &'a [Plan], payload: &str) -> Option<(&'a Plan, i64)> {
    let rest = payload.strip_prefix("plan:")?;
    let (name, chat) = rest.rsplit_once(':')?;
    let chat = chat.parse().ok()?;
    plans.iter().find(|p| p.name == name).map(|p| (p, chat))
}

pub(super) async fn plans(ctx: &Ctx<'_>) -> Result<(), BotError> {
    let plans = &ctx.state.config.plans;
    let rows: Keyboard = plans
        .iter()
        .map(|p| vec![(ctx.t.plan_button(&p.name, p.duration, p.stars), format!("b:{}", p.name))])
        .collect();
    ctx.reply(ctx.t.plans(!plans.is_empty()), Some(&rows)).await.map(drop)
}

/// Sends the Stars invoice for plan `name`; a notice when it is unknown.
pub(super) async fn invoice(ctx: &Ctx<'_>, name: &str) -> Result<Option<String>, BotError> {
    let Some(plan) = ctx.state.config.plans.iter().find(|p| p.name == name) else {
        return Ok(Some(ctx.t.stale_button().to_owned()));
    };
    let request = ctx.bot.send_invoice(
        ctx.chat,
        ctx.t.invoice_title(&plan.name),
        ctx.t.invoice_description(plan.duration),
        payload(plan, ctx.chat),
        XTR,
        [LabeledPrice::new(ctx.t.plan_label(&plan.name), plan.stars)],
    );
    if ctx.paced(request, true).await?.is_none() {
        return Ok(None);
    }
    info!(chat = ctx.chat.0, plan = %plan.name, stars = plan.stars, "invoice sent");
    Ok(None)
}

/// Why a pre-checkout query is refused, if it is.
fn check(plans: &[Plan], q: &PreCheckoutQuery) -> Result<(), &'static str> {
    let (plan, chat) = parse_payload(plans, &q.invoice_payload).ok_or("unknown plan")?;
    if q.currency != XTR {
        return Err("wrong currency");
    }
    if q.total_amount != plan.stars {
        return Err("price changed");
    }
    if chat != q.from.id.0 as i64 {
        return Err("invoice of another chat");
    }
    Ok(())
}

pub(super) async fn on_pre_checkout(
    bot: Bot,
    q: PreCheckoutQuery,
    state: std::sync::Arc<BotState>,
) -> Result<(), BotError> {
    let t = Texts(Lang::from_code(q.from.language_code.as_deref()));
    match check(&state.config.plans, &q) {
        Ok(()) => {
            bot.answer_pre_checkout_query(q.id.clone(), true).await?;
        }
        Err(why) => {
            warn!(user = q.from.id.0, why, amount = q.total_amount, "pre-checkout refused");
            bot.answer_pre_checkout_query(q.id.clone(), false).error_message(t.checkout_error()).await?;
        }
    }
    Ok(())
}

pub(super) async fn successful(ctx: &Ctx<'_>, user: Option<&User>, p: &SuccessfulPayment) -> Result<(), BotError> {
    // Logged before anything can fail: the charge id is what support and
    // the ledger reconciliation go by.
    info!(chat = ctx.chat.0, charge = %p.telegram_payment_charge_id.0, stars = p.total_amount,
        payload = %p.invoice_payload, "payment received");
    let Some((plan, _)) = parse_payload(&ctx.state.config.plans, &p.invoice_payload) else {
        // Paid, but the plan is gone from PLANS: nothing to apply safely.
        error!(chat = ctx.chat.0, payload = %p.invoice_payload, charge = %p.telegram_payment_charge_id.0,
            "a payment names a plan that no longer exists; apply it with /grant or refund it");
        return super::support::open(ctx).await;
    };
    let charge = Charge {
        chat_id: ctx.chat.0,
        plan: &plan.name,
        duration: plan.duration,
        amount: i64::from(p.total_amount),
        currency: &p.currency,
        charge_id: &p.telegram_payment_charge_id.0,
        provider_charge_id: Some(p.provider_payment_charge_id.as_str()).filter(|s| !s.is_empty()),
        payload: &p.invoice_payload,
    };
    match record(ctx.state, &charge, user).await? {
        Applied::Extended(until) => {
            info!(chat = ctx.chat.0, plan = %plan.name, until = %until, "payment applied");
            ctx.reply(ctx.t.paid(plan.duration, until, ctx.zone().await?), None).await.map(drop)
        }
        Applied::AlreadyApplied => {
            info!(chat = ctx.chat.0, charge = %charge.charge_id, "payment redelivered; already applied");
            Ok(())
        }
    }
}

/// First wait between attempts to record a payment; doubles up to [`RECORD_WAIT_MAX`].
const RECORD_WAIT: Duration = Duration::from_millis(100);
const RECORD_WAIT_MAX: Duration = Duration::from_secs(5);

/// Records the payment and the access it buys, in one short transaction,
/// tried again until it commits (a busy database, a failover): Telegram
/// delivers a payment once. Only a stop ends the attempts; the ledger
/// reconciliation at the next start then applies it.
async fn record(state: &BotState, charge: &Charge<'_>, user: Option<&User>) -> Result<Applied, BotError> {
    let mut wait = RECORD_WAIT;
    let mut attempt = 1u32;
    loop {
        let result = async {
            ensure_chat(state, ChatId(charge.chat_id), user).await?;
            Ok::<_, BotError>(db::payments::apply(&state.money_db, charge, Utc::now()).await?)
        }
        .await;
        match result {
            Ok(applied) => return Ok(applied),
            Err(e) => {
                warn!(chat = charge.chat_id, charge = %charge.charge_id, attempt, error = %e,
                    "cannot record a payment yet; trying again");
                if !state.shutdown.sleep(wait).await {
                    error!(chat = charge.chat_id, charge = %charge.charge_id,
                        "stopping before a payment was recorded; the ledger reconciliation applies it at the next start");
                    return Err(e);
                }
                wait = (wait * 2).min(RECORD_WAIT_MAX);
                attempt += 1;
            }
        }
    }
}

/// Whether Telegram's answer to a refund says it was refunded before.
fn already_refunded(e: &RequestError) -> bool {
    e.to_string().contains("CHARGE_ALREADY_REFUNDED")
}

/// Whether Telegram's error refuses the refund (`Bad Request:
/// CHARGE_NOT_FOUND`, `CHARGE_NOT_REFUNDABLE`, …). Anything else it answers
/// in its JSON (a 5xx: "Internal Server Error") says nothing about the
/// refund, which stays `refunding` for the reconciliation.
fn refuses_refund(e: &ApiError) -> bool {
    match e {
        ApiError::Unknown(text) => text.starts_with("Bad Request") || text.starts_with("Forbidden"),
        _ => true,
    }
}

/// The reason in Telegram's refusal: `CHARGE_NOT_FOUND` from "Bad Request:
/// CHARGE_NOT_FOUND".
fn refusal_code(e: &ApiError) -> String {
    let text = match e {
        ApiError::Unknown(text) => text.clone(),
        other => other.to_string(),
    };
    let code = text.rsplit(": ").next().unwrap_or(&text).trim();
    code.chars().take(100).collect()
}

/// Telegram's refusal of a refund, in words, in the admin's language.
fn refusal(t: Texts, code: &str) -> String {
    match code {
        "CHARGE_NOT_FOUND" | "CHARGE_ID_INVALID" => t.get("refund-why-not-found"),
        "CHARGE_NOT_REFUNDABLE" | "CHARGE_ALREADY_REFUNDED" => t.get("refund-why-not-refundable"),
        other => t.msg("refund-why-other", &[("code", Arg::Text(other))]),
    }
}

/// How one ask of Telegram for a refund ended.
enum RefundOutcome {
    /// Refunded (now or before); access until then, if any is left.
    Done(Option<DateTime<Utc>>),
    /// Telegram refused it (its reason, e.g. `CHARGE_NOT_REFUNDABLE`); the
    /// payment stays paid.
    Refused(String),
    /// Not known (network, timeout): stays `refunding`, asked again later.
    Unknown(String),
}

/// Asks Telegram to refund a payment recorded as `refunding`, and completes
/// or reverts it. Safe to repeat.
async fn ask_refund(bot: &Bot, state: &BotState, payment: &payment::Model) -> Result<RefundOutcome, BotError> {
    let user = UserId(payment.chat_id as u64);
    let ask = bot.refund_star_payment(user, TelegramTransactionId(payment.telegram_payment_charge_id.clone()));
    let answer = tokio::time::timeout(TELEGRAM_CALL, ask.send()).await;
    match answer {
        Ok(Ok(_)) => (),
        Ok(Err(e)) if already_refunded(&e) => (),
        Ok(Err(RequestError::Api(e))) if refuses_refund(&e) => {
            db::payments::refund_refused(&state.money_db, payment).await?;
            return Ok(RefundOutcome::Refused(refusal_code(&e)));
        }
        Ok(Err(e)) => return Ok(RefundOutcome::Unknown(state.config.telegram_token.scrub(&e.to_string()))),
        Err(_) => return Ok(RefundOutcome::Unknown("refundStarPayment timed out".to_owned())),
    }
    let end = db::payments::refunded(&state.money_db, payment, Utc::now()).await?;
    info!(chat = payment.chat_id, amount = payment.amount, charge = %payment.telegram_payment_charge_id,
        "payment refunded");
    // The user hears what happened (once: keyed by the charge).
    let (t, zone) = reader_of(state, payment.chat_id).await?;
    let text = t.refunded(payment.amount, end, zone);
    let key = format!("refunded:{}", payment.telegram_payment_charge_id);
    db::admin::notify_html(&state.db, &[payment.chat_id], &key, &text).await?;
    state.shared.outbox_ready.notify_one();
    Ok(RefundOutcome::Done(end))
}

/// Admin `/refund CHARGE_ID`: the intent is recorded, then Telegram is
/// asked, then the refund is completed (the access it bought taken back).
pub(super) async fn refund(ctx: &Ctx<'_>, args: &str) -> Result<String, BotError> {
    let t = ctx.t;
    let charge = args.trim();
    if charge.is_empty() || charge.contains(char::is_whitespace) {
        return Ok(t.get("admin-refund-usage"));
    }
    let Some(payment) = db::payments::request_refund(&ctx.state.money_db, ctx.chat.0, charge).await? else {
        let refunded = db::payments::by_charge(&ctx.state.money_db, charge)
            .await?
            .is_some_and(|p| p.status == db::payments::REFUNDED);
        return Ok(if refunded {
            t.msg("admin-refund-already", &[("charge", Arg::Text(charge))])
        } else {
            t.get("admin-refund-none")
        });
    };
    let (stars, chat) = (payment.amount.to_string(), payment.chat_id.to_string());
    Ok(match ask_refund(ctx.bot, ctx.state, &payment).await? {
        RefundOutcome::Done(Some(end)) => t.msg(
            "admin-refund-done",
            &[
                ("stars", Arg::Html(&stars)),
                ("chat", Arg::Html(&chat)),
                ("ends", Arg::Html(&t.at(end, ctx.zone().await?))),
            ],
        ),
        RefundOutcome::Done(None) => {
            t.msg("admin-refund-done-ended", &[("stars", Arg::Html(&stars)), ("chat", Arg::Html(&chat))])
        }
        RefundOutcome::Refused(code) => t.msg("admin-refund-refused", &[("why", Arg::Html(&refusal(t, &code)))]),
        RefundOutcome::Unknown(why) => {
            warn!(charge, %why, "the refund's outcome is not known yet");
            t.get("admin-refund-unknown")
        }
    })
}

/// Queues a notice to every admin, each in the language of their chat.
pub(super) async fn tell_admins(state: &BotState, key: &str, text: impl Fn(Texts) -> String) -> Result<(), BotError> {
    for &admin in &state.config.admin_chat_ids {
        let t = texts_of(state, admin).await?;
        db::admin::notify_html(&state.db, &[admin], key, &text(t)).await?;
    }
    Ok(())
}

/// Every call to Telegram made here is bounded by this.
const TELEGRAM_CALL: Duration = Duration::from_secs(30);
/// How often Telegram's Star ledger is reconciled (also at start).
const LEDGER_EVERY: Duration = Duration::from_secs(3600);

/// The lease of the replica that reconciles the ledger and refunds.
const LEDGER_LEASE: &str = "ledger";
/// The longest a reconciliation round holds the lease.
const LEDGER_ROUND: Duration = Duration::from_secs(600);
/// Transactions per `getStarTransactions` page (Telegram's maximum).
const LEDGER_PAGE: u8 = 100;
/// Each pass reads again this many transactions before the stored position
/// (applying is idempotent; a transaction inserted late is not missed).
const LEDGER_OVERLAP: i64 = 100;
const LEDGER_CURSOR: &str = "star_ledger";
/// How old a ledger payment must be before the reconciliation applies it
/// (a payment just made is applied by its own update).
const LEDGER_SETTLE: chrono::TimeDelta = chrono::TimeDelta::minutes(2);

/// Reconciles the payments against Telegram's own ledger at start and every
/// [`LEDGER_EVERY`] until shutdown.
pub(super) async fn reconcile_loop(bot: Bot, state: std::sync::Arc<BotState>) {
    // One round at a time over all replicas (two would ask Telegram for the
    // same refund, and one would be told it was refused): lease `ledger`,
    // held for the round (at most ten minutes if the process dies in it).
    let owner: &str = &db::leases::OWNER;
    loop {
        let held = match db::leases::acquire_now(&state.db, LEDGER_LEASE, owner, LEDGER_ROUND).await {
            Ok(epoch) => epoch.is_some(),
            Err(e) => {
                warn!(error = %e, "cannot take the ledger lease; trying again next hour");
                false
            }
        };
        let round = if held { Some(reconcile(&bot, &state).await) } else { None };
        if held {
            let _ = db::leases::release(&state.db, LEDGER_LEASE, owner).await;
        }
        match round {
            None => info!("another replica is reconciling the Star ledger"),
            Some(Ok(r)) => {
                if r.applied + r.refunds > 0 {
                    info!(read = r.read, applied = r.applied, refunds = r.refunds, "Star ledger reconciled");
                }
            }
            Some(Err(e)) => warn!(error = %state.config.telegram_token.scrub(&e.to_string()),
                "cannot reconcile the Star ledger; trying again next hour"),
        }
        if !state.shutdown.sleep(LEDGER_EVERY).await {
            return;
        }
    }
}

/// What one reconciliation did.
#[derive(Debug, Default)]
struct Reconciled {
    read: usize,
    applied: usize,
    refunds: usize,
}

/// One reconciliation: refunds left `refunding` are asked again; every
/// incoming invoice payment in Telegram's ledger that the database lacks is
/// applied (once: the charge id is unique) and reported to the admins.
async fn reconcile(bot: &Bot, state: &BotState) -> Result<Reconciled, BotError> {
    let mut done = Reconciled::default();
    for payment in db::payments::refunding(&state.money_db, 100).await? {
        let charge = &payment.telegram_payment_charge_id;
        let outcome = ask_refund(bot, state, &payment).await?;
        if matches!(outcome, RefundOutcome::Unknown(_)) {
            continue;
        }
        done.refunds += 1;
        let chat = payment.chat_id.to_string();
        tell_admins(state, &format!("refund:{charge}"), |t| match &outcome {
            RefundOutcome::Refused(code) => t.msg(
                "admin-refund-refused-later",
                &[("charge", Arg::Text(charge)), ("why", Arg::Html(&refusal(t, code)))],
            ),
            _ => t.msg("admin-refund-completed", &[("charge", Arg::Text(charge)), ("chat", Arg::Html(&chat))]),
        })
        .await?;
    }
    let stored = db::cursors::get(&state.db, LEDGER_CURSOR).await?;
    let mut offset = (stored - LEDGER_OVERLAP).max(0);
    while !state.shutdown.is_triggered() {
        let ask = bot.get_star_transactions().offset(offset as u32).limit(LEDGER_PAGE);
        let page = tokio::time::timeout(TELEGRAM_CALL, ask.send())
            .await
            .map_err(|_| BotError::Timeout("getStarTransactions"))??
            .transactions;
        // A payment younger than LEDGER_SETTLE may still be in the hands of
        // its own update's handler: it and everything after it (the ledger is
        // chronological) wait for the next pass.
        let settled = page.iter().take_while(|t| t.date <= Utc::now() - LEDGER_SETTLE).count();
        let payments: Vec<(usize, String, i64, u32, String)> = page[..settled]
            .iter()
            .enumerate()
            .filter_map(|(i, t)| {
                let Some(TransactionPartner::User(partner)) = &t.source else { return None };
                let invoice = partner.kind.invoice_payment()?;
                Some((
                    i,
                    t.id.0.clone(),
                    partner.user.id.0 as i64,
                    t.amount,
                    invoice.invoice_payload.unwrap_or_default(),
                ))
            })
            .collect();
        let ids: Vec<String> = payments.iter().map(|p| p.1.clone()).collect();
        let known = db::payments::known(&state.money_db, &ids).await?;
        for (i, charge_id, user, stars, payload) in payments {
            if known.contains(&charge_id) {
                continue;
            }
            // Reported once: only when first read (not in the overlap).
            let fresh = offset + i as i64 >= stored;
            if apply_from_ledger(state, &charge_id, user, stars, &payload, fresh).await? {
                done.applied += 1;
            }
        }
        done.read += settled;
        offset += settled as i64;
        if offset > stored {
            db::cursors::set(&state.db, LEDGER_CURSOR, offset, Utc::now()).await?;
        }
        if settled < usize::from(LEDGER_PAGE) {
            break;
        }
    }
    Ok(done)
}

/// Applies a payment found only in Telegram's ledger; tells the admins and
/// the user. `false` when it cannot be applied (the plan is gone: the admins
/// are told, when `fresh`, to grant or refund it by hand).
async fn apply_from_ledger(
    state: &BotState,
    charge_id: &str,
    user: i64,
    stars: u32,
    payload: &str,
    fresh: bool,
) -> Result<bool, BotError> {
    let found = parse_payload(&state.config.plans, payload).filter(|(_, chat)| *chat == user);
    let Some((plan, chat)) = found else {
        error!(chat = user, charge = %charge_id, payload = %payload,
            "Telegram's ledger has a payment the database lacks, for no known plan");
        if fresh {
            let (user, stars) = (user.to_string(), stars.to_string());
            tell_admins(state, &format!("ledger:{charge_id}"), |t| {
                t.msg(
                    "admin-ledger-unknown-plan",
                    &[
                        ("chat", Arg::Html(&user)),
                        ("stars", Arg::Html(&stars)),
                        ("payload", Arg::Text(payload)),
                        ("charge", Arg::Text(charge_id)),
                    ],
                )
            })
            .await?;
        }
        return Ok(false);
    };
    let charge = Charge {
        chat_id: chat,
        plan: &plan.name,
        duration: plan.duration,
        amount: i64::from(stars),
        currency: XTR,
        charge_id,
        provider_charge_id: None,
        payload,
    };
    ensure_chat(state, ChatId(chat), None).await?;
    let Applied::Extended(until) = db::payments::apply(&state.money_db, &charge, Utc::now()).await? else {
        return Ok(false);
    };
    warn!(chat, charge = %charge_id, plan = %plan.name, "applied a payment found only in Telegram's ledger");
    let (chat_text, stars_text) = (chat.to_string(), stars.to_string());
    tell_admins(state, &format!("ledger:{charge_id}"), |t| {
        t.msg(
            "admin-ledger-applied",
            &[
                ("chat", Arg::Html(&chat_text)),
                ("plan", Arg::Text(&plan.name)),
                ("stars", Arg::Html(&stars_text)),
                ("charge", Arg::Text(charge_id)),
                // Admins may sit in different zones: the date in UTC.
                ("ends", Arg::Html(&t.at(until, chrono_tz::UTC))),
            ],
        )
    })
    .await?;
    let (t, zone) = reader_of(state, chat).await?;
    let text = t.paid(plan.duration, until, zone);
    db::admin::notify_html(&state.db, &[chat], &format!("paid:{charge_id}"), &text).await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn only_telegrams_refusals_refuse_a_refund() {
        let unknown = |t: &str| ApiError::Unknown(t.to_owned());
        assert!(refuses_refund(&unknown("Bad Request: CHARGE_NOT_REFUNDABLE")));
        assert!(refuses_refund(&unknown("Bad Request: CHARGE_NOT_FOUND")));
        assert!(!refuses_refund(&unknown("Internal Server Error")));
        assert!(!refuses_refund(&unknown("Bad Gateway")));
    }

    #[test]
    fn payloads_name_plan_and_chat() {
        let plans = vec![Plan { name: "week".into(), duration: Duration::from_secs(7 * 86_400), stars: 50 }];
        assert_eq!(parse_payload(&plans, &payload(&plans[0], ChatId(-42))).map(|(p, c)| (p.stars, c)), Some((50, -42)));
        assert!(parse_payload(&plans, "plan:year:1").is_none());
        assert!(parse_payload(&plans, "garbage").is_none());
    }
}
