//! The string values stored in `kind` and `status` columns.

/// `outbox.kind`
pub mod outbox_kind {
    pub const NEW_LISTING: &str = "new";
    pub const PRICE_DROP: &str = "price_drop";
    pub const REMINDER: &str = "reminder";
    pub const EXPIRY: &str = "expiry";
    pub const BROADCAST: &str = "broadcast";
    pub const NOTICE: &str = "notice";
    /// Alerts held in quiet hours, sent as one message when they end.
    pub const DIGEST: &str = "digest";
    /// A new listing posted to a channel of the sources file.
    pub const CHANNEL_POST: &str = "channel_post";
    /// "📷 Photos" pressed under an alert: the listing's other photos.
    pub const PHOTOS: &str = "photos";
}

/// `listing_marks.mark`
pub mod listing_mark {
    /// 🙈 Hide: never sent to the chat again.
    pub const HIDDEN: &str = "hidden";
    /// ⭐ Save: in `/saved`; its price drops always sent.
    pub const SAVED: &str = "saved";
}

/// `outbox.status`
pub mod outbox_status {
    pub const PENDING: &str = "pending";
    pub const SENDING: &str = "sending";
    pub const SENT: &str = "sent";
    pub const FAILED: &str = "failed";
    pub const DROPPED: &str = "dropped";
    /// An alert that came in the chat's quiet hours, waiting for its digest.
    pub const HELD: &str = "held";
    /// A held alert gathered into a digest (`last_error` names it): dropped
    /// once the digest is sent, held again if the digest fails.
    pub const FOLDED: &str = "folded";
}

/// `access_periods.kind`
pub mod access_kind {
    pub const TRIAL: &str = "trial";
    pub const PAID: &str = "paid";
    pub const GRANTED: &str = "granted";
}

/// `access_periods.status`
pub mod access_status {
    pub const ACTIVE: &str = "active";
    pub const EXPIRED: &str = "expired";
    pub const REFUNDED: &str = "refunded";
}

/// `source_runs.outcome`
pub mod run_outcome {
    pub const OK: &str = "ok";
    pub const EMPTY: &str = "empty";
    pub const BLOCKED: &str = "blocked";
    pub const ERROR: &str = "error";
    pub const NOT_MODIFIED: &str = "not_modified";

    /// Whether a run with this outcome succeeded (its page was read).
    pub fn succeeded(outcome: &str) -> bool {
        [OK, EMPTY, NOT_MODIFIED].contains(&outcome)
    }
}
