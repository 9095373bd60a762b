//! Plans paid with Telegram Stars: `/plans`, the invoice, the pre-checkout
//! check, the successful payment, and the admin's refund.
//!
//! The invoice payload names the plan and the chat (`plan:<name>:<chat>`);
//! what a payment buys is always read from its payload and the configured
//! plans, never from conversation state.

use chrono::Utc;
use teloxide::{
    prelude::*,
    types::{LabeledPrice, PreCheckoutQuery, SuccessfulPayment, TelegramTransactionId, User, UserId},
};
use tracing::{error, info, warn};

use super::{
    BotError, BotState,
    handlers::{Ctx, ensure_chat},
    texts::{Lang, Texts, utc},
    wizard::Keyboard,
};
use crate::{
    config::Plan,
    db::{
        self,
        payments::{Applied, Charge},
    },
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
        [LabeledPrice::new(plan.name.clone(), plan.stars)],
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
    ensure_chat(ctx.state, ctx.chat, user).await?;
    let Some((plan, _)) = parse_payload(&ctx.state.config.plans, &p.invoice_payload) else {
        // Paid, but the plan is gone from PLANS: nothing to apply safely.
        error!(chat = ctx.chat.0, payload = %p.invoice_payload, charge = %p.telegram_payment_charge_id.0,
            "a payment names a plan that no longer exists; apply it with /grant or refund it");
        return ctx.reply(ctx.t.pay_support(), None).await.map(drop);
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
    match db::payments::apply(&ctx.state.money_db, &charge, Utc::now()).await? {
        Applied::Extended(until) => {
            info!(chat = ctx.chat.0, plan = %plan.name, until = %until, "payment applied");
            ctx.reply(ctx.t.paid(plan.duration, until), None).await.map(drop)
        }
        Applied::AlreadyApplied => {
            info!(chat = ctx.chat.0, charge = %charge.charge_id, "payment redelivered; already applied");
            Ok(())
        }
    }
}

/// Admin `/refund CHARGE_ID`.
pub(super) async fn refund(ctx: &Ctx<'_>, args: &str) -> Result<String, BotError> {
    let charge = args.trim();
    if charge.is_empty() || charge.contains(char::is_whitespace) {
        return Ok("Usage: <code>/refund CHARGE_ID</code> (the telegram_payment_charge_id).".to_owned());
    }
    let Some(payment) = db::payments::refundable(&ctx.state.db, charge).await? else {
        return Ok("No refundable payment with that charge id.".to_owned());
    };
    let user = UserId(payment.chat_id as u64);
    ctx.bot.refund_star_payment(user, TelegramTransactionId(charge.to_owned())).await?;
    let end = db::payments::refunded(&ctx.state.money_db, ctx.chat.0, &payment, Utc::now()).await?;
    info!(admin = ctx.chat.0, chat = payment.chat_id, amount = payment.amount, "payment refunded");
    Ok(format!(
        "Refunded {} ⭐ to chat {}. Access now {}.",
        payment.amount,
        payment.chat_id,
        end.map_or_else(|| "ended".to_owned(), |e| format!("ends {}", utc(e)))
    ))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn payloads_name_plan_and_chat() {
        let plans = vec![Plan { name: "week".into(), duration: Duration::from_secs(7 * 86_400), stars: 50 }];
        assert_eq!(parse_payload(&plans, &payload(&plans[0], ChatId(-42))).map(|(p, c)| (p.stars, c)), Some((50, -42)));
        assert!(parse_payload(&plans, "plan:year:1").is_none());
        assert!(parse_payload(&plans, "garbage").is_none());
    }
}
