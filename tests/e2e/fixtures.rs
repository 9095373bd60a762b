//! Every saved page in `tests/fixtures/` through its built-in adapter,
//! asserting what a person reads on the page (the values in its MANIFEST).
//! The pages live in this repository; a missing page fails its test.

use std::path::PathBuf;

use homehound::scraper::{
    adapters::{Adapter, Page, PageOutcome, css::CssConfig, css::CssSpec},
    listing::Listing,
    normalize::Period,
    slim::Prune,
    sources::{self, SourceConfig},
};
use reqwest::Url;

fn fixtures() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    assert!(
        dir.join("MANIFEST.md").is_file(),
        "{} is missing: the fixture pages belong in the repository",
        dir.display()
    );
    Some(dir)
}

fn base_of(kind: &str) -> Url {
    Url::parse(Adapter::home(kind).unwrap_or("https://localhost/")).unwrap()
}

/// The source `check-source --kind KIND` uses: the preset or coded site alone.
fn source_of(kind: &str) -> SourceConfig {
    sources::for_kind(kind, base_of(kind).as_str()).unwrap_or_else(|e| panic!("no kind {kind}: {e}"))
}

fn read(file: &str) -> String {
    let dir = fixtures().expect("fixtures");
    let bytes = std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    String::from_utf8_lossy(&bytes).into_owned()
}

fn parse_with(adapter: &Adapter, kind: &str, file: &str) -> Option<PageOutcome> {
    parse_body(adapter, kind, &read(file), None, None)
}

fn parse_body(
    adapter: &Adapter,
    kind: &str,
    body: &str,
    currency: Option<&str>,
    period: Option<Period>,
) -> Option<PageOutcome> {
    let base = base_of(kind);
    Some(adapter.parse(kind, Page { body, url: &base }, currency, period))
}

fn listings_of(file: &str, outcome: PageOutcome) -> Vec<Listing> {
    match outcome {
        PageOutcome::Listings { listings, .. } => listings,
        other => panic!("{file} did not parse: {other:?}"),
    }
}

fn parse(kind: &str, file: &str) -> Option<Vec<Listing>> {
    parse_at(kind, file, base_of(kind).as_str())
}

/// `file` through `kind` as if fetched from `page` (an exposé's own address).
fn parse_at(kind: &str, file: &str, page: &str) -> Option<Vec<Listing>> {
    let source = source_of(kind);
    let url = Url::parse(page).expect("page url");
    let outcome =
        source.adapter.parse(kind, Page { body: &read(file), url: &url }, source.currency.as_deref(), source.period);
    Some(listings_of(file, outcome))
}

/// What a person reads on one card.
struct Want {
    id: &'static str,
    url: &'static str,
    title: &'static str,
    price: Option<f64>,
    currency: &'static str,
    rooms: Option<f64>,
    area: Option<f64>,
    district: Option<&'static str>,
    photo: Option<&'static str>,
}

#[allow(clippy::too_many_arguments)]
fn want(
    id: &'static str,
    url: &'static str,
    title: &'static str,
    price: Option<f64>,
    currency: &'static str,
    rooms: Option<f64>,
    area: Option<f64>,
    district: Option<&'static str>,
    photo: Option<&'static str>,
) -> Want {
    Want { id, url, title, price, currency, rooms, area, district, photo }
}

fn same_url(a: &str, b: &str) -> bool {
    Url::parse(a).ok() == Url::parse(b).ok()
}

fn close(a: Option<f64>, b: Option<f64>, tolerance: f64) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() <= tolerance,
        (None, None) => true,
        _ => false,
    }
}

fn check(kind: &str, file: &str, count: usize, wants: &[Want]) {
    check_at(kind, file, base_of(kind).as_str(), count, wants);
}

/// [`check`] on a page fetched from `page`. A want's empty title means the
/// page has none: the listing's title is a fallback, counted missing.
fn check_at(kind: &str, file: &str, page: &str, count: usize, wants: &[Want]) {
    let Some(listings) = parse_at(kind, file, page) else { return };
    assert_eq!(listings.len(), count, "{file}: listing count");
    for w in wants {
        let l = listings.iter().find(|l| l.id == w.id).unwrap_or_else(|| {
            panic!("{file}: no listing {}; ids: {:?}", w.id, listings.iter().map(|l| &l.id).collect::<Vec<_>>())
        });
        let ctx = format!("{file} #{}", w.id);
        assert!(same_url(&l.url, w.url), "{ctx}: url {} != {}", l.url, w.url);
        if w.title.is_empty() {
            assert!(l.title_is_fallback && !l.has("title"), "{ctx}: no title on the page, got {:?}", l.title);
        } else {
            assert_eq!(l.title, w.title, "{ctx}: title");
        }
        assert!(close(l.price, w.price, 0.001), "{ctx}: price {:?} != {:?}", l.price, w.price);
        assert_eq!(l.currency.as_deref(), Some(w.currency), "{ctx}: currency");
        assert_eq!(l.rooms, w.rooms, "{ctx}: rooms");
        assert!(close(l.area_m2, w.area, 0.05), "{ctx}: area {:?} != {:?}", l.area_m2, w.area);
        assert_eq!(l.district.as_deref(), w.district, "{ctx}: district");
        match (l.photo.as_deref(), w.photo) {
            (Some(got), Some(exp)) => assert!(same_url(got, exp), "{ctx}: photo {got} != {exp}"),
            (got, exp) => assert_eq!(got, exp, "{ctx}: photo"),
        }
    }
}

#[test]
fn wg_gesucht_search() {
    check(
        "wg-gesucht",
        "wg-gesucht/berlin-wohnungen-search-with-spotahome.html",
        20,
        &[
            want(
                "10401873",
                "https://www.wg-gesucht.de/wg-zimmer-in-Berlin-Charlottenburg.10401873.html",
                "Helles, gemütliches Zimmer (September-Mitte Oktober) - nähe Lietzensee",
                Some(650.0),
                "EUR",
                None,
                Some(20.0),
                Some("Charlottenburg"),
                Some(
                    "https://img.wg-gesucht.de/media/up/2023/33/f07d6de265c60fb2c132615c3ec82fa00a277bbaef47c76f1e6b68a314783f7d_IMG_5746.small.jpeg",
                ),
            ),
            want(
                "7834810",
                "https://www.wg-gesucht.de/wg-zimmer-in-Berlin-Charlottenburg.7834810.html",
                "Großes WG Zimmer in Charlottenburg, 13.09. bis 15.10.",
                Some(610.0),
                "EUR",
                None,
                Some(26.0),
                Some("Charlottenburg"),
                Some(
                    "https://img.wg-gesucht.de/media/up/2020/05/2fec6b7eb9d20e265f7aed4a3f36a721dd69a3de2c107256e7d203bed14abe7d_EEAD0048_F9DE_4723_967E_6605DF4D60C7.small.jpeg",
                ),
            ),
            want(
                "8974685",
                "https://www.wg-gesucht.de/1-zimmer-wohnungen-in-Berlin-Charlottenburg.8974685.html",
                "Super Studenten-Wohnung zu vermieten!",
                Some(350.0),
                "EUR",
                Some(1.0),
                Some(30.0),
                Some("Charlottenburg"),
                Some(
                    "https://img.wg-gesucht.de/media/up/2023/12/9ceeb135b45fcb76fb43dcfc54b67352fefa87e87e896dae83ac9603b9b3a279_4d63145da21a19327b9665c4b7b31f7ee6329569eb4d2e87206e7ee44e4a3d45_163396789850550535506.sized.small.JPEG",
                ),
            ),
        ],
    );
    // The paid Spotahome card links to the search page and is not a listing.
    let Some(listings) = parse("wg-gesucht", "wg-gesucht/berlin-wohnungen-search-with-spotahome.html") else { return };
    assert!(listings.iter().all(|l| l.id != "10124705"));
}

#[test]
fn immowelt_2026_classified_list() {
    let file = "immowelt/classified-list-api-2026.json";
    check(
        "immowelt",
        file,
        2,
        &[
            want(
                "26FQVY8WZMSV",
                "https://www.immowelt.de/expose/ba8557a2-c888-46e4-954e-581a68116662",
                "Moderne 2-Zimmer-Wohnung mit Balkon im Herzen von Berlin Mitte",
                Some(1250.0),
                "EUR",
                Some(2.0),
                Some(93.0),
                Some("Mitte"),
                Some(
                    "https://mms.immowelt.de/c/c/d/2/ccd20acc-bbf2-45fa-a232-1c417edc773b.jpg?ci_seal=eade73f020247c56ffdf910890c3f952d165ca96",
                ),
            ),
            want(
                "26IRLQ56QCSY",
                "https://www.immowelt.de/expose/49a672de-eb74-421e-8e18-6005e369398c",
                "TAUSCHWOHNUNG Perfekt für Paare: Gemütliche Wohnung Charlottenburg/Spandau",
                Some(700.0),
                "EUR",
                Some(4.0),
                Some(85.0),
                Some("Spandau"),
                Some(
                    "https://mms.immowelt.de/1/f/5/f/1f5fb376-81f7-459d-96f0-8b5aa8cc2bfc.webp?ci_seal=e8817b9cd461ffee235d24fbd0265b381b7c70fe",
                ),
            ),
        ],
    );
    check_periods("immowelt", file, &[("26FQVY8WZMSV", Period::Month), ("26IRLQ56QCSY", Period::Month)]);
}

#[test]
fn zillow_search() {
    check(
        "zillow",
        "zillow/boston-rentals-search-2025-11.html",
        41,
        &[
            want(
                "CkBG9z",
                "https://www.zillow.com/apartments/boston-ma/95-saint/CkBG9z/",
                "95 Saint, 95 Saint Alphonsus St, Roxbury Crossing, MA 02120",
                Some(4919.0),
                "USD",
                Some(1.0),
                Some(74.4),
                Some("Roxbury Crossing"),
                Some("https://photos.zillowstatic.com/fp/d29e122b674d37a05db2b15347caff0a-p_e.jpg"),
            ),
            want(
                "Cm4BqX",
                "https://www.zillow.com/apartments/allston-ma/harper/Cm4BqX/",
                "Harper | 80 Rugg Rd, Allston, MA",
                Some(2975.0),
                "USD",
                Some(0.0),
                None,
                Some("Allston"),
                Some("https://photos.zillowstatic.com/fp/3a6e5a8889cf87fdff67bd7ffbee830b-p_e.jpg"),
            ),
            want(
                "CkkLzW",
                "https://www.zillow.com/apartments/boston-ma/boylston-st-40/CkkLzW/",
                "62 on the Park | 62 Boylston St, Boston, MA",
                Some(2500.0),
                "USD",
                Some(0.0),
                None,
                Some("Boston"),
                Some("https://photos.zillowstatic.com/fp/5d2b3a61f7edda5946acffe37ba81cbe-p_e.jpg"),
            ),
        ],
    );
}

#[test]
fn rightmove_search_single_result_and_detail() {
    check(
        "rightmove",
        "rightmove/london-to-rent-search.html",
        25,
        &[
            want(
                "145306313",
                "https://www.rightmove.co.uk/properties/145306313",
                "1 bedroom apartment",
                Some(1250.0),
                "GBP",
                Some(1.0),
                None,
                Some("Spence Court,Woodside Green, London"),
                Some(
                    "https://media.rightmove.co.uk:443/dir/crop/10:9-16:9/6k/5427/145306313/5427_102893011976_IMG_00_0000_max_476x317.jpeg",
                ),
            ),
            want(
                "145826930",
                "https://www.rightmove.co.uk/properties/145826930",
                "2 bedroom flat",
                Some(1900.0),
                "GBP",
                Some(2.0),
                None,
                Some("Old Ford Road, London, E3"),
                Some(
                    "https://media.rightmove.co.uk:443/dir/crop/10:9-16:9/97k/96668/145826930/96668_114874030062021_IMG_00_0000_max_476x317.jpeg",
                ),
            ),
            want(
                "145826918",
                "https://www.rightmove.co.uk/properties/145826918",
                "2 bedroom flat",
                Some(2300.0),
                "GBP",
                Some(2.0),
                None,
                Some("Bravington Road, London, W9"),
                Some(
                    "https://media.rightmove.co.uk:443/dir/crop/10:9-16:9/97k/96668/145826918/96668_201591210032024_IMG_00_0000_max_476x317.jpeg",
                ),
            ),
        ],
    );
    // 24 unfilled knockout templates beside the one real result.
    check(
        "rightmove",
        "rightmove/archway-studio-to-rent-search-single-result.html",
        1,
        &[want(
            "144595010",
            "https://www.rightmove.co.uk/properties/144595010",
            "House share",
            Some(1127.0),
            "GBP",
            None,
            None,
            Some("Sussex Close, Sussex Way, Finsbury Park, N19"),
            Some(
                "https://media.rightmove.co.uk:443/dir/crop/10:9-16:9/260k/259202/144595010/259202_THECI_005196_IMG_00_0000_max_476x317.jpeg",
            ),
        )],
    );
    check(
        "rightmove",
        "rightmove/to-rent-detail-145459589.html",
        1,
        &[want(
            "145459589",
            "https://www.rightmove.co.uk/properties/145459589",
            "2 bedroom apartment for rent in Sycamore Street, London, EC1Y 0SR, UK, EC1Y",
            Some(3370.0),
            "GBP",
            Some(2.0),
            Some(53.0),
            Some("Sycamore Street, London, EC1Y 0SR, UK"),
            Some("https://media.rightmove.co.uk/79k/78429/145459589/78429_LON-489_IMG_08_0000.jpeg"),
        )],
    );
}

