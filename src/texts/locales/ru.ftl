# homehound — русские тексты (Fluent). Формы множественного числа — по
# правилам CLDR: one (1, 21), few (2–4, 22), many (5–20, 11–14), other (дроби).

## Длительности

dur-days = { $n ->
    [one] { $n } день
    [few] { $n } дня
    [many] { $n } дней
   *[other] { $n } дня
}
dur-hours = { $n ->
    [one] { $n } час
    [few] { $n } часа
    [many] { $n } часов
   *[other] { $n } часа
}
dur-minutes = { $n ->
    [one] { $n } минута
    [few] { $n } минуты
    [many] { $n } минут
   *[other] { $n } минуты
}
dur-seconds = { $n ->
    [one] { $n } секунда
    [few] { $n } секунды
    [many] { $n } секунд
   *[other] { $n } секунды
}

## Старт, помощь, ошибки

hello = Привет!
hello-name = Привет, { $name }!
welcome =
    { $greeting } Я слежу за сайтами объявлений и сообщаю о новых квартирах по вашим поискам через секунды после публикации.{ $trial }

    Нажмите <b>Новый поиск</b>, чтобы описать, что вы ищете, или отправьте поиск одной строкой, например:
    <code>/new price=-1500 rooms=1,2 district=Mitte</code>
welcome-trial = Ваш бесплатный пробный период — <b>{ $trial }</b> — начался.
help =
    <b>homehound</b> присылает новые объявления по вашим сохранённым поискам.

    /new — новый поиск по шагам
    /new <code>ключ=значение …</code> — новый поиск одной строкой:
    <code>source=NAME price=MIN-MAX rooms=studio,1,2,4+ area=MIN- district="Dubai Marina",JLT furnished=yes|no|any period=month,year exclude=WORD,WORD</code>
    /searches — ваши поиски: пауза, продолжить, удалить
    /delete <code>ID</code> — удалить поиск
    /share <code>ID</code> — ссылка, по которой другой чат получит тот же поиск
    /saved — объявления, сохранённые кнопкой ⭐
    /market — рынок на графике: медианная цена по неделям и цена за м², для всех объявлений, фильтра (<code>/market district=Mitte rooms=2</code>) или сохранённого поиска (<code>/market ID</code>)
    /pause, /resume — остановить или возобновить все уведомления
    /quiet <code>23:00-08:00</code> — тихие часы: ночные объявления придут утром одним сообщением; /quiet off
    /timezone <code>Europe/Moscow</code> — ваш часовой пояс
    /status — ваш доступ и когда он заканчивается
    /plans — тарифы и продление (звёзды Telegram)
    /paysupport — помощь с оплатой
    /help — это сообщение

    Под каждым объявлением: 🙈 Скрыть — больше его не показывать, 🔕 Заглушить — район или источник для совпавшего поиска, ⭐ Сохранить — в /saved.
help-admin =
    <b>Администратор</b>
    /stats — цифры
    /sources — состояние источников
    /grant <code>CHAT_ID DURATION</code> — продлить доступ чата (например, 30d)
    /broadcast <code>TEXT</code> — сообщение всем чатам с доступом
    /refund <code>CHARGE_ID</code> — вернуть платёж звёздами и забрать его доступ
unknown = Я не понял. Отправьте /help, чтобы увидеть, что я умею.
internal-error = Что-то пошло не так. Попробуйте ещё раз через минуту.
private-only = Я работаю только в личных чатах: откройте чат со мной и отправьте /start там.
broken-link = Эта ссылка повреждена (её обрезали или изменили). Попросите новую или отправьте /new, чтобы настроить поиск.

## Кнопки

btn-new = 🔎 Новый поиск
btn-searches = 📋 Мои поиски
btn-subscription = ⭐ Подписка
btn-help = ❓ Помощь
btn-next = Далее ›
btn-back = ‹ Назад
btn-cancel = ✖ Отмена
btn-save = 💾 Сохранить
btn-any = Любой
btn-type-number = ✏️ Ввести число
btn-furnished = С мебелью
btn-unfurnished = Без мебели
btn-pause = ⏸ Пауза #{ $id }
btn-resume = ▶️ Продолжить #{ $id }
btn-delete = 🗑 Удалить #{ $id }
btn-prev-page = ‹ Назад
btn-next-page = Ещё ›
btn-renew = ⭐ Продлить
studio = Студия

