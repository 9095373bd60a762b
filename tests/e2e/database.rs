//! Schema, migrations and concurrent access on SQLite and PostgreSQL.

use std::time::Instant;

use chrono::Utc;
use entity::{chat, listing, outbox};
use homehound::db::{self, PoolRole, chats::ChatProfile};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait};

use crate::support::db::TestDb;

async fn migrated(test_db: &TestDb) -> DatabaseConnection {
    let db = db::connect(&test_db.url, PoolRole::Admin).await.expect("connect");
    db::migrate(&db).await.expect("migrate");
    db
}

#[tokio::test]
async fn migrations_apply_from_empty_and_are_idempotent() {
    let test_db = TestDb::new().await;
    let db = db::connect(&test_db.url, PoolRole::Admin).await.expect("connect");
    let before = db::migration_status(&db).await.expect("status");
    assert!(before.iter().all(|(_, applied)| !applied), "empty database: {before:?}");

    db::migrate(&db).await.expect("first migrate");
    db::migrate(&db).await.expect("second migrate is a no-op");
    let after = db::migration_status(&db).await.expect("status");
    assert!(!after.is_empty() && after.iter().all(|(_, applied)| *applied), "{after:?}");

    // Every table the later components need exists and is queryable.
    for table in [
        "chats",
        "dialogues",
        "searches",
        "sources",
        "source_runs",
        "listings",
        "listing_prices",
        "outbox",
        "access_periods",
        "reminders_sent",
        "payments",
        "admin_audit",
        "leases",
    ] {
        db.execute_unprepared(&format!("SELECT COUNT(*) FROM {table}"))
            .await
            .unwrap_or_else(|e| panic!("table {table}: {e}"));
    }
}

/// A chat as `/start` creates it, without a trial.
async fn add_chat(db: &DatabaseConnection, id: i64) {
    let profile = ChatProfile { id, username: None, first_name: None, language: "en".into() };
    db::chats::register(db, &profile, std::time::Duration::ZERO, Utc::now()).await.unwrap();
}