#[test]
fn idealista_search() {
    check(
        "idealista",
        "idealista/lleida-casas-pisos-search.html",
        30,
        &[
            want(
                "107654102",
                "https://www.idealista.com/inmueble/107654102/",
                "Casa o chalet independiente en Ciutat Jardí, Lleida",
                Some(525000.0),
                "EUR",
                Some(5.0),
                Some(260.0),
                Some("Ciutat Jardí"),
                Some("https://img4.idealista.com/blur/480_360_mq/0/id.pro.es.image.master/fa/0c/43/1318839990.jpg"),
            ),
            want(
                "107653200",
                "https://www.idealista.com/inmueble/107653200/",
                "Piso en La Bordeta, Lleida",
                Some(99000.0),
                "EUR",
                Some(2.0),
                Some(85.0),
                Some("La Bordeta"),
                Some("https://img4.idealista.com/blur/480_360_mq/0/id.pro.es.image.master/db/07/94/1318816635.jpg"),
            ),
            want(
                "107651666",
                "https://www.idealista.com/inmueble/107651666/",
                "Piso en Albert Porqueras, Mariola, Lleida",
                Some(140000.0),
                "EUR",
                Some(3.0),
                Some(102.0),
                Some("Mariola"),
                Some("https://img4.idealista.com/blur/480_360_mq/0/id.pro.es.image.master/c3/57/8e/1147188912.jpg"),
            ),
        ],
    );
}

#[test]
fn otodom_search_and_detail() {
    check(
        "otodom",
        "otodom/warszawa-mieszkania-sprzedaz-search.html",
        39,
        &[
            want(
                "4blGn",
                "https://www.otodom.pl/pl/oferta/nowa-kawalerka-odbior-kluczy-1q2022-ochota-wloch-ID4blGn",
                "Nowa kawalerka odbiór kluczy 1Q2022 - Ochota/Włoch",
                Some(408060.0),
                "PLN",
                Some(1.0),
                Some(32.46),
                Some("Ochota"),
                Some(
                    "https://ireland.apollo.olxcdn.com/v1/files/eyJmbiI6IjNubTBnc21mdG5xdjMtQVBMIiwidyI6W3siZm4iOiJlbnZmcXFlMWF5NGsxLUFQTCIsInMiOiIxNCIsInAiOiIxMCwtMTAiLCJhIjoiMCJ9XX0.dEh4Sq1UcmzUTaP7AuLUzXX4noHj70Oy1YAVH0IoDDw/image;s=655x491;q=80",
                ),
            ),
            want(
                "4ehmq",
                "https://www.otodom.pl/pl/oferta/apartament-130-m-w-babka-tower-ID4ehmq",
                "Apartament 130 m² w Babka Tower",
                Some(2700000.0),
                "PLN",
                Some(3.0),
                Some(130.0),
                Some("Śródmieście"),
                Some(
                    "https://ireland.apollo.olxcdn.com/v1/files/eyJmbiI6IjlrbThrd2xzbHMxZDEtQVBMIiwidyI6W3siZm4iOiJlbnZmcXFlMWF5NGsxLUFQTCIsInMiOiIxNCIsInAiOiIxMCwtMTAiLCJhIjoiMCJ9XX0.9kwSN3L8I2ZMiPRuepJa9VZAoByuR-CxnBEI4DR37rw/image;s=655x491;q=80",
                ),
            ),
            want(
                "4ehkP",
                "https://www.otodom.pl/pl/oferta/penthouse-na-marymonckiej-ID4ehkP",
                "Penthouse na Marymonckiej",
                Some(2200000.0),
                "PLN",
                Some(2.0),
                Some(132.0),
                Some("Bielany"),
                Some(
                    "https://ireland.apollo.olxcdn.com/v1/files/eyJmbiI6InN1ZXZuNHQyNW1tdi1BUEwiLCJ3IjpbeyJmbiI6ImVudmZxcWUxYXk0azEtQVBMIiwicyI6IjE0IiwicCI6IjEwLC0xMCIsImEiOiIwIn1dfQ._wKDTAZg5wjHE3JpKOSxTnKZx_8itLjs2t35mT3anzc/image;s=655x491;q=80",
                ),
            ),
        ],
    );
    check(
        "otodom",
        "otodom/detail-targowek-2-pokoje.html",
        1,
        &[want(
            "49ovs",
            "https://www.otodom.pl/pl/oferta/bezposrednio-45m-umeblowane-2-pok-targowek-garaz-ID49ovs.html",
            "Bezpośrednio 45m umeblowane 2 pok. Targówek garaż",
            Some(515000.0),
            "PLN",
            Some(2.0),
            Some(45.21),
            Some("Targówek"),
            Some(
                "https://ireland.apollo.olxcdn.com/v1/files/eyJmbiI6Inh1a2Vud241b2FpczItQVBMIiwidyI6W3siZm4iOiJqMWozbzEzbTZiZ24xLUFQTCIsInMiOiIxNCIsInAiOiIxMCwtMTAiLCJhIjoiMCJ9XX0.On1EENDC7Mr0ZS5ltUvSPdR4146_fzekXcAAXlCLQe0/image;s=655x491;q=80",
            ),
        )],
    );
}

#[test]
fn olx_pl_and_olx_ua_search() {
    check(
        "olx-pl",
        "olx-pl/warszawa-mieszkania-sprzedaz-search.html",
        44,
        &[
            want(
                "615882224",
                "https://www.olx.pl/oferta/muranow-blisko-muzeum-polin-metro-tramwaj-scisle-centrum-CID3-IDFGb6g.html",
                "Muranów, blisko Muzeum POLIN/metro/tramwaj/ścisłe centrum",
                Some(549000.0),
                "PLN",
                None,
                None,
                Some("Śródmieście"),
                Some("https://ireland.apollo.olxcdn.com:443/v1/files/yrxm187xj2aq1-PL/image;s=644x461"),
            ),
            want(
                "622909911",
                "https://www.olx.pl/oferta/nowoczesny-3-pokojowy-apartament-blisko-centrum-bez-podatku-pcc-CID3-IDG9Fk3.html",
                "Nowoczesny 3-pokojowy apartament blisko Centrum, bez podatku PCC.",
                Some(1030000.0),
                "PLN",
                None,
                None,
                Some("Wola"),
                Some("https://ireland.apollo.olxcdn.com:443/v1/files/nmcqlvq6xta7-PL/image;s=644x461"),
            ),
            want(
                "622849110",
                "https://www.olx.pl/oferta/mieszkanie-mokotow-100m-CID3-IDG9pwo.html",
                "Mieszkanie Mokotów 100m",
                Some(1550000.0),
                "PLN",
                None,
                None,
                Some("Mokotów"),
                Some("https://ireland.apollo.olxcdn.com:443/v1/files/llsypf82jltz-PL/image;s=644x461"),
            ),
        ],
    );
    check(
        "olx-ua",
        "olx-ua/kvartiry-search.html",
        44,
        &[
            want(
                "559297234",
                "https://www.olx.ua/obyavlenie/prodam-1kom-ts-rynok-IDBQKL8.html",
                "Продам 1ком. Ц. Рынок",
                Some(67906.0),
                "UAH",
                None,
                None,
                Some("Центрально-Городской"),
                None,
            ),
            want(
                "584025808",
                "https://www.olx.ua/obyavlenie/otlichnaya-tsena-3-k-kv-dobryninskiy-prodazha-ot-sobstvennika-IDDvwN6.html",
                "Отличная цена! 3-к.кв. Добрынинский! Продажа от собственника!",
                Some(271490.0),
                "UAH",
                None,
                None,
                Some("Славутич"),
                None,
            ),
            want(
                "583975632",
                "https://www.olx.ua/obyavlenie/prodam-2k-gostinku-vozle-metro-armeyskaya-IDDviJO.html",
                "Продам 2к. гостинку возле метро Армейская",
                Some(298972.0),
                "UAH",
                None,
                None,
                Some("Фрунзенский"),
                None,
            ),
        ],
    );
}

#[test]
fn dom_ria_search() {
    check(
        "dom-ria",
        "dom-ria/kvartiry-search.html",
        20,
        &[
            want(
                "15556698",
                "https://dom.ria.com/uk/realty-perevireno-prodaja-kvartira-vinnitsa-sverdlovskiy-massiv-sverdlova-ulitsa-15556698.html",
                "р‑н. Свердловський масив Князей Кориатовичей улица , 1 кім. м. Вінниця",
                Some(24000.0),
                "USD",
                Some(1.0),
                Some(44.5),
                Some("Свердловський масив"),
                Some("https://cdn.riastatic.com/photosnewr/dom/photo/realty__97544760-300x200x80.webp"),
            ),
            want(
                "15688237",
                "https://dom.ria.com/uk/realty-perevireno-prodaja-kvartira-vinnitsa-zamoste-50letiya-pobedyi-ulitsa-15688237.html",
                "р‑н. Замостя вул. 50-річчя Перемоги , 2 кім. м. Вінниця",
                Some(49990.0),
                "USD",
                Some(2.0),
                Some(73.0),
                Some("Замостя"),
                Some("https://cdn3.riastatic.com/photosnewr/dom/photo/realty__98744213-300x200x80.webp"),
            ),
            want(
                "15540541",
                "https://dom.ria.com/uk/realty-perevireno-prodaja-kvartira-vinnitsa-staryiy-gorod-pokryishkina-ulitsa-15540541.html",
                "р‑н. Старе місто вул. Покришкіна , 2 кім. м. Вінниця",
                Some(21500.0),
                "USD",
                Some(2.0),
                Some(52.0),
                Some("Старе місто"),
                Some("https://cdn1.riastatic.com/photosnewr/dom/photo/realty__97472381-300x200x80.webp"),
            ),
        ],
    );
}

#[test]
fn realestate_com_au_search() {
    check(
        "realestate-com-au",
        "realestate-com-au/nsw-buy-search-2017.html",
        20,
        &[
            want(
                "125136386",
                "https://www.realestate.com.au/property-house-nsw-seven+hills-125136386",
                "82 Orana Avenue, Seven Hills, NSW 2147",
                Some(700000.0),
                "AUD",
                Some(3.0),
                None,
                Some("Seven Hills"),
                Some(
                    "https://i2.au.reastatic.net/640x480/4960a40e2d6596f45311eb640fe32ebd242b866c146f84c612b0c3810eb2494d/main.jpg",
                ),
            ),
            want(
                "125136382",
                "https://www.realestate.com.au/property-house-nsw-seven+hills-125136382",
                "32 Leabons Lane, Seven Hills, NSW 2147",
                Some(780000.0),
                "AUD",
                Some(4.0),
                None,
                Some("Seven Hills"),
                Some(
                    "https://i2.au.reastatic.net/640x480/04f35c29c7236b27bbc239baa1a1244066fbe0856d78d9a34df92e898a2d240a/main.jpg",
                ),
            ),
            want(
                "116896667",
                "https://www.realestate.com.au/property-house-nsw-corlette-116896667",
                "18 Nandu Boulevard, Corlette, NSW 2315",
                None,
                "AUD",
                Some(4.0),
                None,
                Some("Corlette"),
                Some(
                    "https://i3.au.reastatic.net/640x480/3a1bb7658ac34bac9596004f264f52cc74f26dacaac72a6a650c883a9f4b4178/main.jpg",
                ),
            ),
        ],
    );
}

#[test]
fn bazaraki_search() {
    check(
        "bazaraki",
        "bazaraki/limassol-houses-sale-search-2020.html",
        66,
        &[
            want(
                "2754666",
                "https://www.bazaraki.com/adv/2754666_reflection-court-unique-investment-opportunity-ag-athanasios/",
                "Reflection court-apartment building",
                Some(1200000.0),
                "EUR",
                None,
                None,
                Some("Agios Athanasios"),
                None,
            ),
            want(
                "2735579",
                "https://www.bazaraki.com/adv/2735579_4-bedroom-house-at-ayia-triada-historical-part-of-limassol/",
                "4 bedroom house at ayia triada - historical part of limassol",
                Some(439000.0),
                "EUR",
                Some(4.0),
                None,
                Some("Limassol — Historical Center"),
                None,
            ),
            want(
                "2731977",
                "https://www.bazaraki.com/adv/2731977_paramount-residence/",
                "Paramount residence",
                Some(4950000.0),
                "EUR",
                None,
                None,
                Some("Agios Tychon"),
                None,
            ),
        ],
    );
}

#[test]
fn zonaprop_search_reads_dollar_signs_as_pesos() {
    check(
        "zonaprop",
        "zonaprop/santa-fe-departamentos-alquiler-search-2024.html",
        20,
        &[
            want(
                "53554351",
                "https://www.zonaprop.com.ar/propiedades/clasificado/alclapin-royo-inmobiliaria-alquila-semipiso-de-3-dorm-cochera-53554351.html",
                "Royo Inmobiliaria Alquila Semipiso de 3 Dorm, Cochera con Vista Al Puerto y Al Rio Pleno Centro",
                Some(620000.0),
                "ARS",
                Some(4.0),
                Some(110.0),
                Some("Distrito Centro"),
                Some("https://imgar.zonapropcdn.com/avisos/1/00/53/55/43/51/360x266/1908958665.jpg?isFirstImage=true"),
            ),
            want(
                "53558176",
                "https://www.zonaprop.com.ar/propiedades/clasificado/alclapin-departamento-en-santa-fe-53558176.html",
                "Departamento en Santa Fe",
                Some(380000.0),
                "ARS",
                Some(2.0),
                Some(60.0),
                Some("Ciudad de Santa Fe"),
                Some("https://imgar.zonapropcdn.com/avisos/1/00/53/55/81/76/360x266/1909043119.jpg?isFirstImage=true"),
            ),
            want(
                "53555266",
                "https://www.zonaprop.com.ar/propiedades/clasificado/alclapin-royo-inmobiliaria-alquila-monoambiente-interno-53555266.html",
                "Royo Inmobiliaria Alquila Monoambiente Interno Excelente Estado Sin Gas Natural",
                Some(120000.0),
                "ARS",
                Some(1.0),
                Some(30.0),
                Some("Ciudad de Santa Fe"),
                Some("https://imgar.zonapropcdn.com/avisos/1/00/53/55/52/66/360x266/1908983188.jpg?isFirstImage=true"),
            ),
        ],
    );
}

