use sea_orm::entity::prelude::*;

/// A Telegram Stars payment; the charge id is unique, so a redelivered
/// successful-payment update is applied once.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub chat_id: i64,
    pub plan: String,
    pub amount: i64,
    pub currency: String,
    #[sea_orm(unique)]
    pub telegram_payment_charge_id: String,
    pub provider_payment_charge_id: Option<String>,
    pub invoice_payload: String,
    /// `paid`, `refunding` (asked of Telegram, not yet confirmed) or `refunded`.
    pub status: String,
    pub created_at: DateTimeUtc,
    pub refunded_at: Option<DateTimeUtc>,
    /// The admin who asked for the refund.
    pub refund_admin: Option<i64>,
}

impl ActiveModelBehavior for ActiveModel {}
