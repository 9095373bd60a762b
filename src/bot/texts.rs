//! Every text the bot sends, in one place. Interpolated values are
//! HTML-escaped here, never at the call site.

use std::time::Duration;

/// Escapes `&`, `<`, `>` and `"` for Telegram's HTML parse mode.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// The language a chat reads: Russian for `ru`, English for everything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Ru,
}

impl Lang {
    /// From Telegram's `language_code` (`ru`, `ru-RU`, `en-GB`, …).
    pub fn from_code(code: Option<&str>) -> Self {
        match code.map(|c| c.get(..2).unwrap_or(c).to_ascii_lowercase()) {
            Some(c) if c == "ru" => Lang::Ru,
            _ => Lang::En,
        }
    }

    fn pick(self, en: &'static str, ru: &'static str) -> &'static str {
        match self {
            Lang::En => en,
            Lang::Ru => ru,
        }
    }
}

/// The texts of one language. Every method returns Telegram HTML with its
/// interpolated values escaped.
#[derive(Debug, Clone, Copy)]
pub struct Texts(pub Lang);

/// "2026-11-23 18:00 UTC".
pub fn utc(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

impl Texts {
    pub fn welcome(self, first_name: Option<&str>, new: bool, trial: Duration) -> String {
        let name = first_name.map(escape);
        let trial_text = humantime::format_duration(trial).to_string();
        match self.0 {
            Lang::En => {
                let greeting = name.map_or("Hi!".to_owned(), |n| format!("Hi, {n}!"));
                let trial = if new && !trial.is_zero() {
                    format!("\n\nYour free trial of <b>{trial_text}</b> has started.")
                } else {
                    String::new()
                };
                format!(
                    "{greeting} I watch listing sites and tell you about new flats that match your searches \
                     within seconds of them appearing.{trial}\n\nTap <b>New search</b> to say what you are \
                     looking for, or send a search in one line, e.g.\n\
                     <code>/new price=-1500 rooms=1,2 district=Mitte</code>"
                )
            }
            Lang::Ru => {
                let greeting = name.map_or("Привет!".to_owned(), |n| format!("Привет, {n}!"));
                let trial = if new && !trial.is_zero() {
                    format!("\n\nВаш бесплатный пробный период <b>{trial_text}</b> начался.")
                } else {
                    String::new()
                };
                format!(
                    "{greeting} Я слежу за сайтами объявлений и сообщаю о новых квартирах по вашим поискам \
                     через секунды после публикации.{trial}\n\nНажмите <b>Новый поиск</b>, чтобы описать, что \
                     вы ищете, или отправьте поиск одной строкой, например:\n\
                     <code>/new price=-1500 rooms=1,2 district=Mitte</code>"
                )
            }
        }
    }

    pub fn help(self, admin: bool) -> String {
        let mut text = self
            .0
            .pick(
                "<b>homehound</b> alerts you to new listings that match your saved searches.\n\n\
                 /new — a new search, step by step\n\
                 /new <code>key=value …</code> — a new search in one line:\n\
                 <code>source=NAME price=MIN-MAX rooms=studio,1,2,4+ area=MIN- district=\"Dubai Marina\",JLT \
                 furnished=yes|no|any period=month,year exclude=WORD,WORD</code>\n\
                 /searches — your searches: pause, resume, delete\n\
                 /delete <code>ID</code> — delete a search\n\
                 /pause, /resume — stop or restart all alerts\n\
                 /status — your access and when it ends\n\
                 /plans — plans and renewal (Telegram Stars)\n\
                 /paysupport — help with a payment\n\
                 /help — this message",
                "<b>homehound</b> присылает новые объявления по вашим сохранённым поискам.\n\n\
                 /new — новый поиск по шагам\n\
                 /new <code>ключ=значение …</code> — новый поиск одной строкой:\n\
                 <code>source=NAME price=MIN-MAX rooms=studio,1,2,4+ area=MIN- district=\"Dubai Marina\",JLT \
                 furnished=yes|no|any period=month,year exclude=WORD,WORD</code>\n\
                 /searches — ваши поиски: пауза, продолжить, удалить\n\
                 /delete <code>ID</code> — удалить поиск\n\
                 /pause, /resume — остановить или возобновить все уведомления\n\
                 /status — ваш доступ и когда он заканчивается\n\
                 /plans — тарифы и продление (звёзды Telegram)\n\
                 /paysupport — помощь с оплатой\n\
                 /help — это сообщение",
            )
            .to_owned();
        if admin {
            text.push_str(
                "\n\n<b>Admin</b>\n/stats — figures\n/sources — each source's health\n\
                 /grant <code>CHAT_ID DURATION</code> — extend a chat's access (e.g. 30d)\n\
                 /broadcast <code>TEXT</code> — a message to every chat with access\n\
                 /refund <code>CHARGE_ID</code> — refund a Stars payment and take back its access",
            );
        }
        text
    }

    pub fn unknown(self) -> String {
        self.0
            .pick(
                "I did not understand that. Send /help to see what I can do.",
                "Я не понял. Отправьте /help, чтобы увидеть, что я умею.",
            )
            .to_owned()
    }

    pub fn internal_error(self) -> String {
        self.0
            .pick(
                "Something went wrong on my side. Please try again in a minute.",
                "Что-то пошло не так. Попробуйте ещё раз через минуту.",
            )
            .to_owned()
    }

    // ------------------------------------------------------------ buttons

    pub fn btn_new(self) -> &'static str {
        self.0.pick("🔎 New search", "🔎 Новый поиск")
    }
    pub fn btn_searches(self) -> &'static str {
        self.0.pick("📋 My searches", "📋 Мои поиски")
    }
    pub fn btn_subscription(self) -> &'static str {
        self.0.pick("⭐ Subscription", "⭐ Подписка")
    }
    pub fn btn_help(self) -> &'static str {
        self.0.pick("❓ Help", "❓ Помощь")
    }
    pub fn btn_next(self) -> &'static str {
        self.0.pick("Next ›", "Далее ›")
    }
    pub fn btn_back(self) -> &'static str {
        self.0.pick("‹ Back", "‹ Назад")
    }
    pub fn btn_cancel(self) -> &'static str {
        self.0.pick("✖ Cancel", "✖ Отмена")
    }
    pub fn btn_save(self) -> &'static str {
        self.0.pick("💾 Save", "💾 Сохранить")
    }
    pub fn btn_any(self) -> &'static str {
        self.0.pick("Any", "Любой")
    }
    pub fn btn_type_number(self) -> &'static str {
        self.0.pick("✏️ Type a number", "✏️ Ввести число")
    }
    pub fn btn_yes(self) -> &'static str {
        self.0.pick("Furnished", "С мебелью")
    }
    pub fn btn_no(self) -> &'static str {
        self.0.pick("Unfurnished", "Без мебели")
    }
    pub fn btn_pause(self, id: i64) -> String {
        format!("{} #{id}", self.0.pick("⏸ Pause", "⏸ Пауза"))
    }
    pub fn btn_resume(self, id: i64) -> String {
        format!("{} #{id}", self.0.pick("▶️ Resume", "▶️ Продолжить"))
    }
    pub fn btn_delete(self, id: i64) -> String {
        format!("{} #{id}", self.0.pick("🗑 Delete", "🗑 Удалить"))
    }
    pub fn btn_prev_page(self) -> &'static str {
        self.0.pick("‹ Previous", "‹ Назад")
    }
    pub fn btn_next_page(self) -> &'static str {
        self.0.pick("More ›", "Ещё ›")
    }
    pub fn studio(self) -> &'static str {
        self.0.pick("Studio", "Студия")
    }

    // ------------------------------------------------------------- wizard

    pub fn wizard_source(self) -> String {
        self.0.pick("<b>New search · 1/7</b>\nWhich site?", "<b>Новый поиск · 1/7</b>\nКакой сайт?").to_owned()
    }
    pub fn wizard_districts(self, known: bool) -> String {
        match (self.0, known) {
            (Lang::En, true) => "<b>New search · 2/7</b>\nWhich districts? Tap to select several, then Next.",
            (Lang::En, false) => "<b>New search · 2/7</b>\nNo districts seen yet for this choice: any district.",
            (Lang::Ru, true) => "<b>Новый поиск · 2/7</b>\nКакие районы? Можно выбрать несколько, затем Далее.",
            (Lang::Ru, false) => "<b>Новый поиск · 2/7</b>\nРайонов пока не видно: любой район.",
        }
        .to_owned()
    }
    pub fn wizard_price(self) -> String {
        self.0
            .pick(
                "<b>New search · 3/7</b>\nHighest monthly price (in the listing's currency)?",
                "<b>Новый поиск · 3/7</b>\nМаксимальная цена в месяц (в валюте объявления)?",
            )
            .to_owned()
    }
    pub fn wizard_price_prompt(self) -> String {
        self.0
            .pick(
                "Send the highest monthly price as a number (e.g. <code>1500</code>) or a range (<code>800-1500</code>).",
                "Отправьте максимальную цену числом (например, <code>1500</code>) или диапазоном (<code>800-1500</code>).",
            )
            .to_owned()
    }
    pub fn wizard_price_invalid(self, problem: &str) -> String {
        format!(
            "{} {}",
            escape(problem),
            self.0.pick(
                "Send a number like <code>1500</code> or a range like <code>800-1500</code>.",
                "Отправьте число, например <code>1500</code>, или диапазон <code>800-1500</code>.",
            )
        )
    }
    pub fn wizard_rooms(self) -> String {
        self.0
            .pick(
                "<b>New search · 4/7</b>\nHow many rooms? Tap to select several.",
                "<b>Новый поиск · 4/7</b>\nСколько комнат? Можно выбрать несколько.",
            )
            .to_owned()
    }
    pub fn wizard_area(self) -> String {
        self.0
            .pick("<b>New search · 5/7</b>\nSmallest area?", "<b>Новый поиск · 5/7</b>\nМинимальная площадь?")
            .to_owned()
    }
    pub fn wizard_furnished(self) -> String {
        self.0.pick("<b>New search · 6/7</b>\nFurnished?", "<b>Новый поиск · 6/7</b>\nМебель?").to_owned()
    }
    pub fn wizard_period(self) -> String {
        self.0
            .pick(
                "<b>New search · 7/7</b>\nWhich rental periods? Tap to select several (daily and weekly are mostly holiday lets).",
                "<b>Новый поиск · 7/7</b>\nСрок аренды? Можно выбрать несколько (посуточно и понедельно — в основном отпускное жильё).",
            )
            .to_owned()
    }
    /// A rental period's button label (`month`, `year`, `week`, `day`).
    pub fn period_label(self, period: &str) -> &'static str {
        match period {
            "month" => self.0.pick("Monthly", "Помесячно"),
            "year" => self.0.pick("Yearly", "На год"),
            "week" => self.0.pick("Weekly", "Понедельно"),
            _ => self.0.pick("Daily", "Посуточно"),
        }
    }
    pub fn wizard_summary(self, line: &str, matches: u64) -> String {
        let line = if line.is_empty() {
            self.0.pick("(any listing)", "(любое объявление)").to_owned()
        } else {
            escape(line)
        };
        match self.0 {
            Lang::En => format!(
                "<b>Your search</b>\n<code>{line}</code>\n\nIt would have matched <b>{matches}</b> listings \
                 of the last 7 days. Save it?"
            ),
            Lang::Ru => format!(
                "<b>Ваш поиск</b>\n<code>{line}</code>\n\nЗа последние 7 дней ему подошло бы <b>{matches}</b> \
                 объявлений. Сохранить?"
            ),
        }
    }
    pub fn wizard_cancelled(self) -> String {
        self.0.pick("Cancelled. Send /new to start again.", "Отменено. Отправьте /new, чтобы начать заново.").to_owned()
    }
    pub fn stale_button(self) -> &'static str {
        self.0.pick(
            "This button is out of date. Send /new or /searches.",
            "Эта кнопка устарела. Отправьте /new или /searches.",
        )
    }

    // ----------------------------------------------------------- searches

    pub fn saved(self, id: i64, line: &str) -> String {
        let line = if line.is_empty() { "(any listing)".to_owned() } else { escape(line) };
        match self.0 {
            Lang::En => {
                format!("✅ Saved search #{id}:\n<code>{line}</code>\nI will alert you to new matching listings.")
            }
            Lang::Ru => format!("✅ Поиск #{id} сохранён:\n<code>{line}</code>\nЯ пришлю новые подходящие объявления."),
        }
    }
    pub fn too_many(self) -> String {
        match self.0 {
            Lang::En => format!(
                "You have {} searches, the most one chat can have. Delete one first (/searches).",
                crate::db::searches::MAX_PER_CHAT
            ),
            Lang::Ru => format!(
                "У вас уже {} поисков — это максимум. Сначала удалите один (/searches).",
                crate::db::searches::MAX_PER_CHAT
            ),
        }
    }
    pub fn syntax_error(self, problem: &str, valid_form: &str) -> String {
        match self.0 {
            Lang::En => format!("Not saved: {}.\nValid form: <code>{}</code>", escape(problem), escape(valid_form)),
            Lang::Ru => format!("Не сохранено: {}.\nПравильно: <code>{}</code>", escape(problem), escape(valid_form)),
        }
    }
    pub fn searches_header(self, total: usize, page: usize, pages: usize) -> String {
        match self.0 {
            Lang::En => format!(
                "<b>Your searches</b> ({total}){}",
                if pages > 1 { format!(" · page {}/{pages}", page + 1) } else { String::new() }
            ),
            Lang::Ru => format!(
                "<b>Ваши поиски</b> ({total}){}",
                if pages > 1 { format!(" · стр. {}/{pages}", page + 1) } else { String::new() }
            ),
        }
    }
    pub fn search_line(self, id: i64, line: &str, paused: bool) -> String {
        let line = if line.is_empty() { "(any listing)".to_owned() } else { escape(line) };
        let state = if paused { self.0.pick(" ⏸ paused", " ⏸ на паузе") } else { "" };
        format!("<b>#{id}</b>{state}\n<code>/new {line}</code>")
    }
    pub fn no_searches(self) -> String {
        self.0
            .pick(
                "You have no saved searches yet. Send /new to create one.",
                "У вас пока нет сохранённых поисков. Отправьте /new, чтобы создать.",
            )
            .to_owned()
    }
    pub fn not_found(self, id: &str) -> String {
        match self.0 {
            Lang::En => format!("You have no search #{}.", escape(id)),
            Lang::Ru => format!("У вас нет поиска #{}.", escape(id)),
        }
    }
    pub fn deleted(self, id: i64) -> String {
        match self.0 {
            Lang::En => format!("🗑 Deleted search #{id}."),
            Lang::Ru => format!("🗑 Поиск #{id} удалён."),
        }
    }
    pub fn search_paused(self, id: i64, paused: bool) -> String {
        match (self.0, paused) {
            (Lang::En, true) => format!("⏸ Search #{id} paused."),
            (Lang::En, false) => format!("▶️ Search #{id} resumed."),
            (Lang::Ru, true) => format!("⏸ Поиск #{id} на паузе."),
            (Lang::Ru, false) => format!("▶️ Поиск #{id} снова работает."),
        }
    }
    pub fn delete_usage(self) -> String {
        self.0
            .pick(
                "Write the search's number: <code>/delete 3</code> (see /searches).",
                "Укажите номер поиска: <code>/delete 3</code> (см. /searches).",
            )
            .to_owned()
    }

    // ------------------------------------------------- access and payments

    pub fn btn_renew(self) -> &'static str {
        self.0.pick("⭐ Renew", "⭐ Продлить")
    }

    /// A reminder before the end (`left` is the configured offset).
    pub fn reminder(self, left: Duration, ends_at: chrono::DateTime<chrono::Utc>) -> String {
        let left = humantime::format_duration(left);
        match self.0 {
            Lang::En => {
                format!("⏰ Your access ends in <b>{left}</b>, on {}. Renew to keep getting alerts.", utc(ends_at))
            }
            Lang::Ru => format!(
                "⏰ Ваш доступ закончится через <b>{left}</b>, {}. Продлите, чтобы получать уведомления.",
                utc(ends_at)
            ),
        }
    }

    pub fn expired(self) -> String {
        self.0
            .pick(
                "Your access has ended, so alerts are off. Renew to get them again.",
                "Ваш доступ закончился, уведомления выключены. Продлите, чтобы снова их получать.",
            )
            .to_owned()
    }

    pub fn plans(self, has_plans: bool) -> String {
        match (self.0, has_plans) {
            (Lang::En, true) => {
                "<b>Plans</b>\nPaid with Telegram Stars. Access is extended from its current end, so \
                                 no day is lost. Choose one:"
            }
            (Lang::Ru, true) => {
                "<b>Тарифы</b>\nОплата звёздами Telegram. Доступ продлевается от текущей даты окончания, \
                                 ни один день не теряется. Выберите:"
            }
            (Lang::En, false) => "No plans are on sale right now.",
            (Lang::Ru, false) => "Сейчас тарифов в продаже нет.",
        }
        .to_owned()
    }

    pub fn plan_button(self, name: &str, duration: Duration, stars: u32) -> String {
        format!("{name} · {} · {stars} ⭐", humantime::format_duration(duration))
    }

    /// At most 32 characters (Telegram's limit; plan names are at most
    /// `config::MAX_PLAN_NAME`).
    pub fn invoice_title(self, name: &str) -> String {
        format!("homehound: {name}").chars().take(32).collect()
    }

    pub fn private_only(self) -> String {
        self.0
            .pick(
                "I work in private chats only: open a chat with me and send /start there.",
                "Я работаю только в личных чатах: откройте чат со мной и отправьте /start там.",
            )
            .to_owned()
    }

    pub fn broken_link(self) -> String {
        self.0
            .pick(
                "This link is broken (it was cut or changed). Ask for a new one, or send /new to set up a search.",
                "Эта ссылка повреждена (её обрезали или изменили). Попросите новую или отправьте /new, чтобы настроить поиск.",
            )
            .to_owned()
    }

    /// Told to a user whose payment an admin refunded.
    pub fn refunded(self, stars: i64, ends_at: Option<chrono::DateTime<chrono::Utc>>) -> String {
        match (self.0, ends_at) {
            (Lang::En, Some(end)) => {
                format!("↩️ Your payment of {stars} ⭐ was refunded. Your access now ends on {}.", utc(end))
            }
            (Lang::En, None) => format!("↩️ Your payment of {stars} ⭐ was refunded. Your access has ended."),
            (Lang::Ru, Some(end)) => {
                format!("↩️ Ваш платёж {stars} ⭐ возвращён. Доступ теперь закончится {}.", utc(end))
            }
            (Lang::Ru, None) => format!("↩️ Ваш платёж {stars} ⭐ возвращён. Доступ закончился."),
        }
    }

    pub fn invoice_description(self, duration: Duration) -> String {
        let d = humantime::format_duration(duration);
        match self.0 {
            Lang::En => format!("{d} of listing alerts, added to your current access."),
            Lang::Ru => format!("{d} уведомлений о новых объявлениях, добавляются к текущему доступу."),
        }
    }

    pub fn paid(self, duration: Duration, ends_at: chrono::DateTime<chrono::Utc>) -> String {
        let d = humantime::format_duration(duration);
        match self.0 {
            Lang::En => format!("✅ Thank you! {d} added: access until <b>{}</b>.", utc(ends_at)),
            Lang::Ru => format!("✅ Спасибо! Добавлено {d}: доступ до <b>{}</b>.", utc(ends_at)),
        }
    }

    pub fn pay_support(self) -> String {
        self.0
            .pick(
                "For help with a payment, send your next message here: what went wrong and the date of the \
                 payment. It goes to an admin, whose answer comes back in this chat (usually within a day). \
                 Refunds of Telegram Stars are made by the admin through Telegram.",
                "Если с оплатой что-то не так, отправьте следующим сообщением, что случилось, и дату платежа. \
                 Оно уйдёт администратору, ответ придёт в этот чат (обычно в течение суток). Возврат звёзд \
                 делает администратор через Telegram.",
            )
            .to_owned()
    }

    pub fn support_sent(self) -> String {
        self.0
            .pick(
                "📨 Sent to the admins. Their answer will come here.",
                "📨 Отправлено администраторам. Ответ придёт сюда.",
            )
            .to_owned()
    }

    pub fn support_unavailable(self) -> String {
        self.0
            .pick(
                "Sorry, no admin can be reached right now. Please try /paysupport again later.",
                "Сейчас не удаётся связаться с администратором. Попробуйте /paysupport позже.",
            )
            .to_owned()
    }

    /// An admin's answer to a support request; `text` is the admin's own words.
    pub fn support_answer(self, text: &str) -> String {
        let head = self.0.pick("💬 <b>Support:</b>", "💬 <b>Поддержка:</b>");
        format!("{head}\n{}", escape(text))
    }

    pub fn checkout_error(self) -> String {
        self.0
            .pick(
                "This invoice is out of date. Send /plans and choose again.",
                "Этот счёт устарел. Отправьте /plans и выберите заново.",
            )
            .to_owned()
    }

    // ------------------------------------------------------ pause, status

    pub fn all_paused(self, paused: bool) -> String {
        match (self.0, paused) {
            (Lang::En, true) => "⏸ All alerts paused. Send /resume to get them again.",
            (Lang::En, false) => "▶️ Alerts resumed.",
            (Lang::Ru, true) => "⏸ Все уведомления на паузе. Отправьте /resume, чтобы возобновить.",
            (Lang::Ru, false) => "▶️ Уведомления возобновлены.",
        }
        .to_owned()
    }

    pub fn status(self, access: &crate::db::chats::Access, paused: bool, searches: usize) -> String {
        use crate::db::chats::Access;
        use entity::status::access_kind;
        let access = match (self.0, access) {
            (Lang::En, Access::Active { kind, ends_at }) => {
                let kind = match kind.as_str() {
                    k if k == access_kind::TRIAL => "Free trial",
                    k if k == access_kind::PAID => "Paid access",
                    _ => "Access granted by an admin",
                };
                format!("{kind}, active until <b>{}</b>.", utc(*ends_at))
            }
            (Lang::Ru, Access::Active { kind, ends_at }) => {
                let kind = match kind.as_str() {
                    k if k == access_kind::TRIAL => "Пробный период",
                    k if k == access_kind::PAID => "Оплаченный доступ",
                    _ => "Доступ от администратора",
                };
                format!("{kind}, действует до <b>{}</b>.", utc(*ends_at))
            }
            (Lang::En, Access::Expired { ended_at }) => {
                format!("Your access ended on {}; alerts are off.", utc(*ended_at))
            }
            (Lang::Ru, Access::Expired { ended_at }) => {
                format!("Ваш доступ закончился {}; уведомления выключены.", utc(*ended_at))
            }
            (Lang::En, Access::Never) => "You have no access yet; alerts are off.".to_owned(),
            (Lang::Ru, Access::Never) => "У вас пока нет доступа; уведомления выключены.".to_owned(),
        };
        let paused = if paused {
            self.0.pick("\n⏸ Alerts are paused (/resume).", "\n⏸ Уведомления на паузе (/resume).")
        } else {
            ""
        };
        match self.0 {
            Lang::En => format!("{access}{paused}\nSaved searches: {searches}."),
            Lang::Ru => format!("{access}{paused}\nСохранённых поисков: {searches}."),
        }
    }

    /// When each source the chat's searches use was last checked.
    pub fn sources_checked(
        self,
        sources: &[(String, Option<chrono::DateTime<chrono::Utc>>)],
        now: chrono::DateTime<chrono::Utc>,
    ) -> String {
        if sources.is_empty() {
            return String::new();
        }
        let ago = |at: &Option<chrono::DateTime<chrono::Utc>>| match at {
            None => self.0.pick("not yet", "ещё нет").to_owned(),
            Some(at) => {
                let mins = (now - *at).num_minutes().max(0);
                match (self.0, mins) {
                    (Lang::En, 0) => "just now".to_owned(),
                    (Lang::Ru, 0) => "только что".to_owned(),
                    (Lang::En, m) if m < 120 => format!("{m} min ago"),
                    (Lang::Ru, m) if m < 120 => format!("{m} мин назад"),
                    _ => format!("{} UTC", utc(*at)),
                }
            }
        };
        let list: Vec<String> = sources.iter().map(|(name, at)| format!("{} {}", escape(name), ago(at))).collect();
        let head = self.0.pick("Sources last checked", "Источники проверены");
        format!("\n{head}: {}.", list.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_html() {
        assert_eq!(escape("<b>Tom & \"Jerry\"</b>"), "&lt;b&gt;Tom &amp; &quot;Jerry&quot;&lt;/b&gt;");
    }

    #[test]
    fn welcome_escapes_the_name() {
        let text = Texts(Lang::En).welcome(Some("<script>"), true, Duration::from_secs(3 * 86_400));
        assert!(text.contains("&lt;script&gt;"), "{text}");
        assert!(text.contains("3days"), "{text}");
    }

    #[test]
    fn language_codes() {
        assert_eq!(Lang::from_code(Some("ru")), Lang::Ru);
        assert_eq!(Lang::from_code(Some("ru-RU")), Lang::Ru);
        assert_eq!(Lang::from_code(Some("de")), Lang::En);
        assert_eq!(Lang::from_code(Some("")), Lang::En);
        assert_eq!(Lang::from_code(None), Lang::En);
        assert!(Texts(Lang::Ru).unknown().contains("не понял"));
    }

    #[test]
    fn interpolated_values_are_escaped() {
        let t = Texts(Lang::En);
        assert!(t.saved(1, "district=<b>").contains("&lt;b&gt;"));
        assert!(t.syntax_error("\"<x>\" is odd", "a=<b>").contains("&lt;x&gt;"));
        assert!(t.not_found("<1>").contains("&lt;1&gt;"));
    }
}
