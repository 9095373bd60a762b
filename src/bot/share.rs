//! Shared searches: `/share ID` makes (or rotates) a link, `/start share_…`
//! follows the search.

use chrono::Utc;
use tracing::info;

use super::{
    BotError,
    ctx::{Ctx, not_found, search_arg, texts_of},
};
use crate::{
    db,
    search::{SearchFilter, syntax},
    texts::Arg,
};

/// A new share token: 24 hex digits from the OS's generator.
fn fresh_token() -> Result<String, BotError> {
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).map_err(|e| BotError::Internal(format!("no randomness for a share link: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// `/share ID`: a deep link that gives another chat the same search;
/// `/share ID off` revokes it (the chats following it stay in step).
pub(super) async fn share(ctx: &Ctx<'_>, args: &str) -> Result<(), BotError> {
    let (args, off) = match args.trim().rsplit_once(char::is_whitespace) {
        Some((first, last)) if last.eq_ignore_ascii_case("off") => (first, true),
        _ => (args, false),
    };
    let Some((arg, Some(id))) = search_arg(args) else {
        return ctx.reply(ctx.t.get("share-usage"), None).await.map(drop);
    };
    let fresh = fresh_token()?;
    if off {
        let text = match db::searches::revoke_share(&ctx.state.db, ctx.chat.0, id, &fresh, Utc::now()).await? {
            None => not_found(ctx, arg),
            Some(false) => ctx.t.msg("share-not-shared", &[("id", Arg::Html(&id.to_string()))]),
            Some(true) => {
                info!(chat = ctx.chat.0, search = id, "share link revoked");
                ctx.t.msg("share-revoked", &[("id", Arg::Html(&id.to_string()))])
            }
        };
        return ctx.reply(text, None).await.map(drop);
    }
    let Some(token) = db::searches::share(&ctx.state.db, ctx.chat.0, id, &fresh, Utc::now()).await? else {
        return ctx.reply(not_found(ctx, arg), None).await.map(drop);
    };
    let link = crate::delivery::render::deep_link(&ctx.state.username, &format!("share_{token}"));
    info!(chat = ctx.chat.0, search = id, "search shared");
    let text = ctx.t.msg("share-link", &[("link", Arg::Text(&link)), ("id", Arg::Html(&id.to_string()))]);
    ctx.reply(text, None).await.map(drop)
}

/// `/start share_<token>`: the chat follows the shared search, if it has
/// access of its own.
pub(super) async fn join_shared(ctx: &Ctx<'_>, token: &str) -> Result<(), BotError> {
    let valid = token.len() == 24 && token.bytes().all(|b| b.is_ascii_hexdigit());
    if !valid {
        return ctx.reply(ctx.t.broken_link(), None).await.map(drop);
    }
    let now = Utc::now();
    if !matches!(db::chats::access(&ctx.state.db, ctx.chat.0, now).await?, db::chats::Access::Active { .. }) {
        return ctx.reply(ctx.t.get("share-needs-access"), None).await.map(drop);
    }
    let text = match db::searches::join(&ctx.state.db, ctx.chat.0, token, now).await? {
        db::searches::Joined::Joined { id, members } => {
            info!(chat = ctx.chat.0, search = id, others = members.len(), "joined a shared search");
            for &(member, their_id) in &members {
                let text = texts_of(ctx.state, member).await?;
                let html = text.msg("share-member-joined", &[("id", Arg::Html(&their_id.to_string()))]);
                db::admin::notify_html(&ctx.state.db, &[member], &format!("share:joined:{id}"), &html).await?;
            }
            ctx.state.shared.outbox_ready.notify_one();
            let line = match db::searches::get(&ctx.state.db, ctx.chat.0, id).await? {
                Some(s) => syntax::format(&SearchFilter::from_model(&s)),
                None => String::new(),
            };
            ctx.t.msg(
                "share-joined",
                &[
                    ("id", Arg::Html(&id.to_string())),
                    ("n", Arg::Num(members.len() as f64)),
                    ("line", Arg::Text(&line)),
                ],
            )
        }
        db::searches::Joined::Already(id) => ctx.t.msg("share-already", &[("id", Arg::Html(&id.to_string()))]),
        db::searches::Joined::NotFound => ctx.t.get("share-gone"),
        db::searches::Joined::TooMany => ctx.t.too_many(),
    };
    ctx.reply(text, None).await.map(drop)
}

/// Tells the other members of the share group of the chat's search
/// `search_id` (when it is shared) what this chat changed for all of them:
/// `key` is a message with `$id` (their own number of the search) and
/// `$what`. A pause or a mute applies to the whole group, so everyone in it
/// hears of it.
pub(super) async fn tell_members(ctx: &Ctx<'_>, search_id: i64, key: &str, what: &str) -> Result<(), BotError> {
    let db = &ctx.state.db;
    let Some(group) = db::searches::get(db, ctx.chat.0, search_id).await?.and_then(|s| s.share_group) else {
        return Ok(());
    };
    let event = Utc::now().timestamp_millis();
    let mut told = 0;
    for (chat, their_id) in db::searches::members(db, &group).await? {
        if chat == ctx.chat.0 {
            continue;
        }
        let text = texts_of(ctx.state, chat)
            .await?
            .msg(key, &[("id", Arg::Html(&their_id.to_string())), ("what", Arg::Text(what))]);
        db::admin::notify_html(db, &[chat], &format!("share:{key}:{their_id}:{event}"), &text).await?;
        told += 1;
    }
    if told > 0 {
        info!(chat = ctx.chat.0, search = search_id, told, key, "share group told of a change");
        ctx.state.shared.outbox_ready.notify_one();
    }
    Ok(())
}
