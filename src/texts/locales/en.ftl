# homehound — English texts (Fluent, https://projectfluent.org).
# Values are Telegram HTML; the code escapes every argument before it is
# placed. Plurals follow CLDR's rules for the language.

## Durations

dur-days = { $n ->
    [one] { $n } day
   *[other] { $n } days
}
dur-hours = { $n ->
    [one] { $n } hour
   *[other] { $n } hours
}
dur-minutes = { $n ->
    [one] { $n } minute
   *[other] { $n } minutes
}
dur-seconds = { $n ->
    [one] { $n } second
   *[other] { $n } seconds
}

## Start, help, errors

hello = Hi!
hello-name = Hi, { $name }!
welcome =
    { $greeting } I watch listing sites and tell you about new flats that match your searches within seconds of them appearing.{ $trial }

    Tap <b>New search</b> to say what you are looking for, or send a search in one line, e.g.
    <code>/new price=-1500 rooms=1,2 district=Mitte</code>
welcome-trial = Your free trial of <b>{ $trial }</b> has started.
help =
    <b>homehound</b> alerts you to new listings that match your saved searches.

    /new — a new search, step by step
    /new <code>key=value …</code> — a new search in one line:
    <code>source=NAME price=MIN-MAX rooms=studio,1,2,4+ area=MIN- district="Dubai Marina",JLT furnished=yes|no|any period=month,year exclude=WORD,WORD</code>
    /searches — your searches: pause, resume, delete
    /delete <code>ID</code> — delete a search
    /share <code>ID</code> — a link that gives another chat the same search, kept in step
    /saved — listings you saved with ⭐ Save
    /market — the market in a chart: median price per week and price per m², for all listings, a filter (<code>/market district=Mitte rooms=2</code>) or a saved search (<code>/market ID</code>)
    /pause, /resume — stop or restart all alerts
    /quiet <code>23:00-08:00</code> — hold alerts at night and get them as one message in the morning; /quiet off
    /timezone <code>Europe/Berlin</code> — your time zone
    /status — your access and when it ends
    /plans — plans and renewal (Telegram Stars)
    /paysupport — help with a payment
    /help — this message

    Under every alert: 🙈 Hide never shows that listing again, 🔕 Mute stops a district or a source for the search that matched, ⭐ Save keeps it in /saved.
help-admin =
    <b>Admin</b>
    /stats — figures
    /sources — each source's health
    /grant <code>CHAT_ID DURATION</code> — extend a chat's access (e.g. 30d)
    /broadcast <code>TEXT</code> — a message to every chat with access
    /refund <code>CHARGE_ID</code> — refund a Stars payment and take back its access
unknown = I did not understand that. Send /help to see what I can do.
internal-error = Something went wrong on my side. Please try again in a minute.
private-only = I work in private chats only: open a chat with me and send /start there.
broken-link = This link is broken (it was cut or changed). Ask for a new one, or send /new to set up a search.

## Buttons

btn-new = 🔎 New search
btn-searches = 📋 My searches
btn-subscription = ⭐ Subscription
btn-help = ❓ Help
btn-next = Next ›
btn-back = ‹ Back
btn-cancel = ✖ Cancel
btn-save = 💾 Save
btn-any = Any
btn-type-number = ✏️ Type a number
btn-furnished = Furnished
btn-unfurnished = Unfurnished
btn-pause = ⏸ Pause #{ $id }
btn-resume = ▶️ Resume #{ $id }
btn-delete = 🗑 Delete #{ $id }
btn-prev-page = ‹ Previous
btn-next-page = More ›
btn-renew = ⭐ Renew
studio = Studio

## Wizard

