//! The whole schema, designed up front for every component:
//!
//! | table | what it stores | written by |
//! |---|---|---|
//! | `chats` | one Telegram chat (user): language, paused, blocked | bot, delivery (blocked on 403) |
//! | `dialogues` | the wizard state of a chat, so a restart mid-wizard resumes | bot |
//! | `searches` | saved searches with their filters | bot |
//! | `sources` | each configured listing source and its health | scraper |
//! | `source_runs` | one row per scrape run: found / new / errors / blocked | scraper |
//! | `listings` | listings, unique per (source, external id) | scraper |
//! | `listing_prices` | price history of each listing | scraper |
//! | `outbox` | every message to send, unique per (chat, kind, dedup key) | scraper, bot, expiry; drained by the sender |
//! | `access_periods` | trial / paid / granted access with start, end and status | bot, expiry |
//! | `reminders_sent` | reminders before an access period ends, unique per (period, offset) | expiry |
//! | `payments` | Telegram Stars payments, unique per charge id; refunds | bot |
//! | `admin_audit` | every admin action | bot |
//! | `leases` | named leases (owner, expiry) coordinating replicas | all |
//!
//! Times are `timestamp with time zone` (UTC). Money is an integer in the
//! smallest unit the page shows (whole units for rents, stars for payments).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(
    name: &str,
    from_table: &'static str,
    from_col: &'static str,
    to_table: &'static str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from_table, from_col)
        .to(to_table, "id")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

fn index(name: &str, table: &'static str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.name(name).table(table).if_not_exists();
    for col in cols {
        idx.col(*col);
    }
    idx.to_owned()
}

fn unique_index(name: &str, table: &'static str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut idx = index(name, table, cols);
    idx.unique();
    idx
}