#[test]
fn craigslist_search() {
    check(
        "craigslist",
        "craigslist/boston-for-sale-search.html",
        120,
        &[
            want(
                "7692736931",
                "https://boston.craigslist.org/nos/for/d/peabody-solar-tea-light/7692736931.html",
                "Solar tea light",
                Some(5.0),
                "USD",
                None,
                None,
                Some("Peabody"),
                Some("https://images.craigslist.org/00L0L_20Tz7LpfcXD_0dp0t2_300x300.jpg"),
            ),
            want(
                "7692736919",
                "https://boston.craigslist.org/sob/hab/d/pembroke-wen-by-chaz-dean-bella-spirit/7692736919.html",
                "WEN by Chaz Dean Bella Spirit & Classic Set",
                Some(75.0),
                "USD",
                None,
                None,
                Some("south shore"),
                None,
            ),
            want(
                "7684409287",
                "https://boston.craigslist.org/gbs/grd/d/needham-heights-troy-bilt-leaf-vacuum/7684409287.html",
                "Troy Bilt leaf vacuum/shredder",
                Some(300.0),
                "USD",
                None,
                None,
                Some("boston/cambridge/brookline"),
                None,
            ),
        ],
    );
}

#[test]
fn gewobag_search() {
    check(
        "gewobag",
        "gewobag/mietangebote-search-2020.html",
        8,
        &[
            want(
                "7100-74806-0305-0076",
                "https://www.gewobag.de/fuer-mieter-und-mietinteressenten/mietangebote/7100-74806-0305-0076/",
                "Ihr neues Glück von den eigenen vier Wänden!",
                Some(832.07),
                "EUR",
                Some(3.0),
                Some(73.32),
                Some("Staaken"),
                Some(
                    "https://www.gewobag.de/wp-content/uploads/wp-immo-manager/gewobag_import_2019-07-02_01_7100-74806-0305-bild1-hausansicht.jpg.jpg",
                ),
            ),
            want(
                "7100-74806-0103-0005",
                "https://www.gewobag.de/fuer-mieter-und-mietinteressenten/mietangebote/7100-74806-0103-0005/",
                "Ihre neue Traumwohnung!",
                Some(680.78),
                "EUR",
                Some(2.0),
                Some(56.43),
                Some("Staaken"),
                Some(
                    "https://www.gewobag.de/wp-content/uploads/wp-immo-manager/gewobag_import_2019-07-02_01_7100-74806-0103-bild1-hausansicht.jpg.jpg",
                ),
            ),
            want(
                "0100-01109-0103-0027",
                "https://www.gewobag.de/fuer-mieter-und-mietinteressenten/mietangebote/0100-01109-0103-0027/",
                "Ab sofort frei, niemanden über sich haben und zentral in Spandau",
                Some(575.6),
                "EUR",
                Some(3.0),
                Some(64.94),
                Some("Spandau"),
                Some(
                    "https://www.gewobag.de/wp-content/uploads/wp-immo-manager/gewobag_dcf1d036-46c7-4484-84ff-13c131d6d183.jpg",
                ),
            ),
        ],
    );
}

#[test]
fn inberlinwohnen_search() {
    check(
        "inberlinwohnen",
        "inberlinwohnen/wohnungsfinder-search.html",
        10,
        &[
            want(
                "17758",
                "https://www.howoge.de/wohnungen-gewerbe/wohnungssuche/detail/1770-20554-60.html?t=ibw",
                "Familienwohung für Sportbegeisterte, Wohnung früher verfügbar",
                Some(621.66),
                "EUR",
                Some(3.0),
                Some(60.65),
                Some("Lichtenberg"),
                Some(
                    "https://inberlinwohnen.de/img/images/apartments/1781016665-kdbSHa6gwm.webp?q=90&fit=crop&fm=png&dpr=1",
                ),
            ),
            want(
                "17756",
                "https://www.howoge.de/wohnungen-gewerbe/wohnungssuche/detail/1950-33556-185.html?t=ibw",
                "Wohnung zum selber renovieren",
                Some(484.63),
                "EUR",
                Some(3.0),
                Some(67.97),
                Some("Lichtenberg"),
                Some(
                    "https://inberlinwohnen.de/img/images/apartments/1781011868-msRJExOMrm.webp?q=90&fit=crop&fm=png&dpr=1",
                ),
            ),
            want(
                "17754",
                "https://www.howoge.de/wohnungen-gewerbe/wohnungssuche/detail/1770-20704-54.html?t=ibw",
                "Duschbad und Wannenbad - mit Kammer - nahe dem Lindencenter!",
                Some(1200.0),
                "EUR",
                Some(4.0),
                Some(100.0),
                Some("Lichtenberg"),
                Some(
                    "https://inberlinwohnen.de/img/images/apartments/1781011624-GGQmGyWchE.webp?q=90&fit=crop&fm=png&dpr=1",
                ),
            ),
        ],
    );
}

#[test]
fn pararius_detail() {
    check(
        "pararius",
        "pararius/amsterdam-hoofdweg-to-rent-detail.html",
        1,
        &[want(
            "dd58755b",
            "https://www.pararius.com/apartment-for-rent/amsterdam/dd58755b/hoofdweg",
            "For rent: Apartment Hoofdweg 147 B in Amsterdam",
            Some(2250.0),
            "EUR",
            Some(4.0),
            Some(86.0),
            Some("Hoofdweg e.o."),
            Some(
                "https://casco-media-prod.global.ssl.fastly.net/dd58755b-cf5d-52dd-a939-92e10c5a1468/3ae915461e53619adb4dd879b8e5c52f.jpg?width=600&auto=webp",
            ),
        )],
    );
}

#[test]
fn captcha_walls_are_blocked_not_empty() {
    for file in ["blocked/immobilienscout24-captcha.html", "blocked/cian-captcha.html"] {
        for kind in ["rightmove", "css-like", "jsonld"] {
            let adapter = Adapter::builtin(kind).unwrap_or_else(|| source_of("wg-gesucht").adapter);
            let Some(outcome) = parse_with(&adapter, kind, file) else { return };
            assert!(matches!(outcome, PageOutcome::Blocked(_)), "{file} with {kind}: {outcome:?}");
        }
    }
}

fn css_adapter(toml_table: &str) -> Adapter {
    let config: CssConfig = toml::from_str(toml_table).expect("css config");
    Adapter::Css(Box::new(CssSpec::compile(&config).expect("compiles")), Prune::default())
}

/// The generic `css` kind, configured for a page, finds the same listings
/// (ids, links, titles, prices) as the built-in adapter.
fn css_matches_builtin(kind: &str, file: &str, table: &str) {
    let Some(builtin) = parse(kind, file) else { return };
    let adapter = css_adapter(table);
    let Some(PageOutcome::Listings { listings: generic, .. }) = parse_with(&adapter, kind, file) else {
        panic!("{file}: css found nothing")
    };
    assert_eq!(generic.len(), builtin.len(), "{file}: count");
    for (g, b) in generic.iter().zip(&builtin) {
        assert_eq!((&g.id, &g.url, &g.title), (&b.id, &b.url, &b.title), "{file}");
        assert_eq!(g.price, b.price, "{file} #{}", b.id);
    }
}

#[test]
fn css_configs_read_the_same_listings_as_the_built_in_adapters() {
    css_matches_builtin(
        "idealista",
        "idealista/lleida-casas-pisos-search.html",
        r#"card = "article.item"
           id = "@data-element-id"
           url = "a.item-link@href"
           title = "a.item-link"
           price = ".item-price"
           photo = "img@src""#,
    );
    css_matches_builtin(
        "olx-pl",
        "olx-pl/warszawa-mieszkania-sprzedaz-search.html",
        r#"card = "table[data-id]"
           id = "@data-id"
           url = "h3 a@href"
           title = "h3 a strong"
           price = "p.price strong""#,
    );
    css_matches_builtin(
        "craigslist",
        "craigslist/boston-for-sale-search.html",
        r#"card = "li.cl-search-result"
           id = "@data-pid"
           url = "a.posting-title@href"
           title = "a.posting-title .label"
           price = ".priceinfo""#,
    );
}

#[test]
fn jsonld_reads_the_same_listings_as_the_built_in_adapters() {
    // pararius: one House+Product node with an array @type.
    let Some(builtin) = parse("pararius", "pararius/amsterdam-hoofdweg-to-rent-detail.html") else { return };
    let Some(PageOutcome::Listings { listings, .. }) =
        parse_with(&Adapter::JsonLd, "pararius", "pararius/amsterdam-hoofdweg-to-rent-detail.html")
    else {
        panic!("jsonld found nothing on pararius")
    };
    assert_eq!(listings.len(), 1);
    let (j, b) = (&listings[0], &builtin[0]);
    assert_eq!(
        (&j.url, j.price, &j.currency, j.rooms, j.area_m2, &j.district),
        (&b.url, b.price, &b.currency, b.rooms, b.area_m2, &b.district)
    );

    // dom.ria: a @graph of Products; the offer's sku is the realty id.
    let Some(builtin) = parse("dom-ria", "dom-ria/kvartiry-search.html") else { return };
    let Some(PageOutcome::Listings { listings, .. }) =
        parse_with(&Adapter::JsonLd, "dom-ria", "dom-ria/kvartiry-search.html")
    else {
        panic!("jsonld found nothing on dom.ria")
    };
    assert_eq!(listings.len(), builtin.len());
    for (j, b) in listings.iter().zip(&builtin) {
        assert_eq!((&j.id, j.price, &j.currency, &j.photo), (&b.id, b.price, &b.currency, &b.photo));
    }
}

// ------------------------------------------------------------ sources as data

const WG_PAGE: &str = "wg-gesucht/berlin-wohnungen-search-with-spotahome.html";

/// The sources-file source named `name` in `toml`, secrets not needed.
fn configured(toml: &str) -> SourceConfig {
    let mut sources = sources::parse_with(toml, homehound::scraper::request::EnvMode::Placeholder).expect("valid");
    sources.remove(0)
}

fn run_source(source: &SourceConfig, body: &str) -> Vec<Listing> {
    let base = base_of("wg-gesucht");
    let outcome =
        source.adapter.parse(&source.name, Page { body, url: &base }, source.currency.as_deref(), source.period);
    listings_of(&source.name, outcome)
}

#[test]
fn wg_gesucht_skips_partner_offers_ads_and_placeholders() {
    let listings = parse("wg-gesucht", WG_PAGE).unwrap();
    assert_eq!(listings.len(), 20);
    // 4 "verified providers" offers and the sticky ad.
    for ad in ["10125486", "10148060", "10295736", "10225682", "10124705"] {
        assert!(listings.iter().all(|l| l.id != ad), "ad {ad} taken as a listing");
    }
    assert!(listings.iter().all(|l| l.photo.as_deref().is_none_or(|p| !p.contains("/img/placeholder/"))));
    assert!(listings.iter().all(|l| l.currency.as_deref() == Some("EUR") && l.monthly_price.is_some()));
}

#[test]
fn wg_gesucht_with_h2_titles_reads_the_same_listings() {
    let h3 = parse("wg-gesucht", WG_PAGE).unwrap();
    let body =
        read(WG_PAGE).replace("<h3 class=\"truncate_title", "<h2 class=\"truncate_title").replace("</h3>", "</h2>");
    assert!(!body.contains("<h3 class=\"truncate_title"));
    let source = source_of("wg-gesucht");
    let h2 = listings_of("h2 page", parse_body(&source.adapter, "wg-gesucht", &body, Some("EUR"), None).unwrap());
    assert_eq!(h2, h3);
}

#[test]
fn a_preset_overridden_by_one_field_in_the_sources_file() {
    // The site renames its card class: the preset finds nothing, one line fixes it.
    let body = read(WG_PAGE).replace("wgg_card offer_list_item", "wgg_tile offer_list_item");
    let preset = configured(
        "[[sources]]\nname = \"wg\"\nkind = \"wg-gesucht\"\nurl = \"https://www.wg-gesucht.de/wohnungen-in-Berlin.8.2.1.0.html\"",
    );
    let base = base_of("wg-gesucht");
    let outcome = preset.adapter.parse("wg", Page { body: &body, url: &base }, Some("EUR"), None);
    assert!(matches!(&outcome, PageOutcome::Listings { listings, .. } if listings.is_empty()), "{outcome:?}");
    let fixed = configured(
        r#"
        [[sources]]
        name = "wg"
        kind = "wg-gesucht"
        url = "https://www.wg-gesucht.de/wohnungen-in-Berlin.8.2.1.0.html"
        [sources.css]
        card = "div.wgg_tile.offer_list_item"
        "#,
    );
    assert_eq!(fixed.kind, "wg-gesucht");
    let listings = run_source(&fixed, &body);
    let original = parse("wg-gesucht", WG_PAGE).unwrap();
    assert_eq!(listings.len(), 20);
    let (a, b) = (&listings[2], original.iter().find(|l| l.id == listings[2].id).unwrap());
    assert_eq!(
        (&a.title, a.price, a.rooms, &a.district, &a.photo),
        (&b.title, b.price, b.rooms, &b.district, &b.photo)
    );
}