wizard-step = <b>New search · { $step }/{ $steps }</b>
wizard-source = Which site?
wizard-districts = Which districts? Tap to select several, then Next.
wizard-no-districts = No districts seen yet for this choice: any district.
wizard-place-hint = 📍 Or send a location (📎 → Location) to get listings around a place.
wizard-radius = How far from the place you sent?
btn-drop-place = 📍 { $radius } around your place ✕
place-without-wizard = To get listings around this place, open /new and send the location at the districts step, or write <code>/new near=LAT,LON:2km</code>.
place-not-taken = I can take a location only at the districts step of /new (press ‹ Back to get there).
wizard-price = Highest monthly price (in the listing's currency)?
wizard-price-prompt = Send the highest monthly price as a number (e.g. <code>1500</code>) or a range (<code>800-1500</code>).
wizard-price-invalid = I could not read that price: { $problem } Send a number like <code>1500</code> or a range like <code>800-1500</code>.
wizard-price-too-low = a monthly price below { $min } is not a price
wizard-rooms = How many rooms? Tap to select several.
wizard-area = Smallest area?
wizard-furnished = Furnished?
wizard-period = Which rental periods? Tap to select several (daily and weekly are mostly holiday lets).
period-month = Monthly
period-year = Yearly
period-week = Weekly
period-day = Daily
wizard-summary =
    <b>Your search</b>
    <code>{ $line }</code>

    It would have matched <b>{ $matches }</b> { $matches ->
        [one] listing
       *[other] listings
    } of the last 7 days. Save it?
wizard-cancelled = Cancelled. Send /new to start again.
stale-button = This button is out of date. Send /new or /searches.

## Searches

any-listing = (any listing)
search-saved =
    ✅ Saved search #{ $id }:
    <code>{ $line }</code>
    I will alert you to new matching listings.
too-many = You have { $max } searches, the most one chat can have. Delete one first (/searches).
syntax-error =
    Not saved: { $problem }
    Valid form: <code>{ $form }</code>
syntax-too-long = the line is too long (at most { $max } characters)
syntax-not-key-value = “{ $token }” is not key=value
syntax-unknown-key = there is no key “{ $key }”
syntax-repeated = { $key } is given twice
syntax-value = { $key }: { $problem }
problem-no-value = no value after =
problem-no-sources = there is no source “{ $name }” (no sources are configured)
problem-unknown-source = there is no source “{ $name }”; the sources are { $known }
problem-not-whole = { $value } is not a whole number
problem-no-dash = “{ $value }” has no dash: write MIN-MAX, MIN- or -MAX
problem-no-bound = give at least one bound: MIN-MAX, MIN- or -MAX
problem-min-above-max = the minimum { $min } is above the maximum { $max }
problem-not-number = “{ $value }” is not a number
problem-out-of-range = { $value } is out of range
problem-too-many-rooms = “{ $value }”: more than 50 rooms?
problem-plus-too-big = “{ $value }”: only whole numbers up to 4 take a + (write 4+)
problem-empty-item = an empty item between commas
problem-unclosed-quote = a quote is not closed
problem-quote-inside = “{ $value }” has a quote inside
problem-item-too-long = “{ $value }” is longer than { $max } characters
problem-too-many-items = more than { $max } items
problem-not-furnished = “{ $value }” is not yes, no or any
problem-not-period = “{ $value }” is not month, year, week, day or any
problem-no-period = no period given
problem-not-near = “{ $value }” is not a place and radius: write LAT,LON:RADIUS
problem-not-place = “{ $value }” is not a place on earth (latitude −90 to 90, longitude −180 to 180)
problem-not-radius = “{ $value }”: the radius is 100 m to 100 km (500m, 2km, 1.5km)
problem-no-router = travel times need a routing server, which this bot does not have yet; <code>near=LAT,LON:2km</code> keeps listings within a distance
form-line = source=NAME price=MIN-MAX rooms=studio,1,2,4+ area=MIN- district="Dubai Marina",JLT furnished=yes|no|any period=month,year exclude=WORD,WORD near=LAT,LON:2km
form-source = source=NAME (one of the sources this bot watches)
form-price = price=MIN-MAX, price=-MAX or price=MIN- (whole numbers)
form-rooms = rooms=studio,1,2,4+ or rooms=1-3
form-area = area=MIN-MAX, area=MIN- or area=-MAX (m²)
form-district = district="Dubai Marina",JLT
form-furnished = furnished=yes, furnished=no or furnished=any
form-period = period=month,year (month, year, week, day or any)
form-exclude = exclude=WORD,WORD
form-not-district = not_district="Dubai Marina",JLT (districts muted with 🔕)
form-not-source = not_source=NAME,NAME (sources muted with 🔕)
form-near = near=52.5200,13.4050:2km (latitude,longitude:radius; share a location in /new to pick one)
form-commute = commute=LAT,LON:30min:transit|bike|car|foot (needs a routing server; not available here: use near=LAT,LON:2km)
searches-header = <b>Your searches</b> ({ $total })
searches-page = · page { $page }/{ $pages }
search-paused-mark = ⏸ paused
no-searches = You have no saved searches yet. Send /new to create one.
not-found = You have no search #{ $id }.
deleted = 🗑 Deleted search #{ $id }.
search-paused = ⏸ Search #{ $id } paused.
search-resumed = ▶️ Search #{ $id } resumed.
delete-usage = Write the search's number: <code>/delete 3</code> (see /searches).

## Access and payments

reminder = ⏰ Your access ends in <b>{ $left }</b>, on { $ends }. Renew to keep getting alerts.
expired = Your access has ended, so alerts are off. Renew to get them again.
plans = <b>Plans</b>
    Paid with Telegram Stars. Access is extended from its current end, so no day is lost. Choose one:
no-plans = No plans are on sale right now.
plan-button = { $name } · { $duration } · { $stars } ⭐
# Display names of plans by their configured name; a plan without one is
# shown by its name.
plan-week = Week
plan-month = Month
plan-quarter = Quarter
plan-year = Year
invoice-title = homehound: { $name }
invoice-description = { $duration } of listing alerts, added to your current access.
paid = ✅ Thank you! { $duration } added: access until <b>{ $ends }</b>.
refunded = ↩️ Your payment of { $stars } ⭐ was refunded. Your access now ends on { $ends }.
refunded-ended = ↩️ Your payment of { $stars } ⭐ was refunded. Your access has ended.
pay-support = For help with a payment, send your next message here: what went wrong and the date of the payment. It goes to an admin, whose answer comes back in this chat (usually within a day). Refunds of Telegram Stars are made by the admin through Telegram.
pay-support-busy = You have sent the admins three messages in the last hour; they will answer here. You can write again in an hour.
support-sent = 📨 Sent to the admins. Their answer will come here.
support-unavailable = Sorry, no admin can be reached right now. Please try /paysupport again later.
support-answer = 💬 <b>Support:</b>
checkout-error = This invoice is out of date. Send /plans and choose again.

## Pause and status

all-paused = ⏸ All alerts paused. Send /resume to get them again.
all-resumed = ▶️ Alerts resumed.
status-trial = Free trial, active until <b>{ $ends }</b> (ends in { $left }).
status-paid = Paid access, active until <b>{ $ends }</b> (ends in { $left }).
status-granted = Access granted by an admin, active until <b>{ $ends }</b> (ends in { $left }).
status-expired = Your access ended on { $ended }; alerts are off.
status-never = You have no access yet; alerts are off.
status-paused = ⏸ Alerts are paused (/resume).
status-searches = Saved searches: { $n }.
sources-checked = Sources last checked: { $list }.
checked-never = not yet
checked-now = just now
checked-minutes = { $n } min ago

## Alerts

alert-price-month = { $sign } { $price }/month
alert-price = { $sign } { $price }
alert-rooms = { $n ->
    [one] { $n } room
   *[other] { $n } rooms
}
alert-studio = studio
alert-price-drop = 📉 Price dropped { $old } → { $new }
btn-open = Open listing
btn-hide = 🙈 Hide
btn-mute = 🔕 Mute
btn-photos = 📷 Photos ({ $n })
btn-chart = 📈 Market
photos-of = 📷 More photos: { $title }
photo-n = photo { $n }
photos-sending = 📷 Sending the photos…
photos-sent = 📷 The photos were sent above.
btn-alerts-like = 🔔 Alerts like this
btn-keep = ⭐ Save
btn-mute-district = 🔕 { $district }
btn-mute-source = 🔕 All of { $source }
hidden = 🙈 Hidden: you will not see this listing again (↩️ Undo under the alert takes it back).
btn-undo = ↩️ Undo
unhidden = ↩️ Shown again: its price drops reach you.
unmuted = ↩️ Undone: { $what } alerts you again.
muted-district = 🔕 District { $district } muted in { $searches ->
    [one] search
   *[other] searches
} { $ids }.
muted-source = 🔕 { $source } muted in { $searches ->
    [one] search
   *[other] searches
} { $ids }.
mute-would-empty = { $searches ->
        [one] Search { $ids } looks only at this one, so muting it would leave nothing: send /pause to stop its alerts.
       *[other] Searches { $ids } look only at this one, so muting it would leave nothing: send /pause to stop their alerts.
    }
mute-nothing = No search of yours matches this listing any more.
mute-already = 🔕 { $what } is already muted in your searches.
kept = ⭐ Saved. See /saved.
listing-gone = This listing is no longer stored.

## Saved listings

saved-header = <b>Saved listings</b> ({ $total }); ❓ asks a listing's page whether it is still there
saved-empty = You have not saved any listing yet. Tap ⭐ Save under an alert.
btn-unsave = ✖ #{ $n }
btn-still-there = ❓ #{ $n }
saved-online = ✅ still online (asked { $at })
saved-gone = ❌ taken down (asked { $at })
still-there-online = ✅ Still online.
still-there-gone = ❌ Taken down: the listing's page is gone.
still-there-unknown = ❔ The site did not answer as a listing page would; try again later.
unsaved = Removed from your saved listings.

## Command menu

cmd-new = New saved search
cmd-searches = My searches
cmd-saved = Saved listings
cmd-delete = Delete a search: /delete ID
cmd-pause = Pause all alerts
cmd-resume = Resume alerts
cmd-status = My access
cmd-plans = Plans and renewal
cmd-paysupport = Help with a payment
cmd-help = Help

## Market context

market-per-m2 = { $price }/m²
alert-area = { $area } m²
market-below = { $pct }% below the median of { $n } similar { $n ->
    [one] listing
   *[other] listings
}
market-above = { $pct }% above the median of { $n } similar { $n ->
    [one] listing
   *[other] listings
}
market-at-median = at the median of { $n } similar { $n ->
    [one] listing
   *[other] listings
}
alert-back = 🔁 Back on the market after { $away }
alert-price-cut = price cut #{ $n }

## Quiet hours and digests

digest-header = 📬 <b>While your alerts were quiet: { $n ->
    [one] { $n } listing
   *[other] { $n } listings
}</b>
digest-more = …and { $n } more.
quiet-set = 🌙 Quiet hours: { $window } ({ $zone }). Alerts in them come as one message when they end.
quiet-off = 🔔 Quiet hours off: alerts come as they are found.
quiet-usage = Write the hours as <code>/quiet 23:00-08:00</code> (your time zone: { $zone }; change it with <code>/timezone Europe/Berlin</code>), or <code>/quiet off</code>.
timezone-set = 🕑 Time zone: { $zone } (now { $time } there). Dates and quiet hours now follow it.
timezone-usage = Write an IANA time zone, e.g. <code>/timezone Europe/Berlin</code> or <code>/timezone UTC</code>.
cmd-quiet = Quiet hours: /quiet 23:00-08:00 or off
cmd-timezone = Your time zone: /timezone Europe/Berlin

## Shared searches (/share)

cmd-share = Share a search with another chat: /share ID
share-usage = Write the search's number: <code>/share 3</code> (see /searches); <code>/share 3 off</code> revokes its link.
share-link =
    👥 Send this link to whoever hunts with you:
    { $link }

    Whoever opens it (with access of their own) follows search #{ $id } with you: a pause or mute by either of you applies to both, and /delete leaves it.
share-joined =
    👥 You now follow search #{ $id } together with { $n ->
        [one] one other chat
       *[other] { $n } other chats
    }:
    <code>/new { $line }</code>
    A pause or mute by any of you applies to all; /delete { $id } leaves it.
