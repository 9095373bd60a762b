//! Every word right (issue 23): the chat's language in every answer, as
//! Telegram received it from the bot.

use homehound::app::AppExit;

use crate::{
    bot::config_with_sources,
    support::{
        TestApp, bot_only,
        db::TestDb,
        telegram::{FakeTelegram, Fault},
    },
};

/// Fails when a text sent to a Russian chat has a line of words without a
/// Cyrillic letter, outside `<code>` (the syntax, which is English by
/// design) and links (listing titles and addresses).
pub fn assert_reads_russian(text: &str) {
    let mut plain = String::with_capacity(text.len());
    let mut rest = text;
    // Drop <code>…</code> and <a …>…</a>, then every other tag.
    while !rest.is_empty() {
        let next = ["<code>", "<a "].iter().filter_map(|open| rest.find(open).map(|at| (at, *open))).min();
        match next {
            Some((at, open)) => {
                plain.push_str(&rest[..at]);
                let close = if open == "<code>" { "</code>" } else { "</a>" };
                rest = rest[at..].find(close).map_or("", |end| &rest[at + end + close.len()..]);
            }
            None => {
                plain.push_str(rest);
                rest = "";
            }
        }
    }
    let mut untagged = String::with_capacity(plain.len());
    let mut in_tag = false;
    for c in plain.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => untagged.push(c),
            _ => {}
        }
    }
    for line in untagged.lines() {
        let latin_word = line.split(|c: char| !c.is_ascii_alphabetic()).any(|w| w.len() >= 3);
        let cyrillic = line.chars().any(|c| matches!(c, 'а'..='я' | 'А'..='Я' | 'ё' | 'Ё'));
        assert!(!latin_word || cyrillic, "an English line in a Russian chat: {line:?}\nin: {text}");
    }
}