#[test]
fn an_operators_css_config_reads_the_wg_gesucht_page() {
    let source = configured(
        r#"
        [[sources]]
        name = "wg-by-hand"
        kind = "css"
        url = "https://www.wg-gesucht.de/wohnungen-in-Berlin.8.2.1.0.html"
        currency = "EUR"
        [sources.css]
        card = "div.wgg_card.offer_list_item"
        skip = [".premium_user_extra_list"]
        id = "@data-id"
        url = { sel = "h3.truncate_title a@href", not = "asset_id=" }
        title = "h3.truncate_title a"
        price = ".middle .col-xs-3 b"
        area = ".middle .col-xs-3.text-right b"
        rooms = { sel = ".col-xs-11 > span", regex = '^(\d+(?:,\d+)?)-Zimmer' }
        district = { sel = ".col-xs-11 > span", regex = '^[^|]*\|\s*\S+\s+([^|]+?)\s*\|' }
        photo = { sel = ".card_image a@style", not = "placeholder" }
        "#,
    );
    let listings = run_source(&source, &read(WG_PAGE));
    assert_eq!(listings.len(), 20);
    let by_id = |id: &str| listings.iter().find(|l| l.id == id).unwrap_or_else(|| panic!("no {id}"));
    let wg_room = by_id("10401873");
    assert_eq!((wg_room.rooms, wg_room.district.as_deref()), (None, Some("Charlottenburg")));
    assert_eq!(
        wg_room.photo.as_deref(),
        Some(
            "https://img.wg-gesucht.de/media/up/2023/33/f07d6de265c60fb2c132615c3ec82fa00a277bbaef47c76f1e6b68a314783f7d_IMG_5746.small.jpeg"
        )
    );
    let flat = by_id("8974685");
    assert_eq!((flat.rooms, flat.district.as_deref(), flat.area_m2), (Some(1.0), Some("Charlottenburg"), Some(30.0)));
}

/// One Bayut hit as its MANIFEST entry says a person reads it.
struct Hit {
    id: &'static str,
    price: f64,
    period: &'static str,
    monthly: i64,
    rooms: f64,
    area: f64,
    district: &'static str,
    furnished: Option<bool>,
    photo: Option<&'static str>,
}

/// How many photo ids the answer lists for the listing `id`.
fn photo_ids(body: &str, id: &str) -> usize {
    let answer: serde_json::Value = serde_json::from_str(body).unwrap();
    answer["results"][0]["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["externalID"] == id)
        .and_then(|h| h["photoIDs"].as_array())
        .map_or(0, Vec::len)
}

#[test]
fn bayut_answer_gives_what_the_manifest_says() {
    let source = source_of("bayut");
    let body = read("bayut/algolia-response.json");
    let listings = listings_of(
        "bayut",
        parse_body(&source.adapter, "bayut", &body, source.currency.as_deref(), source.period).unwrap(),
    );
    let hit = |id, price, period, monthly, rooms, area, district, furnished, photo: Option<&'static str>| Hit {
        id,
        price,
        period,
        monthly,
        rooms,
        area,
        district,
        furnished,
        photo,
    };
    let photo = |n: &'static str| Some(n);
    let wants = [
        hit("13188112", 16500.0, "month", 16500, 3.0, 175.9, "Downtown Dubai", Some(true), photo("831204000")),
        hit("13188021", 9500.0, "month", 9500, 1.0, 80.0, "Dubai Marina", Some(true), photo("831201000")),
        hit("13188203", 1150000.0, "year", 95833, 5.0, 576.0, "Palm Jumeirah", Some(false), photo("831207000")),
        hit(
            "13188090",
            2400.0,
            "week",
            10400,
            2.0,
            102.7,
            "Jumeirah Village Circle (JVC)",
            Some(true),
            photo("831203000"),
        ),
        hit("13188314", 135000.0, "year", 11250, 2.0, 96.6, "Dubai Creek Harbour", Some(true), photo("831211000")),
        hit("13188177", 14500.0, "month", 14500, 2.0, 112.4, "Business Bay", None, photo("831206000")),
        hit(
            "13188054",
            62000.0,
            "year",
            5167,
            0.0,
            47.6,
            "Jumeirah Lake Towers (JLT)",
            Some(false),
            photo("831202000"),
        ),
        hit("13188342", 1800.0, "day", 54000, 4.0, 362.3, "Mohammed Bin Rashid City", Some(true), photo("831212000")),
        hit("13188140", 650.0, "day", 19500, 1.0, 82.1, "DIFC", Some(true), photo("831205000")),
        hit("13188231", 145000.0, "year", 12083, 3.0, 162.6, "Al Barsha", Some(false), photo("831208000")),
        hit("13188259", 7200.0, "month", 7200, 1.0, 65.2, "Arjan", Some(false), None),
    ];
    assert_eq!(listings.len(), 11, "{:?}", listings.iter().map(|l| &l.id).collect::<Vec<_>>());
    assert!(listings.iter().all(|l| l.id != "13188286"), "the office is skipped");
    for w in &wants {
        let l = listings.iter().find(|l| l.id == w.id).unwrap_or_else(|| panic!("no {}", w.id));
        let ctx = w.id;
        assert_eq!(l.url, format!("https://www.bayut.com/property/details-{}.html", w.id), "{ctx}");
        assert_eq!(l.price, Some(w.price), "{ctx}");
        assert_eq!(l.currency.as_deref(), Some("AED"), "{ctx}");
        assert_eq!(l.period.map(|p| p.as_str()), Some(w.period), "{ctx}");
        assert_eq!(l.monthly_price, Some(w.monthly), "{ctx}");
        assert_eq!(l.rooms, Some(w.rooms), "{ctx}");
        assert!(close(l.area_m2, Some(w.area), 0.05), "{ctx}: area {:?}", l.area_m2);
        assert_eq!(l.district.as_deref(), Some(w.district), "{ctx}");
        assert_eq!(l.furnished, w.furnished, "{ctx}");
        let want_photo = w.photo.map(|id| format!("https://images.bayut.com/thumbnails/{id}-800x600.jpeg"));
        assert_eq!(l.photo, want_photo, "{ctx}");
        // "📷 Photos": the listing's photo ids, the cover first, ten at most
        // (the answer lists 9 to 40 ids per listing; none for the last).
        match w.photo {
            Some(cover) => {
                assert_eq!(l.photos.len(), 10.min(photo_ids(&body, w.id)), "{ctx}");
                assert_eq!(l.photos.first(), l.photo.as_ref(), "{ctx}: {}", cover);
                let second: i64 = cover.parse::<i64>().unwrap() + 7;
                assert_eq!(l.photos[1], format!("https://images.bayut.com/thumbnails/{second}-800x600.jpeg"), "{ctx}");
            }
            None => assert!(l.photos.is_empty(), "{ctx}"),
        }
        assert!(l.phone.as_deref().is_some_and(|p| p.starts_with("+9715")), "{ctx}: phone {:?}", l.phone);
    }
    // Coordinates from `_geoloc` (Algolia's geo field; lng is the longitude).
    let place = |id: &str| listings.iter().find(|l| l.id == id).and_then(|l| l.lat.zip(l.lon));
    assert_eq!(place("13188112"), Some((25.195321802271, 55.271978342815)));
    assert_eq!(place("13188054"), Some((25.071935, 55.140227)));
    let first = listings.iter().find(|l| l.id == "13188112").unwrap();
    assert!(
        first.title.starts_with("LUXURY 3BR <Burj & Fountain View> | \"Chiller-Free\""),
        "verbatim: {}",
        first.title
    );
    // The same objectID twice in one answer is one listing.
    let mut doubled: serde_json::Value = serde_json::from_str(&body).unwrap();
    let hits = doubled["results"][0]["hits"].as_array_mut().unwrap();
    let again = hits[0].clone();
    hits.push(again);
    let body = doubled.to_string();
    let twice = listings_of(
        "bayut",
        parse_body(&source.adapter, "bayut", &body, source.currency.as_deref(), source.period).unwrap(),
    );
    assert_eq!(twice.len(), 11);
    // An error body is "blocked", HTML instead of JSON too.
    let error = r#"{"message":"Invalid Application-ID or API key","status":403}"#;
    assert!(matches!(parse_body(&source.adapter, "bayut", error, None, None), Some(PageOutcome::Blocked(_))));
    let wall = read("blocked/immobilienscout24-captcha.html");
    assert!(matches!(parse_body(&source.adapter, "bayut", &wall, None, None), Some(PageOutcome::Blocked(_))));
    assert!(matches!(parse_body(&source.adapter, "bayut", "not json", None, None), Some(PageOutcome::Invalid(_))));
}

#[test]
fn jsonld_entities_sharing_an_id_are_one_listing_in_either_order() {
    let apartment = r#"{"@type": "Apartment", "@id": "https://m.example/expose/1", "name": "3-Zimmer-Wohnung",
        "numberOfRooms": 3, "floorSize": {"@type": "QuantitativeValue", "value": 72.5, "unitCode": "MTK"},
        "address": {"@type": "PostalAddress", "name": "10117 Berlin-Mitte"}}"#;
    let offer = r#"{"@type": "RealEstateListing", "@id": "https://m.example/expose/1", "url": "https://m.example/expose/1",
        "offers": {"@type": "Offer", "price": 1450, "priceCurrency": "EUR"}}"#;
    let other = r#"{"@type": "Apartment", "@id": "https://m.example/expose/2", "url": "https://m.example/expose/2",
        "name": "Studio", "offers": {"price": "800", "priceCurrency": "EUR"}}"#;
    for (a, b) in [(apartment, offer), (offer, apartment)] {
        let page = format!(
            r#"<html><head><script type="application/ld+json">[{a}, {other}]</script>
            <script type="application/ld+json">{b}</script></head><body><p>results</p></body></html>"#
        );
        let listings = listings_of("jsonld", parse_body(&Adapter::JsonLd, "jsonld", &page, None, None).unwrap());
        assert_eq!(listings.len(), 2, "{listings:?}");
        let l = listings.iter().find(|l| l.url == "https://m.example/expose/1").unwrap();
        assert_eq!(
            (l.price, l.currency.as_deref(), l.rooms, l.area_m2),
            (Some(1450.0), Some("EUR"), Some(3.0), Some(72.5))
        );
        assert_eq!(l.district.as_deref(), Some("Mitte"));
    }
}

#[test]
fn next_data_and_window_assignments_are_read_by_configuration_alone() {
    let next = configured(
        r#"
        [[sources]]
        name = "next"
        kind = "json"
        url = "https://flats.example/search"
        currency = "EUR"
        [sources.json]
        script = "script#__NEXT_DATA__"
        items = "$.props.pageProps.results[*]"
        skip = ["$.sponsored"]
        id = "$.id"
        url = { path = "$.slug", template = "/expose/{}" }
        title = "$.title"
        price = "$.rent.warm"
        rooms = "$.rooms"
        area = "$.size"
        district = "$.address.district"
        photo = "$.images[0].url"
        "#,
    );
    let page = r#"<html><body><div id="__next">…</div>
        <script id="__NEXT_DATA__" type="application/json">{"props":{"pageProps":{"results":[
          {"id":"a1","slug":"a1-mitte","title":"Altbau <3 Zi>","rent":{"warm":1290.5},"rooms":3,"size":81,
           "address":{"district":"Mitte"},"images":[{"url":"https://img.example/a1.jpg"}]},
          {"id":"ad","slug":"ad","title":"Ad","sponsored":true},
          {"id":"b2","slug":"b2","title":"Studio","rent":{"warm":700},"rooms":0,"size":25,"address":{"district":"Wedding"},"images":[]}
        ]}}}</script></body></html>"#;
    let base = Url::parse("https://flats.example/search").unwrap();
    let outcome = next.adapter.parse("next", Page { body: page, url: &base }, Some("EUR"), None);
    let listings = listings_of("next", outcome);
    assert_eq!(listings.len(), 2);
    assert_eq!(listings[0].url, "https://flats.example/expose/a1-mitte");
    assert_eq!(listings[0].title, "Altbau <3 Zi>");
    assert_eq!((listings[0].price, listings[0].rooms, listings[0].area_m2), (Some(1290.5), Some(3.0), Some(81.0)));
    assert_eq!(listings[0].photo.as_deref(), Some("https://img.example/a1.jpg"));
    assert_eq!((listings[1].rooms, listings[1].photo.as_deref()), (Some(0.0), None));

    let is24 = configured(
        r#"
        [[sources]]
        name = "is24-like"
        kind = "json"
        url = "https://www.immobilienscout24.de/Suche/de/berlin/berlin/wohnung-mieten"
        currency = "EUR"
        [sources.json]
        assign = "window.IS24"
        items = "$.resultList.entries[*]"
        id = "$.realEstateId"
        url = { path = "$.realEstateId", template = "https://www.immobilienscout24.de/expose/{}" }
        title = "$.title"
        price = "$.price.value"
        rooms = "$.numberOfRooms"
        area = "$.livingSpace"
        district = { path = "$.address.quarter", regex = '^(?:Berlin\s*-?\s*)?(.+)$' }
        "#,
    );
    let page = r#"<html><head><script>
        var dataLayer = [];
        window.IS24 = {"resultList": {"entries": [
          {"realEstateId": 150001, "title": "Helle 2-Zi", "price": {"value": 980}, "numberOfRooms": 2, "livingSpace": 54.3,
           "address": {"quarter": "Berlin - Neukölln"}}
        ]}, "other": "}; not the end"};
        window.IS24.init();
    </script></head><body>results</body></html>"#;
    let base = Url::parse("https://www.immobilienscout24.de/Suche/").unwrap();
    let listings =
        listings_of("is24", is24.adapter.parse("is24-like", Page { body: page, url: &base }, Some("EUR"), None));
    assert_eq!(listings.len(), 1);
    let l = &listings[0];
    assert_eq!((l.id.as_str(), l.url.as_str()), ("150001", "https://www.immobilienscout24.de/expose/150001"));
    assert_eq!(
        (l.price, l.rooms, l.area_m2, l.district.as_deref()),
        (Some(980.0), Some(2.0), Some(54.3), Some("Neukölln"))
    );
}

