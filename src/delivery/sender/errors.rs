//! What a send's error means: sent, retried, given up, or the chat gone.

use std::time::Duration;

use teloxide::{ApiError, RequestError};

pub(super) enum Sent {
    Ok,
    RetryAfter(Duration),
    Blocked(String),
    PhotoRejected(String),
    Rejected(String),
    Transient(String),
}

pub(super) fn classify(e: &RequestError) -> Sent {
    match e {
        RequestError::RetryAfter(secs) => Sent::RetryAfter(secs.duration()),
        RequestError::Api(
            ApiError::BotBlocked
            | ApiError::UserDeactivated
            | ApiError::ChatNotFound
            | ApiError::BotKicked
            | ApiError::BotKickedFromSupergroup
            | ApiError::CantInitiateConversation
            | ApiError::CantTalkWithBots
            | ApiError::BotKickedFromChannel
            | ApiError::NotEnoughRightsToPostMessages,
        ) => Sent::Blocked(e.to_string()),
        // "Forbidden: bot is not a member of the channel chat" and the like.
        RequestError::Api(ApiError::Unknown(text)) if text.starts_with("Forbidden") => Sent::Blocked(e.to_string()),
        // A refusal of this message ("Bad Request: …").
        RequestError::Api(ApiError::Unknown(text)) if text.starts_with("Bad Request") => Sent::Rejected(e.to_string()),
        // Anything else Telegram answers in its JSON ("Internal Server
        // Error", "Bad Gateway": a 5xx) is its trouble, not the message's.
        RequestError::Api(ApiError::Unknown(_)) => Sent::Transient(e.to_string()),
        RequestError::Api(api) => Sent::Rejected(api.to_string()),
        RequestError::MigrateToChatId(_) => Sent::Rejected(e.to_string()),
        // Network errors, timeouts, 5xx (InvalidJson after teloxide's wait).
        _ => Sent::Transient(e.to_string()),
    }
}

/// Whether Telegram's answer to a channel post means the channel does not
/// take the bot's posts (rather than this one message being wrong).
pub(super) fn refuses(why: &str) -> bool {
    let why = why.to_ascii_lowercase();
    ["forbidden", "chat not found", "administrator rights", "not enough rights", "kicked", "not a member"]
        .iter()
        .any(|w| why.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn telegram_trouble_is_transient_a_refusal_is_not() {
        let api = |text: &str| RequestError::Api(ApiError::Unknown(text.to_owned()));
        assert!(matches!(classify(&api("Internal Server Error")), Sent::Transient(_)));
        assert!(matches!(classify(&api("Bad Gateway")), Sent::Transient(_)));
        assert!(matches!(classify(&api("Bad Request: message is too long")), Sent::Rejected(_)));
        assert!(matches!(classify(&api("Forbidden: bot is not a member of the channel chat")), Sent::Blocked(_)));
        assert!(matches!(classify(&RequestError::Api(ApiError::MessageTextIsEmpty)), Sent::Rejected(_)));
        assert!(matches!(classify(&RequestError::Api(ApiError::BotBlocked)), Sent::Blocked(_)));
    }
}