share-already = You already follow this search: #{ $id }.
share-revoked = 🔒 The link to search #{ $id } no longer works. The chats that follow it keep it; <code>/share { $id }</code> gives a new link.
share-not-shared = Search #{ $id } has no link to revoke.
share-gone = This share link does not work: it was turned off, or the search was deleted. Send /new to set up your own.
share-needs-access = A shared search needs access of your own: see /plans.
share-member-joined = 👥 Another chat now follows your search #{ $id } with you.
share-member-left = 👥 A chat left your shared search #{ $id }; it goes on for you.
share-member-paused = 👥 Another member paused your shared search #{ $id }: it is paused for everyone in it. /searches to resume it.
share-member-resumed = 👥 Another member resumed your shared search #{ $id }: it alerts everyone in it again.
share-member-muted = 👥 Another member muted { $what } in your shared search #{ $id }: it is muted for everyone in it (/searches shows the search).
share-member-unmuted = 👥 Another member took back the mute of { $what } in your shared search #{ $id }: it alerts everyone in it again.
search-shared-mark = 👥 shared

## Dates

date = { $day } { $month }
date-year = { $day } { $month } { $year }
zone-moscow = MSK
month-1 = January
month-2 = February
month-3 = March
month-4 = April
month-5 = May
month-6 = June
month-7 = July
month-8 = August
month-9 = September
month-10 = October
month-11 = November
month-12 = December