## Мастер поиска

wizard-step = <b>Новый поиск · { $step }/{ $steps }</b>
wizard-source = Какой сайт?
wizard-districts = Какие районы? Можно выбрать несколько, затем Далее.
wizard-no-districts = Районов пока не видно: любой район.
wizard-place-hint = 📍 Или отправьте геопозицию (📎 → Геопозиция), чтобы получать объявления рядом с местом.
wizard-radius = Как далеко от отправленного места?
btn-drop-place = 📍 { $radius } от вашего места ✕
place-without-wizard = Чтобы получать объявления рядом с этим местом, откройте /new и отправьте геопозицию на шаге районов или напишите <code>/new near=ШИРОТА,ДОЛГОТА:2km</code>.
place-not-taken = Геопозицию можно отправить только на шаге районов в /new (вернитесь кнопкой ‹ Назад).
wizard-price = Максимальная цена в месяц (в валюте объявления)?
wizard-price-prompt = Отправьте максимальную цену числом (например, <code>1500</code>) или диапазоном (<code>800-1500</code>).
wizard-price-invalid = Не удалось прочитать цену: { $problem } Отправьте число, например <code>1500</code>, или диапазон <code>800-1500</code>.
wizard-price-too-low = цена в месяц меньше { $min } — это не цена
wizard-rooms = Сколько комнат? Можно выбрать несколько.
wizard-area = Минимальная площадь?
wizard-furnished = Мебель?
wizard-period = Срок аренды? Можно выбрать несколько (посуточно и понедельно — в основном отпускное жильё).
period-month = Помесячно
period-year = На год
period-week = Понедельно
period-day = Посуточно
wizard-summary =
    <b>Ваш поиск</b>
    <code>{ $line }</code>

    За последние 7 дней ему { $matches ->
        [one] подошло бы <b>{ $matches }</b> объявление
        [few] подошли бы <b>{ $matches }</b> объявления
       *[many] подошло бы <b>{ $matches }</b> объявлений
    }. Сохранить?
wizard-cancelled = Отменено. Отправьте /new, чтобы начать заново.
stale-button = Эта кнопка устарела. Отправьте /new или /searches.

## Поиски

any-listing = (любое объявление)
search-saved =
    ✅ Поиск #{ $id } сохранён:
    <code>{ $line }</code>
    Я пришлю новые подходящие объявления.
too-many = У вас уже { $max } поисков — это максимум. Сначала удалите один (/searches).
syntax-error =
    Не сохранено: { $problem }
    Правильно: <code>{ $form }</code>