#[test]
fn the_russian_lint_can_fail() {
    assert_reads_russian("Не сохранено: price.\nПравильно: <code>price=MIN-MAX</code>");
    assert!(std::panic::catch_unwind(|| assert_reads_russian("Not saved: price.")).is_err());
    assert!(std::panic::catch_unwind(|| assert_reads_russian("Поиск\n<b>Valid form</b>")).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_russian_chat_reads_syntax_errors_and_typed_prices_in_russian() {
    let fake = FakeTelegram::start().await;
    let test_db = TestDb::new().await;
    let app = TestApp::start(config_with_sources(&test_db.url, &fake.url, &[]), bot_only()).await;
    let cases = [
        ("/new price=abc", "price: в «abc» нет дефиса"),
        ("/new color=red", "нет ключа «color»"),
        ("/new furnished=maybe", "«maybe» — не yes, no или any"),
        ("/new source=nosuchsite", "нет источника «nosuchsite»; источники: wg, other"),
        ("/new rooms=99", "больше 50 комнат?"),
        ("/new 1 500", "«1» — не в виде ключ=значение"),
    ];
    for (i, (line, _)) in cases.iter().enumerate() {
        fake.send_text(700 + i as i64, "Иван", "ru", line);
    }
    for (i, (line, want)) in cases.iter().enumerate() {
        let reply = fake.wait_shown(700 + i as i64, "Не сохранено").await;
        assert!(reply.text.contains(want), "{line}: {}", reply.text);
        assert!(reply.text.contains("\nПравильно: <code>"), "{line}: {}", reply.text);
        assert_reads_russian(&reply.text);
    }

    // The wizard's typed price, as people type it.
    let chat = 720;
    fake.send_text(chat, "Иван", "ru", "/new");
    fake.wait_shown(chat, "Какой сайт?").await;
    fake.press_as(chat, "wg", "ru");
    fake.wait_button(chat, "Далее ›").await;
    fake.press_as(chat, "Далее ›", "ru");
    fake.wait_button(chat, "✏️ Ввести число").await;
    fake.press_as(chat, "✏️ Ввести число", "ru");
    fake.wait_shown(chat, "Отправьте максимальную цену").await;
    fake.send_text(chat, "Иван", "ru", "дёшево");
    let refused = fake.wait_shown(chat, "Не удалось прочитать цену").await;
    assert!(refused.text.starts_with("Не удалось прочитать цену: «дёшево» — не число. Отправьте"), "{}", refused.text);
    fake.send_text(chat, "Иван", "ru", "от 800 до 1 500 €");
    fake.wait_shown(chat, "Сколько комнат?").await;
    for shown in fake.shown(chat) {
        assert_reads_russian(&shown.text);
    }
    assert_eq!(app.stop().await, AppExit::Clean);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_button_is_answered_at_once_behind_a_queue_of_replies() {
    let fake = FakeTelegram::start().await;
    let test_db = TestDb::new().await;
    let chat = 730;
    let app = TestApp::start(config_with_sources(&test_db.url, &fake.url, &[]), bot_only()).await;
    fake.send_text(chat, "Ann", "en", "/start");
    fake.wait_button(chat, "🔎 New search").await;
    // 17 messages: their replies go out one a second (Telegram's pace for
    // one chat), so the chat's queue is busy for about 17 s.
    for _ in 0..17 {
        fake.send_text(chat, "Ann", "en", "/help");
    }
    fake.wait_shown(chat, "alerts you to new listings").await;
    let answered_before = fake.calls_to("answerCallbackQuery").len();
    let pressed = std::time::Instant::now();
    fake.press(chat, "🔎 New search");
    let calls = fake
        .wait_for(std::time::Duration::from_secs(30), "the answer", |c| {
            c.iter().filter(|c| c.method == "answercallbackquery").count() > answered_before
        })
        .await;
    let answered = calls.iter().filter(|c| c.method == "answercallbackquery").nth(answered_before).unwrap().at;
    assert!(answered - pressed < std::time::Duration::from_millis(1500), "spinner for {:?}", answered - pressed);
    let helps = fake.shown(chat).iter().filter(|m| m.text.contains("alerts you to new listings")).count();
    assert!(helps < 10, "the queue was not busy when the button was answered ({helps} replies out)");
    // The press itself is done too, ahead of the queued replies.
    fake.wait_shown(chat, "Which site?").await;
    let helps = fake.shown(chat).iter().filter(|m| m.text.contains("alerts you to new listings")).count();
    assert!(helps < 17, "the wizard came after every queued reply");
    assert_eq!(app.stop().await, AppExit::Clean);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_russian_admin_reads_admin_answers_and_refusals_in_russian() {
    let fake = FakeTelegram::start().await;
    let test_db = TestDb::new().await;
    let (admin, user) = (1, 4300);
    let overrides = [("ADMIN_CHAT_IDS", "1"), ("PLANS", "week:7d:50")];
    let app = TestApp::start(config_with_sources(&test_db.url, &fake.url, &overrides), bot_only()).await;
    fake.send_text(user, "Payer", "en", "/start");
    fake.wait_shown(user, "free trial").await;
    fake.send_text(admin, "Админ", "ru", "/start");
    fake.wait_button(admin, "🔎 Новый поиск").await;

    fake.send_text(admin, "Админ", "ru", "/grant 4300 30d");
    let granted = fake.wait_shown(admin, "Чату 4300 добавлено 30 дней: доступ до ").await;
    assert!(granted.text.ends_with("(МСК)."), "{}", granted.text);
    fake.send_text(admin, "Админ", "ru", "/grant");
    fake.wait_shown(admin, "Как писать: <code>/grant ID_ЧАТА СРОК</code>").await;
    fake.send_text(admin, "Админ", "ru", "/stats");
    let stats = fake.wait_shown(admin, "<b>Статистика</b>").await;
    assert!(stats.text.contains("Чатов: 2"), "{}", stats.text);
    fake.send_text(admin, "Админ", "ru", "/sources");
    fake.wait_shown(admin, "Источники ещё не запускались").await;
    fake.send_text(admin, "Админ", "ru", "/refund nosuch");
    fake.wait_shown(admin, "Нет платежа с таким id.").await;

    // Telegram refuses a refund: said in words, not as the library's error.
    fake.send_successful_payment(user, "XTR", 50, &format!("plan:week:{user}"), "charge-r");
    fake.wait_shown(user, "Thank you!").await;
    fake.inject("refundStarPayment", [Fault::BadRequest("Bad Request: CHARGE_NOT_REFUNDABLE")]);
    fake.send_text(admin, "Админ", "ru", "/refund charge-r");
    let refused = fake.wait_shown(admin, "Telegram отказал в возврате").await;
    assert_eq!(
        refused.text,
        "Telegram отказал в возврате: этот платёж уже нельзя вернуть (он слишком старый или уже возвращён)."
    );
    for shown in fake.shown(admin) {
        assert_reads_russian(&shown.text);
    }
    // The admin's command menu has a Russian version.
    let menus = fake.calls_to("setMyCommands");
    let russian_admin = menus
        .iter()
        .find(|c| c.body["scope"]["type"] == "chat" && c.body["language_code"] == "ru")
        .expect("a Russian admin menu");
    let commands = russian_admin.body["commands"].as_array().unwrap();
    assert!(commands.iter().any(|c| c["command"] == "grant" && c["description"] == "Админ: /grant ID_ЧАТА СРОК"));
    assert_eq!(app.stop().await, AppExit::Clean);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_open_what_they_promise_without_the_welcome_again_and_invoices_name_the_plan() {
    let fake = FakeTelegram::start().await;
    let test_db = TestDb::new().await;
    let (anna, ivan) = (801, 802);
    let overrides = [("PLANS", "week:7d:50")];
    let app = TestApp::start(config_with_sources(&test_db.url, &fake.url, &overrides), bot_only()).await;
    fake.send_text(anna, "Anna", "en", "/start");
    fake.send_text(anna, "Anna", "en", "/new price=-2000");
    let saved = fake.wait_shown(anna, "Saved search #").await;
    let id: String = saved.text.split('#').nth(1).unwrap().chars().take_while(char::is_ascii_digit).collect();
    fake.send_text(anna, "Anna", "en", &format!("/share {id}"));
    let shown = fake.wait_shown(anna, "Send this link").await;
    let link = shown.text.split_whitespace().find(|w| w.starts_with("https://t.me/")).unwrap().to_owned();
    let token = link.split("start=").nth(1).unwrap().trim_end_matches(['.', ')']).to_owned();

    // Ivan knows the bot already: the link joins him, with no second welcome.
    fake.send_text(ivan, "Иван", "ru", "/start");
    fake.wait_shown(ivan, "пробный период").await;
    fake.send_text(ivan, "Иван", "ru", &format!("/start {token}"));
    fake.wait_shown(ivan, "Теперь вы ведёте поиск").await;
    // A link that leads nowhere says so (not that everyone left).
    fake.send_text(ivan, "Иван", "ru", "/start share_0123456789abcdef01234567");
    fake.wait_shown(ivan, "Эта ссылка не работает").await;
    let welcomes = fake.shown(ivan).iter().filter(|m| m.text.contains("пробный период")).count();
    assert_eq!(welcomes, 1, "{:#?}", fake.shown(ivan));
    for shown in fake.shown(ivan) {
        assert_reads_russian(&shown.text);
    }

    // The invoice's line item is the plan's name, not its id.
    fake.send_text(ivan, "Иван", "ru", "/plans");
    fake.wait_button(ivan, "Неделя · 7 дней · 50 ⭐").await;
    fake.press_as(ivan, "Неделя · 7 дней · 50 ⭐", "ru");
    let calls = fake
        .wait_for(std::time::Duration::from_secs(10), "the invoice", |c| c.iter().any(|c| c.method == "sendinvoice"))
        .await;
    let invoice = &calls.iter().find(|c| c.method == "sendinvoice").unwrap().body;
    assert_eq!(invoice["prices"][0]["label"], "Неделя", "{invoice}");
    assert_eq!(app.stop().await, AppExit::Clean);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn times_are_shown_in_the_chats_zone() {
    let fake = FakeTelegram::start().await;
    let test_db = TestDb::new().await;
    let chat = 810;
    let app = TestApp::start(config_with_sources(&test_db.url, &fake.url, &[]), bot_only()).await;
    fake.send_text(chat, "Иван", "ru", "/start");
    fake.send_text(chat, "Иван", "ru", "/status");
    let status = fake.wait_shown(chat, "Пробный период, действует до").await;
    assert!(status.text.contains("(МСК)</b>") && !status.text.contains("UTC"), "{}", status.text);
    assert_reads_russian(&status.text);
    fake.send_text(chat, "Иван", "ru", "/timezone Asia/Dubai");
    let set = fake.wait_shown(chat, "Часовой пояс: Asia/Dubai").await;
    assert!(set.text.contains("тихие часы теперь по нему"), "{}", set.text);
    fake.send_text(chat, "Иван", "ru", "/status");
    crate::support::wait_until(std::time::Duration::from_secs(10), "the status in Dubai's time", || {
        fake.shown(chat).iter().any(|m| m.text.contains("Пробный период") && m.text.contains("(UTC+04)</b>"))
    })
    .await;
    assert_eq!(app.stop().await, AppExit::Clean);
}