## Admin

admin-grant-done = Granted { $duration } to chat { $chat }: access until { $ends }.
admin-grant-unknown = Chat { $chat } has never talked to this bot; nothing granted.
admin-grant-usage = Usage: <code>/grant CHAT_ID DURATION</code>, e.g. <code>/grant 123456 30d</code> (DURATION up to 10 years: 12h, 7d, 30d, 1y).
admin-broadcast-usage = Usage: <code>/broadcast TEXT</code>: TEXT goes to every chat with access, after all alerts.
admin-broadcast-too-long = Too long: at most { $max } characters.
admin-broadcast-queued = Queued to { $count } { $n ->
    [one] chat
   *[other] chats
    }; it goes out after pending alerts, under the rate limit.
admin-stats =
    <b>Stats</b>
    Chats: { $chats } ({ $blocked } blocked the bot)
    With active access: { $access }
    Saved searches: { $searches }
    Listings: { $listings } ({ $new } new in 24 h)
    Alerts sent in 24 h: { $sent }
    Pending: { $pending }, failed: { $failed }
    Sources: { $sources } ({ $unhealthy } unhealthy, see /sources)
admin-stats-paid =
    Paid broadcasts: { $state }; Star balance { $balance }; spent today { $today } ⭐ ({ $sends } paid sends)
    Stars spent per day (UTC): { $week }