syntax-too-long = строка слишком длинная (не больше { $max } символов)
syntax-not-key-value = «{ $token }» — не в виде ключ=значение
syntax-unknown-key = нет ключа «{ $key }»
syntax-repeated = { $key } указан дважды
syntax-value = { $key }: { $problem }
problem-no-value = нет значения после =
problem-no-sources = нет источника «{ $name }» (источники не настроены)
problem-unknown-source = нет источника «{ $name }»; источники: { $known }
problem-not-whole = { $value } — не целое число
problem-no-dash = в «{ $value }» нет дефиса: пишите МИН-МАКС, МИН- или -МАКС
problem-no-bound = укажите хотя бы одну границу: МИН-МАКС, МИН- или -МАКС
problem-min-above-max = минимум { $min } больше максимума { $max }
problem-not-number = «{ $value }» — не число
problem-out-of-range = число { $value } вне допустимых пределов
problem-too-many-rooms = «{ $value }»: больше 50 комнат?
problem-plus-too-big = «{ $value }»: плюс ставится только после целого числа до 4 (пишите 4+)
problem-empty-item = пустое место между запятыми
problem-unclosed-quote = не закрыта кавычка
problem-quote-inside = в «{ $value }» есть кавычка
problem-item-too-long = «{ $value }» длиннее { $max } символов
problem-too-many-items = больше { $max } значений
problem-not-furnished = «{ $value }» — не yes, no или any (да, нет, любая)
problem-not-period = «{ $value }» — не month, year, week, day или any (месяц, год, неделя, день, любой)
problem-no-period = не указан срок аренды
problem-not-near = «{ $value }» — не место и радиус: напишите ШИРОТА,ДОЛГОТА:РАДИУС
problem-not-place = «{ $value }» — не точка на Земле (широта от −90 до 90, долгота от −180 до 180)
problem-not-radius = «{ $value }»: радиус от 100 м до 100 км (500m, 2km, 1.5km)
problem-no-router = для времени в пути нужен сервер маршрутов, его у бота пока нет; <code>near=ШИРОТА,ДОЛГОТА:2km</code> оставляет объявления в пределах расстояния
form-line = source=ИСТОЧНИК price=МИН-МАКС rooms=studio,1,2,4+ area=МИН- district="Dubai Marina",JLT furnished=yes|no|any period=month,year exclude=СЛОВО,СЛОВО near=ШИРОТА,ДОЛГОТА:2km
form-source = source=ИСТОЧНИК (один из источников, за которыми следит бот)
form-price = price=МИН-МАКС, price=-МАКС или price=МИН- (целые числа)
form-rooms = rooms=studio,1,2,4+ или rooms=1-3
form-area = area=МИН-МАКС, area=МИН- или area=-МАКС (м²)
form-district = district="Dubai Marina",JLT (районы через запятую)
form-furnished = furnished=yes, furnished=no или furnished=any (да, нет, любая)
form-period = period=month,year (month, year, week, day или any)
form-exclude = exclude=СЛОВО,СЛОВО
form-not-district = not_district="Dubai Marina",JLT (районы, скрытые кнопкой 🔕)
form-not-source = not_source=ИСТОЧНИК,ИСТОЧНИК (источники, скрытые кнопкой 🔕)
form-near = near=52.5200,13.4050:2km (широта,долгота:радиус; в /new можно отправить геопозицию)
form-commute = commute=ШИРОТА,ДОЛГОТА:30min:transit|bike|car|foot (нужен сервер маршрутов; здесь недоступно: используйте near=ШИРОТА,ДОЛГОТА:2km)
searches-header = <b>Ваши поиски</b> ({ $total })
searches-page = · стр. { $page }/{ $pages }
search-paused-mark = ⏸ на паузе
no-searches = У вас пока нет сохранённых поисков. Отправьте /new, чтобы создать.
not-found = У вас нет поиска #{ $id }.
deleted = 🗑 Поиск #{ $id } удалён.
search-paused = ⏸ Поиск #{ $id } на паузе.
search-resumed = ▶️ Поиск #{ $id } снова работает.
delete-usage = Укажите номер поиска: <code>/delete 3</code> (см. /searches).

## Доступ и оплата

reminder = ⏰ Ваш доступ закончится через <b>{ $left }</b>, { $ends }. Продлите, чтобы получать уведомления.
expired = Ваш доступ закончился, уведомления выключены. Продлите, чтобы снова их получать.
plans = <b>Тарифы</b>
    Оплата звёздами Telegram. Доступ продлевается от текущей даты окончания, ни один день не теряется. Выберите:
no-plans = Сейчас тарифов в продаже нет.
plan-button = { $name } · { $duration } · { $stars } ⭐
plan-week = Неделя
plan-month = Месяц
plan-quarter = Квартал
plan-year = Год
invoice-title = homehound: { $name }
invoice-description = { $duration } уведомлений о новых объявлениях, добавляются к текущему доступу.
paid = ✅ Спасибо! Добавлено { $duration }: доступ до <b>{ $ends }</b>.
refunded = ↩️ Ваш платёж { $stars } ⭐ возвращён. Доступ теперь закончится { $ends }.
refunded-ended = ↩️ Ваш платёж { $stars } ⭐ возвращён. Доступ закончился.
pay-support = Если с оплатой что-то не так, отправьте следующим сообщением, что случилось, и дату платежа. Оно уйдёт администратору, ответ придёт в этот чат (обычно в течение суток). Возврат звёзд делает администратор через Telegram.
pay-support-busy = За последний час вы отправили администраторам три сообщения; ответ придёт сюда. Написать снова можно через час.
support-sent = 📨 Отправлено администраторам. Ответ придёт сюда.
support-unavailable = Сейчас не удаётся связаться с администратором. Попробуйте /paysupport позже.
support-answer = 💬 <b>Поддержка:</b>
checkout-error = Этот счёт устарел. Отправьте /plans и выберите заново.