/// The period each listing `id` prices in.
fn check_periods(kind: &str, file: &str, wants: &[(&str, Period)]) {
    let listings = parse(kind, file).expect("parsed");
    for (id, period) in wants {
        let l = listings.iter().find(|l| l.id == *id).unwrap_or_else(|| panic!("{file}: no listing {id}"));
        assert_eq!(l.period, Some(*period), "{file} #{id}: period");
    }
}

/// The coordinates of listings as the saved page gives them (`None`: the
/// page gives none, or gives a latitude twice, which is no place).
fn check_places(kind: &str, file: &str, wants: &[(&str, Option<(f64, f64)>)]) {
    let listings = parse(kind, file).expect("parsed");
    for (id, want) in wants {
        let l = listings.iter().find(|l| l.id == *id).unwrap_or_else(|| panic!("{file}: no listing {id}"));
        assert_eq!(l.lat.zip(l.lon), *want, "{file} #{id}: coordinates");
    }
}

#[test]
fn immoscout_app_api_search() {
    let file = "immobilienscout24/duesseldorf-wohnung-mieten-search-mobile-api-2026.json";
    let photo = |uuid: &'static str| -> &'static str {
        Box::leak(
            format!(
                "https://pictures.immobilienscout24.de/listings/{uuid}.jpg/ORIG/resize/800x600>/format/webp/quality/80"
            )
            .into_boxed_str(),
        )
    };
    check(
        "immoscout",
        file,
        50,
        &[
            want(
                "168963883",
                "https://www.immobilienscout24.de/expose/168963883",
                "Loft mit eigenem Garten: 131 m² auf zwei Ebenen, Erstbezug",
                Some(2300.0),
                "EUR",
                Some(2.0),
                Some(131.0),
                Some("Oberbilk"),
                Some(photo("ba3969a3-72d1-4094-b026-ec9476786b82-2063887398")),
            ),
            want(
                "169498010",
                "https://www.immobilienscout24.de/expose/169498010",
                "Deiker Höfe: Preisgedämpfte 1 Zimmer-Wohnung mit geschützter Loggia!",
                Some(638.0),
                "EUR",
                Some(1.0),
                Some(39.18),
                Some("Stockum"),
                Some(photo("66aec8c4-666d-4021-95ac-0bb65f025381-2063959296")),
            ),
            want(
                "169498008",
                "https://www.immobilienscout24.de/expose/169498008",
                "Wohnen im Neubauquartier: Preisgedämpfte 2-Zimmer-Wohnung in den Deiker Höfen!",
                Some(839.0),
                "EUR",
                Some(2.0),
                Some(52.0),
                Some("Stockum"),
                Some(photo("af2512a2-a6d6-40fb-ae8f-ffe91bd8f447-2063959282")),
            ),
            want(
                "169565655",
                "https://www.immobilienscout24.de/expose/169565655",
                "1,5 Zimmer-Wohnung mitten in Flingern Nord",
                Some(550.0),
                "EUR",
                Some(1.5),
                Some(49.0),
                Some("Flingern Nord"),
                Some(photo("26e27d29-e9d2-4a3f-9c55-8e1799eac02a-2065408141")),
            ),
            // "…, Flingern Süd (unvollständige Adresse)": the district alone.
            want(
                "169563032",
                "https://www.immobilienscout24.de/expose/169563032",
                "3-Zimmer-Wohnung in Düsseldorf Flingern-Süd",
                Some(1450.0),
                "EUR",
                Some(3.0),
                Some(87.0),
                Some("Flingern Süd"),
                Some(photo("42bee6c9-aee8-4980-a011-755f84247552-2065353544")),
            ),
        ],
    );
    check_periods("immoscout", file, &[("168963883", Period::Month), ("169563032", Period::Month)]);
    // The app's answer gives an address's coordinates; an incomplete
    // address ("unvollständige Adresse") has none.
    check_places("immoscout", file, &[("169565655", Some((51.22912, 6.81009))), ("169563032", None)]);
}

#[test]
fn immoscout_web_search_url_is_asked_through_the_app_api() {
    let toml = r#"
        [[sources]]
        name = "dus"
        kind = "immoscout"
        url = "https://www.immobilienscout24.de/Suche/de/nordrhein-westfalen/duesseldorf/wohnung-kaufen?price=-400000.0"
    "#;
    let source = sources::parse(toml).expect("valid");
    let req = source[0].request.build(2, None, chrono::Utc::now()).unwrap();
    assert!(req.post);
    assert_eq!(
        req.url.as_str(),
        "https://api.mobile.immobilienscout24.de/search/list?searchType=region&realestatetype=apartmentbuy\
         &geocodes=%2Fde%2Fnordrhein-westfalen%2Fduesseldorf&sorting=-firstactivation&price=-400000.0&pagenumber=2"
    );
    assert!(req.headers.iter().any(|(k, v)| k == "User-Agent" && v.starts_with("ImmoScout_")));
    assert_eq!(source[0].period, Some(Period::Total), "a purchase search totals");
    let bad = sources::parse(&toml.replace("wohnung-kaufen?price=-400000.0", "wohnung-mieten?shape=xyz")).unwrap_err();
    assert!(bad.to_string().contains("shape") && bad.to_string().contains("\"dus\""), "{bad}");
}

#[test]
fn kleinanzeigen_search_mixing_rentals_and_sales() {
    let file = "kleinanzeigen/duesseldorf-wohnung-search-2026.html";
    check(
        "kleinanzeigen",
        file,
        27,
        &[
            want(
                "3323958001",
                "https://www.kleinanzeigen.de/s-anzeige/traumhaftes-dachgeschoss-loft-mit-offener-galerie-und-einbaukueche/3323958001-203-2100",
                "Traumhaftes Dachgeschoss-Loft mit offener Galerie und Einbauküche",
                Some(1600.0),
                "EUR",
                Some(2.0),
                Some(89.0),
                Some("Flingern Nord"),
                Some(
                    "https://img.kleinanzeigen.de/api/v1/prod-ads/images/53/53d929b2-4e1a-4d9c-ad90-eb542e095362?rule=$_59.AUTO",
                ),
            ),
            want(
                "3465876892",
                "https://www.kleinanzeigen.de/s-anzeige/vollstaendig-renovierte-2-5-zimmer-wohnung-in-oberbilk/3465876892-203-2092",
                "Vollständig renovierte 2,5 Zimmer Wohnung in Oberbilk",
                Some(940.0),
                "EUR",
                Some(2.5),
                Some(50.0),
                Some("Eller"),
                Some(
                    "https://img.kleinanzeigen.de/api/v1/prod-ads/images/37/37ddec7a-ce09-469f-8f4b-3d9d070b4094?rule=$_1.AUTO",
                ),
            ),
            // Reduced: "285.000 €" then the struck-out "319.000 €".
            want(
                "3464838648",
                "https://www.kleinanzeigen.de/s-anzeige/2-zimmer-gartenwohnung-ebk-uni-nord-christophstr-/3464838648-196-2094",
                "2-Zimmer Gartenwohnung+EBK, Uni-Nord/Christophstr.",
                Some(285000.0),
                "EUR",
                Some(2.0),
                Some(43.46),
                Some("Bilk"),
                Some(
                    "https://img.kleinanzeigen.de/api/v1/prod-ads/images/20/204aaa07-a5ed-41e9-8d75-08db5f4ed449?rule=$_1.AUTO",
                ),
            ),
        ],
    );
    check_periods(
        "kleinanzeigen",
        file,
        &[
            ("3323958001", Period::Month),
            ("3447483678", Period::Month),
            ("3467325686", Period::Month),
            ("3465876892", Period::Month),
            ("3464838648", Period::Total),
        ],
    );
    let listings = parse("kleinanzeigen", file).unwrap();
    let second = listings.iter().find(|l| l.id == "3447483678").unwrap();
    assert_eq!((second.price, second.rooms, second.area_m2), (Some(1381.0), Some(2.0), Some(82.17)));
    assert_eq!(second.district.as_deref(), Some("Stadtmitte"));
    let third = listings.iter().find(|l| l.id == "3467325686").unwrap();
    assert_eq!((third.price, third.rooms, third.area_m2), (Some(1950.0), Some(2.0), Some(70.0)));
    assert_eq!(third.district.as_deref(), Some("Unterbilk"));
}

#[test]
fn wg_gesucht_2026_cards_with_an_img_keep_their_photo() {
    let with_style = parse("wg-gesucht", WG_PAGE).unwrap();
    // 2026 cards: the photo is an <img src> in the card's link, no style.
    let re = regex::Regex::new(
        r#"(<div class="[^"]*card_image">\s*<a [^>]*?) style="background-image: url\(([^)]*)\);"([^>]*>)"#,
    )
    .unwrap();
    let body = re.replace_all(&read(WG_PAGE), r#"$1$3<img src="$2" alt="" loading="lazy">"#).into_owned();
    assert!(re.find_iter(&read(WG_PAGE)).count() > 10, "cards with a styled photo");
    assert!(!re.is_match(&body), "every card rewritten");
    let source = source_of("wg-gesucht");
    let with_img =
        listings_of("2026 page", parse_body(&source.adapter, "wg-gesucht", &body, Some("EUR"), None).unwrap());
    assert_eq!(with_img.len(), with_style.len());
    let photos = |ls: &[Listing]| ls.iter().map(|l| (l.id.clone(), l.photo.clone())).collect::<Vec<_>>();
    assert!(with_style.iter().filter(|l| l.photo.is_some()).count() > 10, "the page has photos");
    assert_eq!(photos(&with_img), photos(&with_style), "every photo read from the <img> as from the style");
}

/// A JSON-LD page as sites write it in 2026: a listing split over two
/// entities sharing an `@id`, a project's two flats sharing one link, rooms
/// and area written only in the description, a postcode before the city.
const SPLIT_JSONLD: &str = r##"<html><head><script type="application/ld+json">{"@context":"https://schema.org","@graph":[
  {"@type":"RealEstateListing","@id":"#l1","url":"https://flats.example/expose/101","name":"Altbau in Mitte","description":"Schöne 2,5 Zimmer, 74 m² Wohnfläche","offers":{"@type":"Offer","price":"1200","priceCurrency":"EUR"}},
  {"@type":"Apartment","@id":"#l1","address":{"@type":"PostalAddress","addressLocality":"10115 Berlin"},"containedInPlace":{"@type":"Place","name":"Mitte"}},
  {"@type":"RealEstateListing","url":"https://flats.example/project/9","name":"Projekt, Wohnung A","description":"3 Zimmer, 80 m²","offers":{"price":"1500","priceCurrency":"EUR"},"address":{"addressLocality":"10243 Berlin"},"containedInPlace":{"name":"Friedrichshain"}},
  {"@type":"RealEstateListing","url":"https://flats.example/project/9","name":"Projekt, Wohnung B","description":"1 Zimmer, 35 m²","offers":{"price":"700","priceCurrency":"EUR"},"address":{"addressLocality":"10243 Berlin"},"containedInPlace":{"name":"Friedrichshain"}}
]}</script></head><body><p>Flats</p></body></html>"##;

#[test]
fn a_jsonld_configuration_reads_its_fields_over_the_merged_entities() {
    let plain = configured(
        r#"[[sources]]
           name = "ld"
           kind = "jsonld"
           url = "https://flats.example/search""#,
    );
    let without = run_source(&plain, SPLIT_JSONLD);
    // Without a configuration: the id is the whole URL, the district the city,
    // rooms and area unread; the project's two flats, with no id of their
    // own, are one listing by their shared link.
    assert_eq!(without.len(), 2, "{without:#?}");
    assert_eq!(without[0].id, "https://flats.example/expose/101");
    assert_eq!(without[0].district.as_deref(), Some("10115 Berlin"), "the city, not the district");
    assert_eq!((without[0].rooms, without[0].area_m2), (None, None));

    let configured_source = configured(
        r#"[[sources]]
           name = "ld"
           kind = "jsonld"
           url = "https://flats.example/search"
           [sources.jsonld]
           id = { path = "$.url", regex = ['/expose/(\d+)', '/project/(\d+)'], template = "{}" }
           title = "$.name"
           district = "$.containedInPlace.name"
           rooms = { path = "$.description", regex = '([\d,]+)\s*Zimmer' }
           area = { path = "$.description", regex = '([\d,]+)\s*m²' }"#,
    );
    let with = run_source(&configured_source, SPLIT_JSONLD);
    let got: Vec<_> = with
        .iter()
        .map(|l| (l.id.as_str(), l.title.as_str(), l.price, l.rooms, l.area_m2, l.district.as_deref()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("101", "Altbau in Mitte", Some(1200.0), Some(2.5), Some(74.0), Some("Mitte")),
            ("9", "Projekt, Wohnung A", Some(1500.0), Some(3.0), Some(80.0), Some("Friedrichshain")),
        ],
        "a configured id that two ads share makes them one listing, as configured"
    );

    // An id per ad keeps them apart.
    let per_ad = configured(
        r#"[[sources]]
           name = "ld"
           kind = "jsonld"
           url = "https://flats.example/search"
           [sources.jsonld]
           id = { path = "$.name" }"#,
    );
    let apart = run_source(&per_ad, SPLIT_JSONLD);
    assert_eq!(apart.len(), 3);
    assert_eq!(apart[2].price, Some(700.0));

    // A jsonld field that is not a field, or a css selector, is refused.
    let bad = sources::parse(
        r#"[[sources]]
           name = "ld"
           kind = "jsonld"
           url = "https://flats.example/search"
           [sources.jsonld]
           colour = "$.color""#,
    )
    .unwrap_err()
    .to_string();
    assert!(bad.contains("jsonld.colour"), "{bad}");
}