admin-paid-on = on
admin-paid-paused = paused
admin-balance-unknown = unknown
admin-latency = Alert latency, scrape → Telegram (last { $n } alerts):
admin-latency-line = { $source }: p50 { $p50 } s, p95 { $p95 } s ({ $count } alerts)
admin-sources-none = No sources have run yet (see SOURCES_FILE).
admin-source-blocked = ⛔ blocked
admin-source-failing = ⚠️ failing
admin-source-ok = ✅ ok
admin-source-never = never
admin-source =
    <b>{ $name }</b> ({ $kind }) { $state }
    last success: { $success }; found { $found } ({ $new } new) last run; { $runs } runs
admin-source-error = last error { $at }: { $error }
admin-refund-usage = Usage: <code>/refund CHARGE_ID</code> (the telegram_payment_charge_id).
admin-refund-none = No payment with that charge id.
admin-refund-already = The payment <code>{ $charge }</code> was already refunded.
admin-refund-done = Refunded { $stars } ⭐ to chat { $chat }. Their access now ends { $ends }.
admin-refund-done-ended = Refunded { $stars } ⭐ to chat { $chat }. Their access has ended.
admin-refund-refused = Telegram refused the refund: { $why }
admin-refund-unknown = Telegram did not answer. The refund is recorded and will be completed automatically.
admin-refund-completed = The refund of <code>{ $charge }</code> (chat { $chat }) is completed.
admin-refund-refused-later = Telegram refused the refund of <code>{ $charge }</code>: { $why }
refund-why-not-found = Telegram has no payment with this charge id (check it in the support request).
refund-why-not-refundable = this payment can no longer be refunded (it is too old, or was refunded already).
refund-why-other = Telegram answered “{ $code }”.
admin-ledger-unknown-plan = A payment in Telegram's ledger cannot be applied (unknown plan): chat { $chat }, { $stars } ⭐, payload <code>{ $payload }</code>, charge <code>{ $charge }</code>. Use /grant or /refund.
admin-ledger-applied = Applied a payment found only in Telegram's ledger: chat { $chat }, { $plan } ({ $stars } ⭐), charge <code>{ $charge }</code>; access until { $ends }.
admin-balance-low = ⚠️ The bot's Star balance is { $stars } ⭐, below PAID_BROADCAST_MIN_STARS ({ $min }): paid broadcasts are paused and alerts go at the free rate ({ $free }/s). Top the balance up to resume them.
admin-balance-ok = ✅ The bot's Star balance is { $stars } ⭐: paid broadcasts resumed (up to { $rate }/s).
admin-support-header =
    💬 Payment support from chat <code>{ $chat }</code> ({ $who }).
    Charges: { $charges }
    Reply to this message to answer.