## Пауза и статус

all-paused = ⏸ Все уведомления на паузе. Отправьте /resume, чтобы возобновить.
all-resumed = ▶️ Уведомления возобновлены.
status-trial = Пробный период, действует до <b>{ $ends }</b> (осталось { $left }).
status-paid = Оплаченный доступ, действует до <b>{ $ends }</b> (осталось { $left }).
status-granted = Доступ от администратора, действует до <b>{ $ends }</b> (осталось { $left }).
status-expired = Ваш доступ закончился { $ended }; уведомления выключены.
status-never = У вас пока нет доступа; уведомления выключены.
status-paused = ⏸ Уведомления на паузе (/resume).
status-searches = Сохранённых поисков: { $n }.
sources-checked = Источники проверены: { $list }.
checked-never = ещё нет
checked-now = только что
checked-minutes = { $n } мин назад

## Объявления

alert-price-month = { $sign } { $price }/мес.
alert-price = { $sign } { $price }
alert-rooms = { $n ->
    [one] { $n } комната
    [few] { $n } комнаты
    [many] { $n } комнат
   *[other] { $n } комнаты
}
alert-studio = студия
alert-price-drop = 📉 Цена снижена: { $old } → { $new }
btn-open = Открыть объявление
btn-hide = 🙈 Скрыть
btn-mute = 🔕 Заглушить
btn-photos = 📷 Фото ({ $n })
btn-chart = 📈 Рынок
photos-of = 📷 Ещё фото: { $title }
photo-n = фото { $n }
photos-sending = 📷 Отправляю фото…
photos-sent = 📷 Фото уже отправлены выше.
btn-alerts-like = 🔔 Присылать похожие
btn-keep = ⭐ Сохранить
btn-mute-district = 🔕 { $district }
btn-mute-source = 🔕 Всё с { $source }
hidden = 🙈 Скрыто: это объявление больше не придёт (↩️ «Отменить» под уведомлением вернёт его).
btn-undo = ↩️ Отменить
unhidden = ↩️ Снова показывается: снижения цены будут приходить.
unmuted = ↩️ Отменено: { $what } снова в уведомлениях.
muted-district = 🔕 Район { $district } заглушён в { $searches ->
    [one] поиске
   *[other] поисках
} { $ids }.
muted-source = 🔕 { $source } заглушён в { $searches ->
    [one] поиске
   *[other] поисках
} { $ids }.
mute-would-empty = { $searches ->
        [one] Поиск { $ids } смотрит только сюда, и заглушить это значит не оставить ничего: отправьте /pause, чтобы остановить его оповещения.
        [few] Поиски { $ids } смотрят только сюда, и заглушить это значит не оставить ничего: отправьте /pause, чтобы остановить их оповещения.
       *[other] Поиски { $ids } смотрят только сюда, и заглушить это значит не оставить ничего: отправьте /pause, чтобы остановить их оповещения.
    }
mute-nothing = Ни один ваш поиск больше не подходит к этому объявлению.
mute-already = 🔕 { $what } уже скрыт в ваших поисках.
kept = ⭐ Сохранено. Смотрите /saved.
listing-gone = Этого объявления больше нет.

## Сохранённые объявления

saved-header = <b>Сохранённые объявления</b> ({ $total }); ❓ спрашивает страницу объявления, на месте ли оно
saved-empty = Вы ещё ничего не сохранили. Нажмите ⭐ Сохранить под объявлением.
btn-unsave = ✖ #{ $n }
btn-still-there = ❓ #{ $n }
saved-online = ✅ ещё на сайте (проверено { $at })
saved-gone = ❌ снято (проверено { $at })
still-there-online = ✅ Объявление ещё на сайте.
still-there-gone = ❌ Объявление снято: его страницы больше нет.
still-there-unknown = ❔ Сайт ответил не как страница объявления; попробуйте позже.
unsaved = Удалено из сохранённых.