#[tokio::test]
async fn unique_keys_reject_duplicate_listings_and_alerts() {
    let test_db = TestDb::new().await;
    let db = migrated(&test_db).await;
    let now = Utc::now();
    add_chat(&db, 7).await;
    let src = db::sources::sync(&db, &[("s".into(), "css".into(), "http://x".into())], now).await.unwrap()[0].id;
    let new_listing = || listing::ActiveModel {
        source_id: Set(src),
        external_id: Set("abc".into()),
        url: Set("http://x/abc".into()),
        title: Set("Flat".into()),
        first_seen_at: Set(now),
        last_seen_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    let listing_id = listing::Entity::insert(new_listing()).exec(&db).await.unwrap().last_insert_id;
    assert!(listing::Entity::insert(new_listing()).exec(&db).await.is_err(), "(source, external id) is unique");

    let alert = || outbox::ActiveModel {
        chat_id: Set(7),
        listing_id: Set(Some(listing_id)),
        kind: Set("new".into()),
        dedup_key: Set(listing_id.to_string()),
        priority: Set(0),
        status: Set("pending".into()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        created_at: Set(now),
        ..Default::default()
    };
    outbox::Entity::insert(alert()).exec(&db).await.unwrap();
    assert!(outbox::Entity::insert(alert()).exec(&db).await.is_err(), "(chat, kind, key) is unique");
    assert_eq!(outbox::Entity::find().count(&db).await.unwrap(), 1);
}

/// Three threads, each with its own runtime and pool, write the same database
/// at once: single-statement inserts and read-then-write transactions.
#[test]
fn three_pools_writing_concurrently_never_see_database_is_locked() {
    const WRITES: usize = 2_000;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let test_db = rt.block_on(TestDb::new());
    let db = rt.block_on(migrated(&test_db));
    rt.block_on(add_chat(&db, 1));

    let started = Instant::now();
    let threads: Vec<_> = [PoolRole::Bot, PoolRole::Scraper, PoolRole::Expiry]
        .into_iter()
        .enumerate()
        .map(|(t, role)| {
            let url = test_db.url.clone();
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                rt.block_on(async move {
                    let db = db::connect(&url, role).await.expect("connect");
                    let mut errors = Vec::new();
                    for i in 0..WRITES {
                        let now = Utc::now();
                        let result = if i % 2 == 0 {
                            // Autocommit insert.
                            entity::admin_audit::Entity::insert(entity::admin_audit::ActiveModel {
                                admin_chat_id: Set(t as i64),
                                action: Set("hammer".into()),
                                created_at: Set(now),
                                ..Default::default()
                            })
                            .exec_without_returning(&db)
                            .await
                            .map(|_| ())
                        } else {
                            // Read, then write, in one transaction.
                            async {
                                let txn = db::begin_write(&db).await?;
                                let found = chat::Entity::find_by_id(1).one(&txn).await?.expect("chat 1");
                                let mut am: chat::ActiveModel = found.into();
                                am.updated_at = Set(now);
                                chat::Entity::update(am).exec(&txn).await?;
                                txn.commit().await
                            }
                            .await
                        };
                        if let Err(e) = result {
                            errors.push(e.to_string());
                        }
                    }
                    let _ = db.close().await;
                    errors
                })
            })
        })
        .collect();
    let errors: Vec<String> = threads.into_iter().flat_map(|t| t.join().expect("thread")).collect();
    let elapsed = started.elapsed();
    assert!(errors.is_empty(), "{} errors, first: {:?}", errors.len(), errors.first());
    let rows = rt.block_on(entity::admin_audit::Entity::find().count(&db)).unwrap();
    assert_eq!(rows as usize, 3 * WRITES / 2);
    eprintln!(
        "figures: 3 pools x {WRITES} writes on {} in {elapsed:?} ({:.0} writes/s), 0 errors",
        if test_db.is_postgres() { "PostgreSQL" } else { "SQLite" },
        (3 * WRITES) as f64 / elapsed.as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lease_has_one_holder_until_it_expires() {
    use homehound::db::leases;
    let test_db = crate::support::db::TestDb::new().await;
    let db = homehound::db::connect(&test_db.url, homehound::db::PoolRole::Admin).await.unwrap();
    homehound::db::migrate(&db).await.unwrap();
    let now = chrono::Utc::now();
    let ttl = std::time::Duration::from_secs(10);
    assert_eq!(leases::acquire(&db, "sender", "a", ttl, now).await.unwrap(), Some(1));
    assert_eq!(leases::acquire(&db, "sender", "b", ttl, now).await.unwrap(), None, "held by a");
    let renewed = leases::acquire(&db, "sender", "a", ttl, now + chrono::Duration::seconds(5)).await.unwrap();
    assert_eq!(renewed, Some(1), "renewed: same epoch");
    let early = leases::acquire(&db, "sender", "b", ttl, now + chrono::Duration::seconds(12)).await.unwrap();
    assert_eq!(early, None, "a renewed it");
    let taken = leases::acquire(&db, "sender", "b", ttl, now + chrono::Duration::seconds(16)).await.unwrap();
    assert_eq!(taken, Some(2), "expired: b holds it with the next epoch");
    assert_eq!(leases::holder(&db, "sender", now + chrono::Duration::seconds(16)).await.unwrap().as_deref(), Some("b"));
    leases::release(&db, "sender", "b").await.unwrap();
    let after = leases::acquire(&db, "sender", "c", ttl, now + chrono::Duration::seconds(17)).await.unwrap();
    assert_eq!(after, Some(3), "released: the epoch still grows");
    // The database's clock is what leases are compared against.
    let clock = homehound::db::clock(&db).await.unwrap();
    assert!((clock - chrono::Utc::now()).num_seconds().abs() < 5, "{clock}");
    // Many contenders at once: exactly one wins.
    let mut tasks = Vec::new();
    for i in 0..20 {
        let db = db.clone();
        tasks
            .push(tokio::spawn(async move { leases::acquire(&db, "race", &format!("o{i}"), ttl, now).await.unwrap() }));
    }
    let mut winners = 0;
    for t in tasks {
        winners += usize::from(t.await.unwrap().is_some());
    }
    assert_eq!(winners, 1);
}

/// Chats 1..=n, each registered with one notice queued.
async fn chats_with_a_notice(db: &DatabaseConnection, n: i64, now: chrono::DateTime<Utc>) {
    for id in 1..=n {
        let profile = ChatProfile { id, username: None, first_name: None, language: "en".into() };
        db::chats::register(db, &profile, std::time::Duration::from_secs(3600), now).await.unwrap();
        outbox::Entity::insert(db::outbox::pending_row(id, None, "notice", format!("n{id}"), 2, None, now))
            .exec(db)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn only_claims_in_flight_are_renewed_so_a_row_whose_outcome_was_lost_is_retried() {
    let test_db = TestDb::new().await;
    let db = migrated(&test_db).await;
    let now = Utc::now();
    chats_with_a_notice(&db, 3, now).await;
    let claimed = db::outbox::claim(&db, "s1", 10, now).await.unwrap();
    assert_eq!(claimed.len(), 3);
    // Only the first is still being sent 20 s later; the other two tasks
    // ended without recording anything (a failed update, a panic).
    let later = now + chrono::Duration::seconds(20);
    assert_eq!(db::outbox::renew_claims(&db, "s1", &[claimed[0].id], later).await.unwrap(), 1);
    let released = db::outbox::release_claims(&db, now + chrono::Duration::seconds(10)).await.unwrap();
    assert_eq!(released, 2, "the two stuck rows go back to pending");
    let pending = db::outbox::claim(&db, "s1", 10, later).await.unwrap();
    let mut ids: Vec<i64> = pending.iter().map(|r| r.id).collect();
    ids.sort();
    assert_eq!(ids, vec![claimed[1].id, claimed[2].id]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deposed_sender_changes_nothing_and_a_sent_row_never_goes_back() {
    use db::outbox::Fence;
    let test_db = TestDb::new().await;
    let db = migrated(&test_db).await;
    let now = Utc::now();
    chats_with_a_notice(&db, 2, now).await;
    let old = db::outbox::claim(&db, "a#1", 10, now).await.unwrap();
    assert_eq!(old.len(), 2);
    let (first, second) = (old[0].id, old[1].id);
    assert!(db::outbox::mark_sent(&db, Fence { id: first, token: "a#1" }, now).await.unwrap());
    // A late "retry" of a row already sent (a duplicate task, a confused
    // sender) does not put it back in the queue.
    db::outbox::retry(&db, Fence { id: first, token: "a#1" }, now, false, "late").await.unwrap();
    // The lease passes to b (epoch 2), which takes over a's open claims.
    assert_eq!(db::outbox::release_claims_of_others(&db, "b#2").await.unwrap(), 1);
    let taken = db::outbox::claim(&db, "b#2", 10, now).await.unwrap();
    assert_eq!(taken.iter().map(|r| r.id).collect::<Vec<_>>(), vec![second]);
    // a's late updates match nothing.
    assert!(!db::outbox::mark_sent(&db, Fence { id: second, token: "a#1" }, now).await.unwrap());
    db::outbox::retry(&db, Fence { id: second, token: "a#1" }, now, true, "late").await.unwrap();
    db::outbox::fail(&db, Fence { id: second, token: "a#1" }, "failed", "late").await.unwrap();
    let rows = outbox::Entity::find().all(&db).await.unwrap();
    let status = |id: i64| rows.iter().find(|r| r.id == id).map(|r| (r.status.clone(), r.claimed_by.clone()));
    assert_eq!(status(first), Some(("sent".into(), Some("a#1".into()))));
    assert_eq!(status(second), Some(("sending".into(), Some("b#2".into()))), "still b's claim");
    assert!(db::outbox::mark_sent(&db, Fence { id: second, token: "b#2" }, now).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_extensions_at_once_never_overlap() {
    use homehound::db::access::{Extension, extend};
    let test_db = TestDb::new().await;
    let db = migrated(&test_db).await;
    let now = Utc::now();
    let profile = ChatProfile { id: 9, username: None, first_name: None, language: "en".into() };
    db::chats::register(&db, &profile, std::time::Duration::from_secs(86_400), now).await.unwrap();
    // Two payments handled at once, each in its own transaction, each slow
    // to commit.
    let week = std::time::Duration::from_secs(7 * 86_400);
    let pay = |db: DatabaseConnection| async move {
        let txn = db::begin_write(&db).await.unwrap();
        let what = Extension { kind: "paid", granted_by: None, payment_id: None };
        let end = extend(&txn, 9, week, what, now).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        txn.commit().await.unwrap();
        end
    };
    // Two pools, as two replicas (or the bot and a reconciliation) would have.
    let other = db::connect(&test_db.url, PoolRole::Bot).await.unwrap();
    let (a, b) = tokio::join!(tokio::spawn(pay(db.clone())), tokio::spawn(pay(other)));
    let mut ends = [a.unwrap(), b.unwrap()];
    ends.sort();
    let trial_end = now + chrono::Duration::days(1);
    // (PostgreSQL keeps microseconds.)
    let near = |a: chrono::DateTime<Utc>, b: chrono::DateTime<Utc>| (a - b).num_milliseconds().abs() <= 1;
    assert!(near(ends[0], trial_end + chrono::Duration::days(7)), "the first week follows the trial: {ends:?}");
    assert!(near(ends[1], trial_end + chrono::Duration::days(14)), "the second follows the first: {ends:?}");
}

#[tokio::test]
async fn payments_are_synced_to_disk_at_every_commit_on_sqlite() {
    let test_db = TestDb::sqlite();
    let synchronous = |role: PoolRole| {
        let url = test_db.url.clone();
        async move { crate::support::db::scalar(&db::connect(&url, role).await.unwrap(), "PRAGMA synchronous").await }
    };
    assert_eq!(synchronous(PoolRole::Money).await, 2, "FULL for payments");
    assert_eq!(synchronous(PoolRole::Bot).await, 1, "NORMAL elsewhere (WAL)");
}

#[tokio::test]
async fn the_wizard_count_in_sql_equals_matching_every_listing() {
    use homehound::search::{ListingView, Rooms, SearchFilter};
    let test_db = TestDb::new().await;
    let db = migrated(&test_db).await;
    let now = Utc::now();
    let rows = db::sources::sync(
        &db,
        &[
            ("wg".into(), "css".into(), "https://a.example/".into()),
            ("bayut".into(), "json".into(), "https://b.example/".into()),
        ],
        now,
    )
    .await
    .unwrap();
    // A small xorshift: the same listings and filters every run.
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let districts = ["Mitte", "Kreuzberg", "Friedrichshain-Kreuzberg", "Neukölln", "ÖSTLICH", "Dubai Marina"];
    let periods = ["month", "year", "week", "day"];
    let mut listings = Vec::new();
    for i in 0..400 {
        let pick = |n: u64, v: u64| (!v.is_multiple_of(5)).then_some(n);
        let r = next(1000);
        listings.push(listing::ActiveModel {
            source_id: Set(rows[(r % 2) as usize].id),
            external_id: Set(format!("l{i}")),
            url: Set(format!("https://a.example/{i}")),
            title: Set(if r % 7 == 0 { "Flat with WBS".into() } else { format!("Flat {i}") }),
            description: Set((r % 3 == 0).then(|| "Tausch gesucht".to_owned())),
            monthly_price: Set(pick(next(3000), r).map(|p| p as i64)),
            rooms: Set(pick(next(12), r).map(|x| x as f64 / 2.0)),
            area_m2: Set(pick(next(150), r).map(|x| x as f64)),
            district: Set(pick(next(6), r).map(|d| districts[d as usize].to_owned())),
            furnished: Set(match next(3) {
                0 => None,
                1 => Some(true),
                _ => Some(false),
            }),
            period: Set(pick(next(4), r).map(|p| periods[p as usize].to_owned())),
            first_seen_at: Set(now - chrono::Duration::hours(next(24 * 10) as i64)),
            last_seen_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        });
    }
    listing::Entity::insert_many(listings).exec_without_returning(&db).await.unwrap();
    let stored = listing::Entity::find().all(&db).await.unwrap();
    let since = now - chrono::Duration::days(7);
    let names = |id: i64| if id == rows[0].id { "wg" } else { "bayut" };
    for _ in 0..300 {
        let mut f = SearchFilter::default();
        if next(3) == 0 {
            f.source = Some(if next(2) == 0 { "WG".into() } else { "bayut".into() });
        }
        if next(3) == 0 {
            f.price_max = Some(next(3000) as i64);
        }
        if next(3) == 0 {
            f.price_min = Some(next(1500) as i64);
        }
        if next(3) == 0 {
            f.area_min = Some(next(100) as f64);
        }
        f.rooms = match next(4) {
            0 => Some(Rooms::Set {
                counts: vec![0.0, 2.0, 1.5][..next(3) as usize + 1].to_vec(),
                four_plus: next(2) == 0,
            }),
            1 => Some(Rooms::Range { min: Some(next(3) as f64), max: Some(3.0 + next(3) as f64) }),
            _ => None,
        };
        if next(3) == 0 {
            f.furnished = Some(next(2) == 0);
        }
        if next(3) == 0 {
            f.periods = periods[..next(4) as usize + 1].iter().map(|p| (*p).to_owned()).collect();
        }
        if next(3) == 0 {
            f.districts = vec!["kreuzberg".into(), "östlich".into()][..next(2) as usize + 1].to_vec();
        }
        if next(3) == 0 {
            f.exclude = vec!["wbs".into()];
        }
        let want = stored
            .iter()
            .filter(|l| l.first_seen_at >= since && f.matches(&ListingView::of_stored(l, names(l.source_id))))
            .count() as u64;
        let got = db::searches::recent_matches(&db, &f, since).await.unwrap();
        assert_eq!(got, want, "{f:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_joins_and_saves_keep_one_membership_and_the_cap() {
    use db::searches::{Created, Joined, MAX_PER_CHAT};
    use homehound::search::SearchFilter;
    let test_db = TestDb::new().await;
    let db = migrated(&test_db).await;
    let now = Utc::now();
    for id in [1, 2, 3] {
        add_chat(&db, id).await;
    }
    let Created::Saved(shared) = db::searches::create(&db, 1, &SearchFilter::default(), now).await.unwrap() else {
        panic!("saved")
    };
    let token = db::searches::share(&db, 1, shared, "tok", now).await.unwrap().unwrap();
    // Four pools, as replicas (or a double tap) would: chat 2 follows the
    // link eight times at once.
    let mut pools = vec![db.clone()];
    for _ in 0..3 {
        pools.push(db::connect(&test_db.url, PoolRole::Bot).await.unwrap());
    }
    let joins: Vec<_> = (0..8)
        .map(|i| {
            let (db, token) = (pools[i % pools.len()].clone(), token.clone());
            tokio::spawn(async move { db::searches::join(&db, 2, &token, Utc::now()).await })
        })
        .collect();
    let mut joined = 0;
    for j in joins {
        match j.await.unwrap().unwrap() {
            Joined::Joined { .. } => joined += 1,
            Joined::Already(_) => (),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(joined, 1, "one membership");
    assert_eq!(db::searches::list(&db, 2).await.unwrap().len(), 1);

    // Chat 3 has 45 searches and saves 10 more at once: 50 in the end.
    for _ in 0..45 {
        db::searches::create(&db, 3, &SearchFilter::default(), now).await.unwrap();
    }
    let saves: Vec<_> = (0..10)
        .map(|i| {
            let db = pools[i % pools.len()].clone();
            tokio::spawn(async move { db::searches::create(&db, 3, &SearchFilter::default(), Utc::now()).await })
        })
        .collect();
    let mut refused = 0;
    for s in saves {
        if s.await.unwrap().unwrap() == Created::TooMany {
            refused += 1;
        }
    }
    assert_eq!(refused, 5);
    assert_eq!(db::searches::list(&db, 3).await.unwrap().len() as u64, MAX_PER_CHAT);
}

#[tokio::test]
async fn a_digest_drops_its_alerts_only_once_sent_and_a_failed_one_puts_them_back() {
    use db::outbox::{Fence, Settled, fold_digest, settle_folded};
    use entity::status::{outbox_kind, outbox_status};
    use homehound::db::listings::RunResult;
    use sea_orm::{ColumnTrait, QueryFilter};
    let test_db = TestDb::new().await;
    let db = migrated(&test_db).await;
    let now = Utc::now();
    crate::support::db::insert_chats_with_access(&db, &[1], |_| {
        (now - chrono::Duration::hours(1), now + chrono::Duration::days(1))
    })
    .await;
    crate::support::db::insert_catch_all_searches(&db, &[1]).await;
    let source =
        db::sources::sync(&db, &[("s".into(), "css".into(), "https://site.example/".into())], now).await.unwrap()[0].id;
    let policy = homehound::scraper::run_policy(3, &[]);
    let run = |listings: Vec<homehound::listing::Listing>| {
        let db = db.clone();
        async move {
            let result = RunResult::Listings { listings, validators: Default::default() };
            db::listings::record_run(&db, source, now, &result, &policy, now).await.unwrap()
        }
    };
    run(vec![crate::support::flat("seed", 900)]).await;
    let two = vec![crate::support::flat("seed", 900), crate::support::flat("a", 1000), crate::support::flat("b", 1100)];
    assert_eq!(run(two).await.alerts_queued, 2);
    // Quiet hours held them.
    outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, sea_orm::sea_query::Expr::value(outbox_status::HELD))
        .exec(&db)
        .await
        .unwrap();
    let status_count = |status: &'static str| {
        let db = db.clone();
        async move {
            outbox::Entity::find()
                .filter(outbox::Column::Status.eq(status))
                .filter(outbox::Column::Kind.ne(outbox_kind::DIGEST))
                .count(&db)
                .await
                .unwrap()
        }
    };

    assert_eq!(fold_digest(&db, 1, now).await.unwrap(), 2);
    assert_eq!(status_count(outbox_status::FOLDED).await, 2, "kept until the digest's outcome is known");
    assert_eq!(settle_folded(&db).await.unwrap(), Settled::default(), "the digest is still to be sent");
    // The digest fails (Telegram rejected it): its alerts are held again.
    let claimed = db::outbox::claim(&db, "s#1", 10, now).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].kind, outbox_kind::DIGEST);
    db::outbox::fail(&db, Fence { id: claimed[0].id, token: "s#1" }, outbox_status::FAILED, "Bad Request")
        .await
        .unwrap();
    assert_eq!(settle_folded(&db).await.unwrap(), Settled { dropped: 0, put_back: 2 });
    assert_eq!(status_count(outbox_status::HELD).await, 2);

    // Gathered again into a new digest, which is sent: now they are dropped.
    assert_eq!(fold_digest(&db, 1, now).await.unwrap(), 2);
    let later = now + chrono::Duration::seconds(5);
    let claimed = db::outbox::claim(&db, "s#1", 10, later).await.unwrap();
    assert_eq!(claimed.len(), 1, "the second digest");
    assert_ne!(claimed[0].dedup_key, "", "a digest of its own");
    db::outbox::mark_sent_many(&db, "s#1", &[claimed[0].id], false, later).await.unwrap();
    assert_eq!(settle_folded(&db).await.unwrap(), Settled { dropped: 2, put_back: 0 });
    assert_eq!(status_count(outbox_status::DROPPED).await, 2);
    assert_eq!(status_count(outbox_status::FOLDED).await + status_count(outbox_status::HELD).await, 0);

    // Alerts whose digests keep failing are given up after FOLD_TRIES.
    outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, sea_orm::sea_query::Expr::value(outbox_status::HELD))
        .col_expr(outbox::Column::Attempts, sea_orm::sea_query::Expr::value(db::outbox::FOLD_TRIES))
        .filter(outbox::Column::Kind.ne(outbox_kind::DIGEST))
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(fold_digest(&db, 1, later).await.unwrap(), 0);
    assert_eq!(status_count(outbox_status::DROPPED).await, 2);
}