admin-support-no-charges = none
admin-support-old = This support request is older than { $days } days: its thread is no longer kept, so the answer cannot be routed to the user. Ask them to send /paysupport again, or write to the chat id in the request yourself.
admin-support-sent = Sent to chat <code>{ $chat }</code>.
admin-support-not-delivered = Not delivered to chat <code>{ $chat }</code>: { $why }
admin-cmd-stats = Admin: figures
admin-cmd-sources = Admin: sources' health
admin-cmd-grant = Admin: /grant CHAT_ID DURATION
admin-cmd-broadcast = Admin: /broadcast TEXT
admin-cmd-refund = Admin: /refund CHARGE_ID
admin-source-down = ⚠️ Source { $name } has failed { $failures } runs in a row: { $why }
admin-source-up = ✅ Source { $name } works again ({ $found } listings).
admin-source-crashed = 💥 Source { $name }: the process stopped during its run ({ $crashes } in a row). A page may crash the parser or exhaust memory. The source waits until { $until }; check it with “homehound check-source { $name }”.
admin-expiry-up = ✅ The expiry worker works again.
admin-expiry-down = ⚠️ The expiry worker has failed { $failed } passes in a row (no reminder or expiry notice is queued): { $why }
admin-channel-refuses = 📢 The channel { $name } does not take the bot's posts: { $why } Its posts are dropped. Add the bot to the channel as an admin allowed to post messages; posting is tried again in { $hours } hours, or at the next start.
channel-why-not-member = the bot is not a member of the channel.
channel-why-no-rights = the bot has no right to post there.
channel-why-not-found = Telegram knows no such channel (check its @name).
channel-why-other = Telegram answered “{ $code }”.
support-why-blocked = they blocked the bot, so it cannot write to them.
support-why-failed = Telegram did not take the message; reply again in a minute.
market-all = All listings, last 12 weeks
market-title = { $what } · last 12 weeks
market-weekly = Median monthly price per week (the number: listings that week)
market-per-m2 = Monthly price per m²
market-yours = your price range
market-listing = this listing
market-no-data = no listings with this data
market-caption = 📈 { $listings ->
        [one] { $listings } listing
       *[other] { $listings } listings
    } in the last 12 weeks · median <b>{ $median }</b> a month · <b>{ $per_m2 }</b> per m²
market-empty = No stored listing of the last 12 weeks matches this. Try a wider filter: /market <code>price=-2000</code>, or a saved search: /market <code>ID</code>.
cmd-market = The market in a chart: /market or /market ID