## Меню команд

cmd-new = Новый поиск
cmd-searches = Мои поиски
cmd-saved = Сохранённые объявления
cmd-delete = Удалить поиск: /delete ID
cmd-pause = Приостановить уведомления
cmd-resume = Возобновить уведомления
cmd-status = Мой доступ
cmd-plans = Тарифы и продление
cmd-paysupport = Помощь с оплатой
cmd-help = Помощь

## Рыночный контекст

market-per-m2 = { $price }/м²
alert-area = { $area } м²
market-below = на { $pct } % ниже медианы { $n } { $n ->
    [one] похожего объявления
   *[other] похожих объявлений
}
market-above = на { $pct } % выше медианы { $n } { $n ->
    [one] похожего объявления
   *[other] похожих объявлений
}
market-at-median = на уровне медианы { $n } { $n ->
    [one] похожего объявления
   *[other] похожих объявлений
}
alert-back = 🔁 Снова на рынке спустя { $away }
alert-price-cut = снижение №{ $n }

## Тихие часы и сводки

digest-header = 📬 <b>Пока уведомления молчали: { $n ->
    [one] { $n } объявление
    [few] { $n } объявления
   *[many] { $n } объявлений
}</b>
digest-more = …и ещё { $n }.
quiet-set = 🌙 Тихие часы: { $window } ({ $zone }). Объявления, найденные в тихие часы, придут одним сообщением, когда тихие часы закончатся.
quiet-off = 🔔 Тихие часы выключены: объявления приходят сразу.
quiet-usage = Укажите часы так: <code>/quiet 23:00-08:00</code> (ваш часовой пояс: { $zone }; сменить — <code>/timezone Europe/Berlin</code>), или <code>/quiet off</code>.
timezone-set = 🕑 Часовой пояс: { $zone } (там сейчас { $time }). Даты и тихие часы теперь по нему.
timezone-usage = Укажите часовой пояс IANA, например <code>/timezone Europe/Moscow</code> или <code>/timezone UTC</code>.
cmd-quiet = Тихие часы: /quiet 23:00-08:00 или off
cmd-timezone = Часовой пояс: /timezone Europe/Moscow

## Shared searches (/share)

cmd-share = Поделиться поиском: /share ID
share-usage = Напишите номер поиска: <code>/share 3</code> (см. /searches); <code>/share 3 off</code> отзывает ссылку.
share-link =
    👥 Отправьте эту ссылку тому, с кем ищете жильё:
    { $link }

    Открывший её (со своим доступом) будет вести поиск #{ $id } вместе с вами: пауза или заглушение у одного действует для обоих, а /delete выводит из поиска.
share-joined =
    👥 Теперь вы ведёте поиск #{ $id } вместе с { $n ->
        [1] ещё одним чатом
        [one] ещё { $n } чатом
       *[other] ещё { $n } чатами
    }:
    <code>/new { $line }</code>
    Пауза или заглушение у любого из вас действует для всех; /delete { $id } выводит из поиска.
share-already = Вы уже ведёте этот поиск: #{ $id }.
share-revoked = 🔒 Ссылка на поиск #{ $id } больше не работает. Чаты, которые его ведут, остаются; <code>/share { $id }</code> даст новую ссылку.
share-not-shared = У поиска #{ $id } нет ссылки, которую можно отозвать.
share-gone = Эта ссылка не работает: её отключили или поиск удалили. Отправьте /new, чтобы настроить свой.
share-needs-access = Для общего поиска нужен свой доступ: см. /plans.
share-member-joined = 👥 К вашему поиску #{ $id } присоединился ещё один чат.
share-member-left = 👥 Один чат вышел из общего поиска #{ $id }; для вас он продолжается.
share-member-paused = 👥 Другой участник приостановил общий поиск #{ $id }: он приостановлен для всех. /searches — чтобы возобновить.
share-member-resumed = 👥 Другой участник возобновил общий поиск #{ $id }: уведомления снова приходят всем.
share-member-muted = 👥 Другой участник отключил { $what } в общем поиске #{ $id }: это действует для всех (/searches покажет поиск).
share-member-unmuted = 👥 Другой участник отменил отключение { $what } в общем поиске #{ $id }: уведомления снова приходят всем.
search-shared-mark = 👥 общий