fn table(name: &'static str) -> TableCreateStatement {
    Table::create().table(name).if_not_exists().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Telegram chat ids are the primary key: they are stable and unique.
        manager
            .create_table(
                table("chats")
                    .col(big_integer("id").primary_key())
                    .col(string_null("username"))
                    .col(string_null("first_name"))
                    .col(string_len("language", 16).default("en"))
                    .col(boolean("paused").default(false))
                    .col(boolean("blocked").default(false))
                    .col(timestamp_with_time_zone_null("blocked_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                table("dialogues")
                    .col(big_integer("chat_id").primary_key())
                    .col(text("state"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("fk_dialogues_chat", "dialogues", "chat_id", "chats"))
                    .to_owned(),
            )
            .await?;

        // Filters are columns so candidate searches can be narrowed in SQL;
        // multi-valued filters (rooms, districts, excluded words) are JSON arrays.
        manager
            .create_table(
                table("searches")
                    .col(big_pk_auto("id"))
                    .col(big_integer("chat_id"))
                    .col(string_null("source"))
                    .col(big_integer_null("price_min"))
                    .col(big_integer_null("price_max"))
                    .col(text_null("rooms"))
                    .col(double_null("rooms_min"))
                    .col(double_null("rooms_max"))
                    .col(double_null("area_min"))
                    .col(double_null("area_max"))
                    .col(text_null("districts"))
                    .col(boolean_null("furnished"))
                    .col(text_null("exclude"))
                    .col(boolean("paused").default(false))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("fk_searches_chat", "searches", "chat_id", "chats"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("idx_searches_chat", "searches", &["chat_id"])).await?;
        manager.create_index(index("idx_searches_active_source", "searches", &["paused", "source"])).await?;

        manager
            .create_table(
                table("sources")
                    .col(big_pk_auto("id"))
                    .col(string_uniq("name"))
                    .col(string("kind"))
                    .col(text("url"))
                    .col(timestamp_with_time_zone_null("seeded_at"))
                    .col(timestamp_with_time_zone_null("last_run_at"))
                    .col(timestamp_with_time_zone_null("last_success_at"))
                    .col(timestamp_with_time_zone_null("last_error_at"))
                    .col(text_null("last_error"))
                    .col(integer("last_found").default(0))
                    .col(integer("last_new").default(0))
                    .col(big_integer("total_runs").default(0))
                    .col(integer("consecutive_failures").default(0))
                    .col(boolean("blocked").default(false))
                    .col(boolean("unhealthy_notified").default(false))
                    .col(text_null("etag"))
                    .col(text_null("last_modified"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                table("source_runs")
                    .col(big_pk_auto("id"))
                    .col(big_integer("source_id"))
                    .col(timestamp_with_time_zone("started_at"))
                    .col(timestamp_with_time_zone("finished_at"))
                    .col(string_len("outcome", 16))
                    .col(integer("found").default(0))
                    .col(integer("new").default(0))
                    .col(integer("price_drops").default(0))
                    .col(integer("missing_price").default(0))
                    .col(text_null("error"))
                    .foreign_key(&mut fk("fk_source_runs_source", "source_runs", "source_id", "sources"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("idx_source_runs_source_started", "source_runs", &["source_id", "started_at"]))
            .await?;

        manager
            .create_table(
                table("listings")
                    .col(big_pk_auto("id"))
                    .col(big_integer("source_id"))
                    .col(string("external_id"))
                    .col(text("url"))
                    .col(text("title"))
                    .col(text_null("description"))
                    .col(big_integer_null("price"))
                    .col(string_len_null("currency", 3))
                    .col(string_len_null("period", 8))
                    .col(big_integer_null("monthly_price"))
                    .col(double_null("rooms"))
                    .col(double_null("area_m2"))
                    .col(string_null("district"))
                    .col(boolean_null("furnished"))
                    .col(text_null("photo"))
                    .col(timestamp_with_time_zone("first_seen_at"))
                    .col(timestamp_with_time_zone("last_seen_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("fk_listings_source", "listings", "source_id", "sources"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index("uq_listings_source_external", "listings", &["source_id", "external_id"]))
            .await?;
        manager.create_index(index("idx_listings_first_seen", "listings", &["first_seen_at"])).await?;

        manager
            .create_table(
                table("listing_prices")
                    .col(big_pk_auto("id"))
                    .col(big_integer("listing_id"))
                    .col(big_integer("price"))
                    .col(big_integer_null("monthly_price"))
                    .col(string_len_null("currency", 3))
                    .col(timestamp_with_time_zone("seen_at"))
                    .foreign_key(&mut fk("fk_listing_prices_listing", "listing_prices", "listing_id", "listings"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("idx_listing_prices_listing", "listing_prices", &["listing_id", "seen_at"])).await?;

        // The outbox. Invariant: a row is unique per (chat, kind, dedup_key);
        // dedup_key is the listing id for a new-listing alert, "listing:price"
        // for a price drop, "period:offset" for a reminder, the broadcast id for
        // a broadcast. The unique index, not application code, is what makes
        // "no chat is told of the same thing twice" hold under crashes and
        // several replicas.
        manager
            .create_table(
                table("outbox")
                    .col(big_pk_auto("id"))
                    .col(big_integer("chat_id"))
                    .col(big_integer_null("listing_id"))
                    .col(string_len("kind", 16))
                    .col(string("dedup_key"))
                    .col(small_integer("priority"))
                    .col(text_null("payload"))
                    .col(string_len("status", 16).default("pending"))
                    .col(integer("attempts").default(0))
                    .col(timestamp_with_time_zone("next_attempt_at"))
                    .col(timestamp_with_time_zone_null("claimed_at"))
                    .col(string_null("claimed_by"))
                    .col(timestamp_with_time_zone_null("sent_at"))
                    .col(text_null("last_error"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("fk_outbox_chat", "outbox", "chat_id", "chats"))
                    .foreign_key(&mut fk("fk_outbox_listing", "outbox", "listing_id", "listings"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index("uq_outbox_chat_kind_key", "outbox", &["chat_id", "kind", "dedup_key"]))
            .await?;
        manager.create_index(index("idx_outbox_due", "outbox", &["status", "priority", "next_attempt_at"])).await?;
        manager.create_index(index("idx_outbox_listing", "outbox", &["listing_id"])).await?;

        manager
            .create_table(
                table("payments")
                    .col(big_pk_auto("id"))
                    .col(big_integer("chat_id"))
                    .col(string("plan"))
                    .col(big_integer("amount"))
                    .col(string_len("currency", 8))
                    .col(string_uniq("telegram_payment_charge_id"))
                    .col(string_null("provider_payment_charge_id"))
                    .col(text("invoice_payload"))
                    .col(string_len("status", 16).default("paid"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("refunded_at"))
                    .foreign_key(&mut fk("fk_payments_chat", "payments", "chat_id", "chats"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                table("access_periods")
                    .col(big_pk_auto("id"))
                    .col(big_integer("chat_id"))
                    .col(string_len("kind", 16))
                    .col(timestamp_with_time_zone("starts_at"))
                    .col(timestamp_with_time_zone("ends_at"))
                    .col(string_len("status", 16).default("active"))
                    .col(big_integer_null("payment_id"))
                    .col(big_integer_null("granted_by"))
                    .col(timestamp_with_time_zone_null("expired_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("fk_access_periods_chat", "access_periods", "chat_id", "chats"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_access_periods_payment")
                            .from("access_periods", "payment_id")
                            .to("payments", "id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("idx_access_periods_status_ends", "access_periods", &["status", "ends_at"])).await?;
        manager.create_index(index("idx_access_periods_chat", "access_periods", &["chat_id", "ends_at"])).await?;

        manager
            .create_table(
                table("reminders_sent")
                    .col(big_pk_auto("id"))
                    .col(big_integer("access_period_id"))
                    .col(big_integer("offset_secs"))
                    .col(timestamp_with_time_zone("sent_at"))
                    .foreign_key(&mut fk(
                        "fk_reminders_sent_period",
                        "reminders_sent",
                        "access_period_id",
                        "access_periods",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                "uq_reminders_sent_period_offset",
                "reminders_sent",
                &["access_period_id", "offset_secs"],
            ))
            .await?;

        manager
            .create_table(
                table("admin_audit")
                    .col(big_pk_auto("id"))
                    .col(big_integer("admin_chat_id"))
                    .col(string("action"))
                    .col(big_integer_null("target_chat_id"))
                    .col(text_null("details"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("idx_admin_audit_created", "admin_audit", &["created_at"])).await?;

        manager
            .create_table(
                table("leases")
                    .col(string("name").primary_key())
                    .col(string("owner"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .to_owned(),
            )
            .await?;

        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in [
            "leases",
            "admin_audit",
            "reminders_sent",
            "access_periods",
            "payments",
            "outbox",
            "listing_prices",
            "listings",
            "source_runs",
            "sources",
            "searches",
            "dialogues",
            "chats",
        ] {
            manager.drop_table(Table::drop().table(name).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