#[test]
fn a_title_that_falls_back_to_the_district_counts_as_missing() {
    let source = configured(
        r#"[[sources]]
           name = "agency"
           kind = "css"
           url = "https://agency.example/"
           [sources.css]
           card = "article"
           url = "a@href"
           title = "h2.nope"
           district = ".where""#,
    );
    let page = r#"<html><body><article><a href="/1">x</a><span class="where">Mitte</span></article>
        <article><a href="/2">y</a><span class="where">Pankow</span></article></body></html>"#;
    let listings = run_source(&source, page);
    assert_eq!(listings[0].title, "Mitte", "an alert still reads well");
    assert!(listings.iter().all(|l| l.title_is_fallback));
    let fill = homehound::listing::FieldFill::of(&listings);
    assert_eq!(fill.rates.iter().find(|(f, _)| *f == "title").map(|(_, r)| *r), Some(0.0));
    // A later run with no title where titles used to be is a layout change.
    let before = homehound::listing::FieldFill { listings: 3, rates: vec![("title", 1.0)] };
    let three: Vec<Listing> = listings.iter().cloned().chain(listings.first().cloned()).collect();
    let emptied = homehound::listing::FieldFill::of(&three).emptied(&before).expect("the alarm fires");
    assert!(emptied.contains("`title`"), "{emptied}");
    let url = Url::parse("https://agency.example/").unwrap();
    let checked = homehound::check::check_page(&source, page, &url).unwrap();
    assert_eq!(checked.empty_fields, vec!["title"], "check-source names the empty configured field");
}

/// What `check-source` says of a page that gave nothing.
fn why_empty(toml: &str, body: &str) -> String {
    let source = configured(toml);
    let url = Url::parse("https://agency.example/").unwrap();
    match homehound::check::check_page(&source, body, &url) {
        Err(homehound::check::CheckError::Empty(why)) => why,
        other => panic!("expected an empty result, got {other:?}"),
    }
}