## Даты

date = { $day } { $month }
date-year = { $day } { $month } { $year } г.
zone-moscow = МСК
month-1 = января
month-2 = февраля
month-3 = марта
month-4 = апреля
month-5 = мая
month-6 = июня
month-7 = июля
month-8 = августа
month-9 = сентября
month-10 = октября
month-11 = ноября
month-12 = декабря

## Администратор

admin-grant-done = Чату { $chat } добавлено { $duration }: доступ до { $ends }.
admin-grant-unknown = Чат { $chat } ни разу не писал боту; ничего не добавлено.
admin-grant-usage = Как писать: <code>/grant ID_ЧАТА СРОК</code>, например <code>/grant 123456 30d</code> (СРОК до 10 лет: 12h, 7d, 30d, 1y).
admin-broadcast-usage = Как писать: <code>/broadcast ТЕКСТ</code> — ТЕКСТ получат все чаты с доступом, после всех уведомлений.
admin-broadcast-too-long = Слишком длинно: не больше { $max } символов.
admin-broadcast-queued = Поставлено в очередь для { $count } { $n ->
    [one] чата
   *[other] чатов
    }; уйдёт после ожидающих уведомлений, в пределах лимита отправки.
admin-stats =
    <b>Статистика</b>
    Чатов: { $chats } (заблокировали бота: { $blocked })
    С активным доступом: { $access }
    Сохранённых поисков: { $searches }
    Объявлений: { $listings } (новых за 24 ч: { $new })
    Уведомлений за 24 ч: { $sent }
    В очереди: { $pending }, не доставлено: { $failed }
    Источников: { $sources } (с проблемами: { $unhealthy }, см. /sources)
admin-stats-paid =
    Платные рассылки: { $state }; баланс звёзд { $balance }; потрачено сегодня { $today } ⭐ (платных отправок: { $sends })
    Звёзды по дням (UTC): { $week }
admin-paid-on = включены
admin-paid-paused = на паузе
admin-balance-unknown = неизвестен
admin-latency = Задержка уведомлений, сбор → Telegram (последние { $n }):
admin-latency-line = { $source }: p50 { $p50 } с, p95 { $p95 } с (уведомлений: { $count })
admin-sources-none = Источники ещё не запускались (см. SOURCES_FILE).
admin-source-blocked = ⛔ заблокирован
admin-source-failing = ⚠️ ошибки
admin-source-ok = ✅ в порядке
admin-source-never = никогда
admin-source =
    <b>{ $name }</b> ({ $kind }) { $state }
    последний успех: { $success }; в последнем запуске найдено { $found } (новых: { $new }); запусков: { $runs }
admin-source-error = последняя ошибка { $at }: { $error }
admin-refund-usage = Как писать: <code>/refund ID_ПЛАТЕЖА</code> (telegram_payment_charge_id).
admin-refund-none = Нет платежа с таким id.
admin-refund-already = Платёж <code>{ $charge }</code> уже возвращён.
admin-refund-done = Возвращено { $stars } ⭐ чату { $chat }. Доступ теперь до { $ends }.
admin-refund-done-ended = Возвращено { $stars } ⭐ чату { $chat }. Доступ закончился.
admin-refund-refused = Telegram отказал в возврате: { $why }
admin-refund-unknown = Telegram не ответил. Возврат записан и будет завершён автоматически.
admin-refund-completed = Возврат <code>{ $charge }</code> (чат { $chat }) завершён.
admin-refund-refused-later = Telegram отказал в возврате <code>{ $charge }</code>: { $why }
refund-why-not-found = у Telegram нет платежа с таким id (проверьте его в обращении).
refund-why-not-refundable = этот платёж уже нельзя вернуть (он слишком старый или уже возвращён).
refund-why-other = Telegram ответил «{ $code }».
admin-ledger-unknown-plan = Платёж из журнала Telegram нельзя применить (неизвестный тариф): чат { $chat }, { $stars } ⭐, payload <code>{ $payload }</code>, платёж <code>{ $charge }</code>. Используйте /grant или /refund.
admin-ledger-applied = Применён платёж, найденный только в журнале Telegram: чат { $chat }, { $plan } ({ $stars } ⭐), платёж <code>{ $charge }</code>; доступ до { $ends }.
admin-balance-low = ⚠️ Баланс звёзд бота — { $stars } ⭐, меньше PAID_BROADCAST_MIN_STARS ({ $min }): платные рассылки на паузе, уведомления идут с бесплатной скоростью ({ $free }/с). Пополните баланс, чтобы их возобновить.
admin-balance-ok = ✅ Баланс звёзд бота — { $stars } ⭐: платные рассылки возобновлены (до { $rate }/с).
admin-support-header =
    💬 Обращение по оплате из чата <code>{ $chat }</code> ({ $who }).
    Платежи: { $charges }
    Ответьте на это сообщение, чтобы ответить пользователю.