#[test]
fn check_source_explains_an_empty_result() {
    let css = |extra: &str| {
        format!(
            "[[sources]]\nname = \"a\"\nkind = \"css\"\nurl = \"https://agency.example/\"\n[sources.css]\n\
             card = \"article\"\nurl = \"a.title@href\"\ntitle = \"h2\"\n{extra}"
        )
    };
    let cards: String =
        (0..25).map(|i| format!("<article><h2>Flat {i}</h2><a href=\"/f/{i}\">x</a></article>")).collect();
    let page = format!("<html><body><main class=\"results\">{cards}</main></body></html>");
    assert_eq!(
        why_empty(&css(""), &page),
        "25 cards matched, 25 dropped: no url (the `url` field found nothing on them)"
    );
    let skip = css("skip = [\"main.results\"]");
    let with_titles = page.replace("<a href", "<a class=\"title\" href");
    assert_eq!(
        why_empty(&skip, &with_titles),
        "skip removed all 25 cards (selector `main.results` matches an ancestor of the cards)"
    );
    assert_eq!(
        why_empty(&css("").replace("card = \"article\"", "card = \"li.card\""), &page),
        "the card selector `li.card` matched nothing on the page"
    );

    let json = |input: &str, items: &str| {
        format!(
            "[[sources]]\nname = \"j\"\nkind = \"json\"\nurl = \"https://agency.example/\"\n[sources.json]\n{input}\
             items = \"{items}\"\nid = \"$.id\"\nurl = \"$.url\"\n"
        )
    };
    assert_eq!(
        why_empty(
            &json("assign = \"IS24\"\n", "$.results[*]"),
            "<html><body><script>var other = {\"a\": 1};</script></body></html>"
        ),
        "assign: no `IS24 =` with a JSON value in any script of the page"
    );
    assert_eq!(
        why_empty(&json("", "$.hits[*]"), r#"{"results": [], "total": 0}"#),
        "items: the path `$.hits[*]` matched nothing (top-level keys: results, total)"
    );
    let api = configured(&json("", "$.hits[*]"));
    let page = "<!doctype html><html><body><p>Flats</p></body></html>";
    match homehound::check::check_page(&api, page, &Url::parse("https://agency.example/").unwrap()) {
        Err(homehound::check::CheckError::Blocked(why)) => {
            assert!(
                why.contains("an HTML page instead of the JSON answer") && why.contains("`script` or `assign`"),
                "{why}"
            )
        }
        other => panic!("an HTML page read as JSON: {other:?}"),
    }

    // An id alone is not enough: the error says the url is required.
    let no_url = sources::parse(
        "[[sources]]\nname = \"a\"\nkind = \"css\"\nurl = \"https://agency.example/\"\n[sources.css]\ncard = \"article\"\nid = \"@data-id\"\n",
    )
    .unwrap_err()
    .to_string();
    assert!(no_url.contains("\"a\"") && no_url.contains("css.url") && no_url.contains("is required"), "{no_url}");
}

#[test]
fn an_operators_source_reads_script_attributes_and_json_held_in_an_attribute() {
    let page = r#"<html><body>
        <div class="card" onclick="openFlat('77')"><a href="/f/77">Flat 77</a><b>900 €</b></div>
        <div class="card" onclick="track()"><a href="/f/78">Ad</a></div>
        <div id="app" data-props='{"flats": [{"id": 5, "url": "/f/5", "price": 1200}]}'></div>
    </body></html>"#;
    let css = configured(
        r#"[[sources]]
           name = "agency"
           kind = "css"
           url = "https://agency.example/"
           currency = "EUR"
           [sources.css]
           card = "div.card[onclick*='openFlat']"
           id = { sel = "@onclick", regex = "openFlat\\('(\\d+)'\\)" }
           url = "a@href"
           title = "a"
           price = "b""#,
    );
    let flats = run_source(&css, page);
    assert_eq!(flats.iter().map(|l| (l.id.as_str(), l.price)).collect::<Vec<_>>(), vec![("77", Some(900.0))]);
    let json = configured(
        r##"[[sources]]
           name = "app"
           kind = "json"
           url = "https://agency.example/"
           currency = "EUR"
           [sources.json]
           script = "#app@data-props"
           items = "$.flats[*]"
           id = "$.id"
           url = "$.url"
           price = "$.price""##,
    );
    let flats = run_source(&json, page);
    assert_eq!(flats.iter().map(|l| (l.id.as_str(), l.price)).collect::<Vec<_>>(), vec![("5", Some(1200.0))]);
}

#[test]
fn inberlinwohnen_2026_search() {
    let photo = |name: &'static str| -> &'static str {
        Box::leak(
            format!("https://inberlinwohnen.de/img/images/apartments/{name}.webp?q=90&fit=crop&fm=png&dpr=1")
                .into_boxed_str(),
        )
    };
    check(
        "inberlinwohnen",
        "inberlinwohnen/wohnungsfinder-search-2026.html",
        10,
        &[
            want(
                "19537",
                "https://www.howoge.de/wohnungen-gewerbe/wohnungssuche/detail/1771-14563-258.html?t=ibw",
                "Hell geschnittene Wohnung mit guten Anbindungen an die Öffentlichen Verkehrsmittel",
                Some(800.0),
                "EUR",
                Some(2.0),
                Some(50.0),
                Some("Lichtenberg"),
                Some(photo("1785083884-HSPu4ZQSpy")),
            ),
            want(
                "19536",
                "https://www.howoge.de/wohnungen-gewerbe/wohnungssuche/detail/1771-14563-160.html?t=ibw",
                "Nur mit WBS 160 oder 180 für 2 Personen!",
                Some(438.6),
                "EUR",
                Some(2.0),
                Some(51.0),
                Some("Lichtenberg"),
                Some(photo("1785083825-6D0OBBWwhq")),
            ),
            want(
                "19535",
                "https://www.howoge.de/wohnungen-gewerbe/wohnungssuche/detail/1770-27696-9998.html?t=ibw",
                "4-Zimmer Wohnung WBS",
                Some(588.0),
                "EUR",
                Some(4.0),
                Some(84.0),
                Some("Treptow-Köpenick"),
                Some(photo("1785083585-XtmpQlI0z4")),
            ),
        ],
    );
    // The cards' snapshots; card 3's gives its latitude as its longitude too
    // (MANIFEST: bad data): no place, rather than one in Kazakhstan.
    check_places(
        "inberlinwohnen",
        "inberlinwohnen/wohnungsfinder-search-2026.html",
        &[("19537", Some((52.51124625, 13.49553618))), ("19536", Some((52.51124625, 13.49553618))), ("19535", None)],
    );
}

#[test]
fn deutsche_wohnen_api_list() {
    check(
        "deutsche-wohnen",
        "deutsche-wohnen/berlin-mietangebote-api-list-2026.json",
        83,
        &[
            // The site's own preview is a campaign banner: what a person sees.
            want(
                "1463360003",
                "https://www.deutsche-wohnen.com/mieten/mietangebote/schoen-hier-zu-wohnen-89-1463360003",
                "Schön hier zu wohnen.",
                Some(959.87),
                "EUR",
                Some(2.0),
                Some(61.53),
                Some("Zehlendorf"),
                Some("https://cdn.expose.vonovia.de/CAMP-Gruenstrom_DeuWo_v2.jpg?width=324&crop=4:3"),
            ),
            want(
                "1465830002",
                "https://www.deutsche-wohnen.com/mieten/mietangebote/hoch-hinaus-89-1465830002",
                "Hoch hinaus!",
                Some(628.49),
                "EUR",
                Some(1.0),
                Some(48.16),
                Some("Steglitz"),
                Some("https://cdn.expose.vonovia.de/VNA-5a2158ed-a834-483c-8e24-86854b01acce.jpg?width=324&crop=4:3"),
            ),
            want(
                "1682190004",
                "https://www.deutsche-wohnen.com/mieten/mietangebote/frisch-saniert-89-1682190004",
                "Frisch saniert!",
                Some(823.82),
                "EUR",
                Some(2.0),
                Some(62.6),
                Some("Steglitz"),
                Some("https://cdn.expose.vonovia.de/DeuWo-000510240.jpg?width=324&crop=4:3"),
            ),
        ],
    );
    check_places(
        "deutsche-wohnen",
        "deutsche-wohnen/berlin-mietangebote-api-list-2026.json",
        &[("1463360003", Some((52.4503177, 13.2616793))), ("1465830002", Some((52.4455844, 13.3370697)))],
    );
}

#[test]
fn flatfox_public_listing_api() {
    let file = "flatfox/zuerich-rent-public-listings-api-2026.json";
    check(
        "flatfox",
        file,
        100,
        &[
            want(
                "68150385",
                "https://flatfox.ch/en/flat/badenerstrasse-423a-8003-zurich/68150385/",
                "Erstvermietung Amalfi Due - Urbanes Maxilofts im Kreis 3",
                Some(2710.0),
                "CHF",
                Some(1.5),
                Some(53.0),
                None,
                Some("https://flatfox.ch/media/ff/2026/08/6ayd8fszelrog3d7zcm1tvfgmiup1d00da01ooc0rn5voufhu3.jpg"),
            ),
            // "2.0" rooms is two, not twenty.
            want(
                "86161556",
                "https://flatfox.ch/en/flat/stussistr-101-8057-zurich/86161556/",
                "2-Zimmer-Wohnung in zentraler Lage in Zürich",
                Some(2328.0),
                "CHF",
                Some(2.0),
                Some(51.0),
                None,
                Some("https://flatfox.ch/media/ff/2026/08/fa9zmrtpn3p6lo387im1ehqgume820nc5am0khmgbw15pldefh.jpg"),
            ),
            want(
                "86193077",
                "https://flatfox.ch/en/flat/boulevard-lilienthal-23-8152-glattpark-opfikon/86193077/",
                "2.5-Zimmer-Wohnung in der Überbauung Chavez Verde",
                Some(2310.0),
                "CHF",
                Some(2.5),
                Some(81.0),
                None,
                Some("https://flatfox.ch/media/ff/2026/08/m171dwl2kf6wz9o99nv003nemi7ffryxggwk600te8n8ozkrw7.jpg"),
            ),
        ],
    );
    let listings = parse("flatfox", file).unwrap();
    assert!(listings.iter().all(|l| l.furnished.is_some()), "furnished read on every listing");
    let no_cover = listings.iter().find(|l| l.id == "86295872").expect("pk 86295872");
    assert_eq!(no_cover.photo, None, "cover_image is null");
}

#[test]
fn immobilien_de_search() {
    let photo = |path: &'static str| -> &'static str {
        Box::leak(format!("https://www.immobilien.de/srv/obs/m/{path}").into_boxed_str())
    };
    check(
        "immobilien-de",
        "immobilien-de/berlin-wohnung-mieten-search-2026.html",
        20,
        &[
            want(
                "9739832",
                "https://www.immobilien.de/wohnen/9739832",
                "Moderne ab 2- 3 - Zimmer Neubauwohnung im Grünen",
                Some(1070.0),
                "EUR",
                Some(3.0),
                Some(55.0),
                None,
                Some(photo(
                    "_tss_1785078357838_bc1dfaa/module/estate_attachments/1055864538/resource/list/IMG_9117.JPG",
                )),
            ),
            want(
                "9739748",
                "https://www.immobilien.de/wohnen/9739748",
                "Komplett sanierte 2-Zimmer-Wohnung mit Balkon, Einbauküche und Tiefgaragen-Stellplatz",
                Some(990.0),
                "EUR",
                Some(2.0),
                Some(60.0),
                None,
                Some(photo(
                    "_tss_1785064920418_a09c218/module/estate_attachments/1055861320/resource/list/IMG_7918.jpeg",
                )),
            ),
            // U+2011 non-breaking hyphens, kept byte for byte.
            want(
                "9738904",
                "https://www.immobilien.de/wohnen/9738904",
                "Komfortable, möblierte 2\u{2011}Zimmer\u{2011}Wohnung mit Top\u{2011}Anbindung an U7/U9 in Berlin\u{2011}Wilmersdorf",
                Some(1140.0),
                "EUR",
                Some(2.0),
                Some(52.0),
                None,
                Some(photo(
                    "_tss_1784997938918_f462784/module/estate_attachments/1055736195/resource/list/IMG_9034hh288_19.jpg",
                )),
            ),
        ],
    );
}

#[test]
fn schwarzesbrett_bremen_search() {
    let file = "schwarzesbrett-bremen/mietobjekte-search-2026.html";
    check(
        "schwarzesbrett-bremen",
        file,
        10,
        &[
            want(
                "28903",
                "https://schwarzesbrett.bremen.de/show/28903",
                "Garage in Findorff / Weidedamm zum 01.09.26",
                Some(75.0),
                "EUR",
                None,
                None,
                Some("Findorff"),
                None,
            ),
            want(
                "28942",
                "https://schwarzesbrett.bremen.de/show/28942",
                "Stellplatz Bremen City",
                Some(100.0),
                "EUR",
                None,
                None,
                Some("Mitte"),
                None,
            ),
            want(
                "29143",
                "https://schwarzesbrett.bremen.de/show/29143",
                "Reihenendhaus Gartenstadt Vahr",
                Some(1400.0),
                "EUR",
                None,
                None,
                Some("Vahr"),
                Some(
                    "https://schwarzesbrett.bremen.de/storage/images/thumbnails/9937ed1f-8dd0-478c-b229-ff346841f158.webp",
                ),
            ),
        ],
    );
    // The house ad beside the filters is not a card.
    assert!(parse("schwarzesbrett-bremen", file).unwrap().iter().all(|l| !l.url.contains("housead")));
}

#[test]
fn immo_swp_search() {
    let photo = |key: &'static str| -> &'static str {
        Box::leak(format!("https://cmcdn.de/img-service/{key};safescale=543x407,crop=543x407").into_boxed_str())
    };
    check(
        "immo-swp",
        "immo-swp/muenchen-mietwohnungen-search-2026.html",
        20,
        &[
            want(
                "GZTNQ2",
                "https://immo.swp.de/immobilien/moebliert-moderne-4-zimmer-wohung-in-den-welfenhoefen-befristet-auf-zwei-jahre-GZTNQ2",
                "Möbliert: Moderne 4-Zimmer-Wohung in den Welfenhöfen (befristet auf zwei Jahre)",
                Some(3026.0),
                "EUR",
                Some(4.0),
                Some(98.0),
                None,
                Some(photo(
                    "gzSa0NytuabXd6-TU0qD04Iqq4mPJ49yxUChqCRVYn-DsblzeJMixrS4zM9aCZd7bC1UkVRlKL9n8MCmHubfKWt_6NqWv9CPHlsAx40r7dlGJ9VEAlLNcTAXAokzfmzIs5n9C-3t-bnhZNkNNzv5fqfslH_IMYEQRPqG91LCEG8yoyhMzX_3KRdyv0ulKL61Y",
                )),
            ),
            want(
                "GZTKM2",
                "https://immo.swp.de/immobilien/tauschwohnung-100m2-maisonette-mit-50m2-dachterrasse-und-20m2-balkon-GZTKM2",
                "Tauschwohnung: 100m2 Maisonette mit 50m2 Dachterrasse und 20m2 Balkon",
                Some(2100.0),
                "EUR",
                Some(3.0),
                Some(100.0),
                None,
                Some(photo(
                    "gDmrJwKoBP7FfLBYreuzuBqq1urgYZHyzAQa3t3VXHaitaDOoqF0gp0Fph6yIhZi1S6jFNEEAjB19gWy_kCCY3i_VPPhUk6mg-gyCMnIa9hK2qEO-nFbcNdJi71yeh1nYrWqwfvaryTMjy8TlwmSSYJoPpjxkNKo85MSoF_0p1VOysbEOK8sjw3Y7FI8DkNCX",
                )),
            ),
            want(
                "GZTKMB",
                "https://immo.swp.de/immobilien/tauschwohnung-2-zimmer-wohnung-mit-dachterasse-GZTKMB",
                "Tauschwohnung: 2-Zimmer Wohnung mit Dachterasse",
                Some(850.0),
                "EUR",
                Some(2.0),
                Some(50.0),
                None,
                Some(photo(
                    "gDmrJwKoBP7FfLBYreuzuBqq1urgYZHyzAQa3t3VXHajRHNuL-cZFniBOnmcsn4NPx6leNgIbXF0oI1CZcoKAG7Oxm313A3Ut90Gy2cAzg42cpRxzW4VE48vAra1rKRY-YBvA6T-JuSdNyGi5q18Tp4TrbO5sBGC4InjlyGwBympV7RPhlS_tvAiIyxSpwT6e",
                )),
            ),
        ],
    );
}

#[test]
fn ohne_makler_search() {
    let photo = |path: &'static str| -> &'static str {
        Box::leak(format!("https://media.ohne-makler.net/rs:fill:488:288/q:90/{path}").into_boxed_str())
    };
    let file = "ohne-makler/duesseldorf-wohnung-kaufen-search-2026.html";
    check(
        "ohne-makler",
        file,
        24,
        &[
            want(
                "446023",
                "https://www.ohne-makler.net/immobilie/446023/",
                "Klimatisierte und Vollständig renovierte Wohnung mit 3 Zimmern, Balkon und Einbauküche in Düsseldorf",
                Some(379000.0),
                "EUR",
                Some(3.0),
                Some(68.0),
                Some("Bilk"),
                Some(photo(
                    "czM6Ly9vbS1saXN0aW5ncy91cGxvYWQvcGljdHVyZXMvT00vNDQ2MDIzL2JvMnVvaXQz?sig=6cWE24fKvG2zUKGuzeaAXP1jrKBR3Ov9A0EMqp_3_LU&exp=1785132344",
                )),
            ),
            want(
                "478614",
                "https://www.ohne-makler.net/immobilie/478614/",
                "Helle bezugsfreie, renovierte 3,5-Zi-Altbauwohnung mit neuer EBK in Düsseldorf-Alt Eller",
                Some(275000.0),
                "EUR",
                Some(3.5),
                Some(73.0),
                Some("Eller"),
                Some(photo(
                    "czM6Ly9vbS1saXN0aW5ncy91cGxvYWQvcGljdHVyZXMvT00vNDc4NjE0L3U0bzZueW43?sig=QerIjhfG4SAA6drs7uGwmLxyKvq48WloqYJzpNiFIi8&exp=1785132344",
                )),
            ),
            want(
                "477729",
                "https://www.ohne-makler.net/immobilie/477729/",
                "Bezugsfreie 3 Zimmerwohnung mit großer Süd-Terrasse und Garten",
                Some(565000.0),
                "EUR",
                Some(3.0),
                Some(115.52),
                Some("Reisholz"),
                Some(photo(
                    "czM6Ly9vbS1saXN0aW5ncy91cGxvYWQvcGljdHVyZXMvT00vNDc3NzI5LzRxeGtwbzY3?sig=JavXkA239Wr2V6RrBky2MXhPCW-JdJyTaoXINqqR01k&exp=1785132344",
                )),
            ),
        ],
    );
    check_periods("ohne-makler", file, &[("446023", Period::Total)]);
}

#[test]
fn mcmakler_search() {
    let photo = |name: &'static str| -> &'static str {
        Box::leak(
            format!(
                "https://images.mcmakler.de/assets/expose_v2/{name}?4ea3a978-fb58-4fc2-9840-caf030801af1=&d=1920x1200"
            )
            .into_boxed_str(),
        )
    };
    let file = "mcmakler/duesseldorf-kaufen-search-2026.html";
    check(
        "mcmakler",
        file,
        11,
        &[
            want(
                "1071270",
                "https://www.mcmakler.de/immobilien/expose/1071270",
                "Familienhaus auf 624 qm großem Eckgrundstück mit vielseitigen Nutzungsmöglichkeiten in Vennhausen",
                Some(475000.0),
                "EUR",
                Some(4.0),
                Some(95.0),
                None,
                Some(photo("2f8b482c-316a-4f9a-8530-a563ba32df68.jpg")),
            ),
            want(
                "1072377",
                "https://www.mcmakler.de/immobilien/expose/1072377",
                "Großzügige 3-Zimmer-ETW mit Loggia in begehrter Lage von Düsseldorf-Golzheim - ab sofort bezugsfrei!",
                Some(349000.0),
                "EUR",
                Some(3.0),
                Some(95.0),
                None,
                Some(photo("739e3ebf-cf8a-4f0e-8a38-d6a3629de7da.PNG")),
            ),
            // A plot: no living area, no rooms.
            want(
                "1071231",
                "https://www.mcmakler.de/immobilien/expose/1071231",
                "Schönes Grundstück mit viel Potenzial in vorteilhafter Lage in Düsseldorf",
                Some(175000.0),
                "EUR",
                None,
                None,
                None,
                Some(photo("f5a7db06-d02c-4f37-9df5-5e463cd6ed88.jpg")),
            ),
        ],
    );
    check_periods("mcmakler", file, &[("1071270", Period::Total)]);
}

#[test]
fn regionalimmobilien24_search() {
    let photo = |path: &'static str| -> &'static str {
        Box::leak(format!("https://bilder.regionalimmobilien24.de/get-file/img/images/immo/{path}").into_boxed_str())
    };
    check(
        "regionalimmobilien24",
        "regionalimmobilien24/rostock-haus-kaufen-search-2026.html",
        12,
        &[
            want(
                "562786022",
                "https://www.regionalimmobilien24.de/rostock/kaufen/haus/562786022/",
                "Mehrfamilienhaus mit 10 WHG, 6 Balkonen im Stadtzentrum von Rostock",
                Some(1420000.0),
                "EUR",
                Some(20.0),
                Some(510.0),
                None,
                Some(photo(
                    "e14e84cc2225d5cd3205334c2d04c542/562786022/v/480x339/crop/b02c04aff23df2570c18b1563396e746_1745399928.jpg.webp",
                )),
            ),
            // The size slot says Grundstücksfläche: no living area.
            want(
                "643746012",
                "https://www.regionalimmobilien24.de/berlin/kaufen/haus/643746012/",
                "Doppelhaushälfte in 18059 Papendorf, Pölchower Str.",
                Some(268000.0),
                "EUR",
                None,
                None,
                None,
                Some(photo(
                    "a5accf2f3807905f7fcc79840a116567/643746012/v/480x339/crop/5c04e825499b560da6b23446743480ac_1784806357.jpg.webp",
                )),
            ),
            // A leading zero kept.
            want(
                "021120220",
                "https://www.regionalimmobilien24.de/spreewald/kaufen/haus/021120220/",
                "Wohnperle in Rostock ! OhneMaklerProvisionVerkaufen.de",
                Some(700050.0),
                "EUR",
                Some(6.0),
                Some(175.0),
                Some("Stadtmitte"),
                Some(photo(
                    "3ad7b6a988159b9ab4bf3be68ab5b769/021120220/v/480x339/crop/62b3b62653066ac6fa3d7dd4e8c76185_1774977092.jpg.webp",
                )),
            ),
        ],
    );
}

#[test]
fn sparkasse_immobilien_search() {
    let photo = |path: &'static str| -> &'static str {
        Box::leak(format!("https://cdnihddipa.cloudimg.io/{path}").into_boxed_str())
    };
    check(
        "sparkasse-immobilien",
        "sparkasse-immobilien/duesseldorf-wohnung-kaufen-search-2026.html",
        10,
        &[
            // "Adresse  - Neubauwohnung": shown, and kept, with one space.
            want(
                "FID-F12-839-993",
                "https://immobilien.sparkasse.de/expose/FID-F12-839-993.html",
                "Eine besondere Adresse - Neubauwohnung für Familien im 3. OG",
                Some(1618200.0),
                "EUR",
                Some(4.0),
                Some(149.0),
                Some("Oberkassel"),
                Some(photo(
                    "9/2/9/b/929b269a-7004-4a71-81a4-66b39839a317.jpg?ci_seal=301a7f9106d20fd6034c6e255644f40b4a8e3651",
                )),
            ),
            want(
                "FID-F13-115-289",
                "https://immobilien.sparkasse.de/expose/FID-F13-115-289.html",
                "Großzügig geschnittene 2 Zimmer Wohnung",
                Some(854430.0),
                "EUR",
                Some(2.0),
                Some(76.0),
                Some("Oberkassel"),
                Some(photo(
                    "0/b/b/d/0bbd06fe-6232-424e-8ce0-a02ef80bcc6b.jpg?ci_seal=6b90363ef84c31c4d462836a0a0c44897da7d597",
                )),
            ),
            want(
                "FID-F12-839-988",
                "https://immobilien.sparkasse.de/expose/FID-F12-839-988.html",
                "Wie ein Haus. Mehr als eine Wohnung. Genau richtig. Haus-in-Haus im GOLDECK Nr. 1",
                Some(1400400.0),
                "EUR",
                Some(4.0),
                Some(126.0),
                Some("Oberkassel"),
                Some(photo(
                    "8/7/0/4/8704576e-8bbd-4a13-95f5-8faf6d5db5f9.jpg?ci_seal=823e53b802f134365de51a9ad83041dc5736630d",
                )),
            ),
        ],
    );
}

#[test]
fn engelvoelkers_search() {
    let photo = |key: &'static str| -> &'static str {
        Box::leak(
            format!("https://uploadcare.engelvoelkers.com/{key}/-/format/webp/-/stretch/off/-/progressive/yes/-/resize/1440x/-/quality/lighter/")
                .into_boxed_str(),
        )
    };
    check(
        "engelvoelkers",
        "engelvoelkers/berlin-kaufen-search-2026.html",
        23,
        &[
            // No "Zimmer" item: rooms null, not 0.
            want(
                "6eca04ed-8da1-51f1-95da-776acaec8933",
                "https://www.engelvoelkers.com/de/de/exposes/6eca04ed-8da1-51f1-95da-776acaec8933",
                "Ein Statement für Lebenskunst und Luxus",
                Some(24900000.0),
                "EUR",
                None,
                Some(1170.0),
                Some("Dahlem"),
                Some(photo("e91f009a-7180-4638-a072-670fa89feace")),
            ),
            // "Preis auf Anfrage": no price.
            want(
                "fbbe0087-3eb4-54f2-aa84-2c3ce639f79b",
                "https://www.engelvoelkers.com/de/de/exposes/fbbe0087-3eb4-54f2-aa84-2c3ce639f79b",
                "The Villa Berlin - Historisches Monument, eingebettet in die Kulturlandschaft des UNESCO Weltkulturerbes",
                None,
                "EUR",
                Some(14.0),
                Some(1100.0),
                Some("Wannsee"),
                Some(photo("1f4253d9-f026-4142-9337-890129fa564f")),
            ),
            want(
                "c8306300-9022-5ad7-914d-ca576206acb0",
                "https://www.engelvoelkers.com/de/de/exposes/c8306300-9022-5ad7-914d-ca576206acb0",
                "Wo der See zur Kulisse eines außergewöhnlichen Lebens wird",
                None,
                "EUR",
                Some(10.0),
                Some(866.0),
                Some("Wannsee"),
                Some(photo("3ae7c8e9-27e4-4c53-81ab-fdab99aa717c")),
            ),
        ],
    );
}

#[test]
fn imaxx_search() {
    let photo = |path: &'static str| -> &'static str {
        Box::leak(format!("https://www.imaxx.de/wp-content/uploads/immomakler/attachments/{path}").into_boxed_str())
    };
    check(
        "imaxx",
        "imaxx/wohnung-kaufen-search-2026.html",
        12,
        &[
            want(
                "50683",
                "https://www.imaxx.de/immobilien/wohnung-eigentumswohnung-etagenwohnung-in-giessen-kaufen-50683/",
                "4-Zimmer-Wohnung in der Innenstadt von Gießen",
                Some(526000.0),
                "EUR",
                Some(4.0),
                Some(150.0),
                None,
                Some(photo(
                    "6b0ee92f1a3a57d566a1420ed7a98efd/5546995-huuql59sq7oytuwdpjyj6s7r-624581-a-backbonephoto-010_b_hd-900x600.jpg",
                )),
            ),
            // The building's 14,232 m² plot is not the flat's area.
            want(
                "48712",
                "https://www.imaxx.de/immobilien/wohnung-eigentumswohnung-penthousewohnung-in-buseck-kaufen-48712/",
                "Wohnen mit Weitblick – 2-Zimmer-Eigentumswohnung in der obersten Etage!",
                Some(149000.0),
                "EUR",
                Some(2.0),
                Some(80.56),
                None,
                Some(photo(
                    "c6e85437fc9b466535a75ca7ff7a8025/4768358-up4x2nx1gdttvszfbbjaadam-aussenansicht-900x600.jpg",
                )),
            ),
            want(
                "50605",
                "https://www.imaxx.de/immobilien/wohnung-eigentumswohnung-in-muenzenberg-kaufen-50605/",
                "Attraktive 3-Zimmer-Eigentumswohnung mit Balkon in ruhiger Lage von Gambach",
                Some(239000.0),
                "EUR",
                Some(3.0),
                Some(84.0),
                None,
                Some(photo(
                    "03cea99a8f214376e24146977b98ae83/5513965-vgey2e5jjoyomq8bt5kptv3s-623190-b-backbonephoto-043_b_web-900x600.jpg",
                )),
            ),
        ],
    );
}

#[test]
fn neubaukompass_search() {
    let photo = |path: &'static str| -> &'static str {
        Box::leak(
            format!("https://pictures.immobilienscout24.de/dims3/S3/http://s3-eu-west-1.amazonaws.com/pda-pro-pictures-projectpictures-8hecgpgpb9fo/{path}")
                .into_boxed_str(),
        )
    };
    check(
        "neubaukompass",
        "neubaukompass/duesseldorf-wohnung-kaufen-search-2026.html",
        20,
        &[
            want(
                "102425",
                "https://www.neubaukompass.de/neubau/pandion-albertussee-duesseldorf/102425.html",
                "PANDION ALBERTUSSEE",
                Some(505900.0),
                "EUR",
                Some(2.0),
                Some(55.0),
                None,
                Some(photo("31431914/65cbd290-88a0-4550-bf9d-b5a1d0cb1ddc.jpg")),
            ),
            want(
                "133453",
                "https://www.neubaukompass.de/neubau/neubau-in-viersen-duelken-2026-viersen-duelken/133453.html",
                "Neubau in Viersen-Dülken - 2026",
                Some(411000.0),
                "EUR",
                Some(4.0),
                Some(110.0),
                None,
                Some(photo("46640278/5fbe42ef-5a85-4930-a07a-032c879c1a21.jpg")),
            ),
            want(
                "137448",
                "https://www.neubaukompass.de/neubau/lebenswerth-duesseldorf/137448.html",
                "Lebenswerth",
                Some(584900.0),
                "EUR",
                Some(2.0),
                Some(69.0),
                None,
                Some(photo("144783525/2c7a9795-0aa4-4191-8a01-95aa01c6622b.jpg")),
            ),
        ],
    );
}

// ------------------------------------------------------------------------
// 2026 exposés: each preset's `detail` reading on the page of one listing,
// as fetched from its own address (MANIFEST, "First listings").

#[test]
fn immoscout_2026_app_expose() {
    check(
        "immoscout",
        "immobilienscout24/expose-detail-mobile-api-2026.json",
        // The project's other units (PROJECT_EXPOSE_LIST) are not this listing.
        1,
        &[want(
            "168963883",
            "https://www.immobilienscout24.de/expose/168963883",
            // Not header.title ("Beschreibung").
            "Loft mit eigenem Garten: 131 m² auf zwei Ebenen, Erstbezug",
            Some(2300.0),
            "EUR",
            Some(2.0),
            Some(131.37),
            Some("Oberbilk"),
            Some(
                "https://pictures.immobilienscout24.de/listings/ba3969a3-72d1-4094-b026-ec9476786b82-2063887398.jpg/ORIG/resize/1500x1000/format/webp/quality/80",
            ),
        )],
    );
    check_periods("immoscout", "immobilienscout24/expose-detail-mobile-api-2026.json", &[("168963883", Period::Month)]);
}

#[test]
fn immowelt_2026_exposes() {
    let page = "https://www.immowelt.de/expose/8e1049f3-8f9e-481d-a666-a635fba60191";
    check_at(
        "immowelt",
        "immowelt/expose-detail-serverstate-trimmed-2026.html",
        page,
        1,
        &[want(
            "26H6IGH14AAQ",
            page,
            // Not `classified.title` (the description).
            "Investorenprojekt! Hochmodernes Mehrfamilienhaus mit 6 Wohnungen (KfW 40 + QNG)",
            Some(2474300.0),
            "EUR",
            None,
            Some(532.0),
            Some("Sassenberg"),
            Some(
                "https://mms.immowelt.de/f/c/5/0/fc509a60-21fc-4d46-9e4b-760f6e744bbb.jpg?ci_seal=2483f9754abc04a1f499df562725aa779bac1739",
            ),
        )],
    );
    check_periods(
        "immowelt",
        "immowelt/expose-detail-serverstate-trimmed-2026.html",
        &[("26H6IGH14AAQ", Period::Total)],
    );
    // The trimmed capture: title, location and the page's own address only.
    let page = "https://www.immowelt.de/expose/ba8557a2-c888-46e4-954e-581a68116662";
    check_at(
        "immowelt",
        "immowelt/expose-detail-trimmed-2026.html",
        page,
        1,
        &[want(
            "ba8557a2-c888-46e4-954e-581a68116662",
            page,
            "Wohnung 93 m² 1250 € zur Miete Mitte,Berlin (10178)",
            // The area comes first in the title: 93 is not the price.
            Some(1250.0),
            "EUR",
            None,
            Some(93.0),
            Some("Mitte"),
            None,
        )],
    );
}

#[test]
fn deutsche_wohnen_2026_expose() {
    check(
        "deutsche-wohnen",
        "deutsche-wohnen/expose-detail-2026.html",
        1,
        &[want(
            "1463360003",
            "https://www.deutsche-wohnen.com/mieten/mietangebote/schoen-hier-zu-wohnen-89-1463360003",
            "",
            Some(959.87),
            "EUR",
            // 2 in the list JSON for the same flat.
            Some(2.5),
            Some(61.53),
            Some("Zehlendorf"),
            Some("https://cdn.expose.vonovia.de/CAMP-Gruenstrom_DeuWo_v2.jpg?width=538&crop=3:2"),
        )],
    );
}

#[test]
fn engelvoelkers_2026_expose() {
    check(
        "engelvoelkers",
        "engelvoelkers/expose-detail-2026.html",
        // Not the two "Weitere Immobilien" cards under it.
        1,
        &[want(
            "6eca04ed-8da1-51f1-95da-776acaec8933",
            "https://www.engelvoelkers.com/de/de/exposes/6eca04ed-8da1-51f1-95da-776acaec8933",
            "Ein Statement für Lebenskunst und Luxus",
            Some(24900000.0),
            "EUR",
            None,
            // The Wohnfläche of three areas.
            Some(1170.0),
            Some("Dahlem"),
            Some("https://uploadcare.engelvoelkers.com/e91f009a-7180-4638-a072-670fa89feace/"),
        )],
    );
}

#[test]
fn imaxx_2026_expose() {
    check(
        "imaxx",
        "imaxx/expose-detail-2026.html",
        1,
        &[want(
            "50683",
            "https://www.imaxx.de/immobilien/wohnung-eigentumswohnung-etagenwohnung-in-giessen-kaufen-50683/",
            "4-Zimmer-Wohnung in der Innenstadt von Gießen",
            Some(526000.0),
            "EUR",
            Some(4.0),
            Some(150.0),
            None,
            Some(
                "https://www.imaxx.de/wp-content/uploads/immomakler/attachments/6b0ee92f1a3a57d566a1420ed7a98efd/5546995-huuql59sq7oytuwdpjyj6s7r-624581-a-backbonephoto-010_b_hd-475x317.jpg",
            ),
        )],
    );
}

#[test]
fn immobilien_de_2026_expose() {
    check(
        "immobilien-de",
        "immobilien-de/detail-2026.html",
        // Not the "similar listings" cards at its foot.
        1,
        &[want(
            "9739832",
            "https://www.immobilien.de/wohnen/9739832",
            "Moderne ab 2- 3 - Zimmer Neubauwohnung im Grünen",
            Some(1070.0),
            "EUR",
            Some(3.0),
            Some(55.0),
            None,
            // og:image is the site's logo.
            Some(
                "https://www.immobilien.de/srv/obs/_tss_1785078357827_bc1dfaa/custom/estate_attachments/9739832/0/IMG_9117.JPG",
            ),
        )],
    );
}

#[test]
fn schwarzesbrett_bremen_2026_ad() {
    check(
        "schwarzesbrett-bremen",
        "schwarzesbrett-bremen/detail-2026.html",
        1,
        &[want(
            "28903",
            "https://schwarzesbrett.bremen.de/show/28903",
            "Garage in Findorff / Weidedamm zum 01.09.26",
            Some(75.0),
            "EUR",
            None,
            None,
            Some("Findorff"),
            // og:image is the fallback icon.
            None,
        )],
    );
}

#[test]
fn sparkasse_2026_expose() {
    check(
        "sparkasse-immobilien",
        "sparkasse-immobilien/expose-detail-2026.html",
        1,
        &[want(
            "FID-F12-839-993",
            "https://immobilien.sparkasse.de/expose/FID-F12-839-993.html",
            "Eine besondere Adresse - Neubauwohnung für Familien im 3. OG",
            Some(1618200.0),
            "EUR",
            Some(4.0),
            Some(149.0),
            Some("Oberkassel"),
            Some(
                "https://cdnihddipa.cloudimg.io/9/2/9/b/929b269a-7004-4a71-81a4-66b39839a317.jpg?ci_seal=301a7f9106d20fd6034c6e255644f40b4a8e3651&webp=false",
            ),
        )],
    );
    check_periods(
        "sparkasse-immobilien",
        "sparkasse-immobilien/expose-detail-2026.html",
        &[("FID-F12-839-993", Period::Total)],
    );
}

#[test]
fn howoge_2026_expose_behind_inberlinwohnen() {
    let page = "https://www.howoge.de/immobiliensuche/wohnungssuche/detail/1771-14563-258.html";
    check_at(
        "inberlinwohnen",
        "inberlinwohnen/howoge-expose-detail-2026.html",
        page,
        1,
        &[want(
            "1771-14563-258",
            page,
            "Hell geschnittene Wohnung mit guten Anbindungen an die Öffentlichen Verkehrsmittel",
            // The Kaltmiete, as on the card; the page heads with the Warmmiete.
            Some(800.0),
            "EUR",
            Some(2.0),
            Some(50.0),
            Some("Lichtenberg"),
            Some(
                "https://www.howoge.de/fileadmin/_processed_/0/7/csm_f944fca8711912075fcfbb9f0343a209_301af6720c.webp",
            ),
        )],
    );
}