admin-support-no-charges = нет
admin-support-old = Этому обращению больше { $days } дней: его переписка уже не хранится, и ответ нельзя переслать пользователю. Попросите его снова отправить /paysupport или напишите сами в чат с id из обращения.
admin-support-sent = Отправлено в чат <code>{ $chat }</code>.
admin-support-not-delivered = Не доставлено в чат <code>{ $chat }</code>: { $why }
admin-cmd-stats = Админ: статистика
admin-cmd-sources = Админ: состояние источников
admin-cmd-grant = Админ: /grant ID_ЧАТА СРОК
admin-cmd-broadcast = Админ: /broadcast ТЕКСТ
admin-cmd-refund = Админ: /refund ID_ПЛАТЕЖА
admin-source-down = ⚠️ Источник { $name } не сработал { $failures } { $failures ->
        [few] раза
       *[other] раз
    } подряд: { $why }
admin-source-up = ✅ Источник { $name } снова работает (объявлений: { $found }).
admin-source-crashed = 💥 Источник { $name }: процесс остановился во время его запуска ({ $crashes } { $crashes ->
        [few] раза
       *[other] раз
    } подряд). Возможно, страница роняет разбор или съедает память. Источник ждёт до { $until }; проверьте его командой «homehound check-source { $name }».
admin-expiry-up = ✅ Обработчик сроков доступа снова работает.
admin-expiry-down = ⚠️ Обработчик сроков доступа не сработал { $failed } { $failed ->
        [few] раза
       *[other] раз
    } подряд (напоминания и уведомления об окончании не ставятся в очередь): { $why }
admin-channel-refuses = 📢 Канал { $name } не принимает сообщения бота: { $why } Его сообщения отброшены. Добавьте бота в канал администратором с правом публикации; попытка повторится через { $hours } ч или при следующем запуске.
channel-why-not-member = бот не состоит в канале.
channel-why-no-rights = у бота нет права публиковать там.
channel-why-not-found = Telegram не знает такого канала (проверьте его @имя).
channel-why-other = Telegram ответил «{ $code }».
support-why-blocked = пользователь заблокировал бота, и бот не может ему написать.
support-why-failed = Telegram не принял сообщение; ответьте ещё раз через минуту.
market-all = Все объявления за 12 недель
market-title = { $what } · за 12 недель
market-weekly = Медианная цена в месяц по неделям (число: объявлений за неделю)
market-per-m2 = Цена в месяц за м²
market-yours = ваш диапазон цен
market-listing = это объявление
market-no-data = нет объявлений с этими данными
market-caption = 📈 { $listings ->
        [one] { $listings } объявление
        [few] { $listings } объявления
       *[many] { $listings } объявлений
    } за 12 недель · медиана <b>{ $median }</b> в месяц · <b>{ $per_m2 }</b> за м²
market-empty = За последние 12 недель нет сохранённых объявлений под этот фильтр. Попробуйте шире: /market <code>price=-2000</code> или сохранённый поиск: /market <code>ID</code>.
cmd-market = Рынок на графике: /market или /market ID
