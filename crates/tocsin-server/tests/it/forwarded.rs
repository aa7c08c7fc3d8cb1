//! A child node forwards alerts to its parent over real HTTP: the parent serves the API on a
//! loopback port, the child's parent channel posts the CAP alert. Stored once across retries,
//! placed on the parent's regions; wrong tokens and unreadable alerts are refused for good.

use crate::{Fixture, STATIONS_CSV};
use std::sync::Arc;
use std::time::Duration;
use tocsin_core::access::{Role, Scope};
use tocsin_core::clock::ManualClock;
use tocsin_engine::access::Principal;
use tocsin_engine::channels::{ChannelSettings, DeliveryError, Endpoint, Message, deliver};
use tocsin_server::router;

/// A released alert of a province node, on Hà Nội by geocode.
const ALERT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>hanoi.tocsin.w3.v1</identifier>
  <sender>canhbao@hanoi.tocsin.test</sender>
  <sent>2026-11-22T09:00:00+07:00</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info>
    <language>vi-VN</language>
    <category>Met</category>
    <event>Lũ</event>
    <urgency>Expected</urgency>
    <severity>Severe</severity>
    <certainty>Likely</certainty>
    <expires>2026-11-23T09:00:00+07:00</expires>
    <headline>Lũ trên sông Hồng</headline>
    <area><areaDesc>Hà Nội</areaDesc><geocode><valueName>VN-DVHC</valueName><value>01</value></geocode></area>
  </info>
</alert>"#;

fn message(cap_xml: &str) -> Message {
    Message {
        idempotency_key: "w3.v1.parent".into(),
        language: "vi".into(),
        subject: "Lũ trên sông Hồng".into(),
        text: String::new(),
        cap_xml: cap_xml.into(),
        json: "{}".into(),
        province: "01".into(),
        communes: Vec::new(),
        hazard: "flood".into(),
        ack_url: None,
        attempted_at: "2026-11-22T02:00:00Z".parse().unwrap(),
    }
}

/// The child's attempt to forward `cap_xml` to the parent at `url` with `token`.
async fn forward(url: &str, token: &str, cap_xml: &str) -> Result<(), DeliveryError> {
    let parent = Endpoint::Parent {
        url: url.into(),
        token: token.into(),
    };
    let message = message(cap_xml);
    let settings = ChannelSettings {
        smtp: None,
        timeout: Duration::from_secs(10),
    };
    tokio::task::spawn_blocking(move || deliver(&parent, &message, &settings))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_forwards_alerts_to_its_parent_once() {
    let clock = Arc::new(ManualClock::new("2026-11-22T03:00:00Z".parse().unwrap()));
    let parent = Fixture::build(clock, STATIONS_CSV);
    let engine = parent.state.engine.clone();
    let (child_token, _) = engine
        .create_token("hanoi node", Role::Ingest, Scope::nation())
        .unwrap();
    let (viewer, _) = engine
        .create_token("viewer", Role::Viewer, Scope::nation())
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = router(parent.state.clone());
    let limits = tocsin_server::Limits::default();
    tokio::spawn(async move {
        tocsin_server::serve(listener, app, &limits, std::future::pending()).await
    });

    forward(&url, &child_token, ALERT).await.unwrap();
    // The child lost the answer and retries: nothing new is stored.
    forward(&url, &child_token, ALERT).await.unwrap();
    let stored = engine
        .external_alerts(&Principal::local_admin(), None, None, 10)
        .unwrap()
        .items;
    assert_eq!(stored.len(), 1, "{stored:#?}");
    let alert = &stored[0];
    assert_eq!(alert.identifier.as_deref(), Some("hanoi.tocsin.w3.v1"));
    assert_eq!(alert.placement, "placed");
    assert_eq!(alert.regions[0].region, "01");
    assert_eq!(alert.subscription, 0);
    assert!(
        alert.source.starts_with("forwarded with token "),
        "{}",
        alert.source
    );
    assert_eq!(alert.cap_xml, ALERT.as_bytes());

    for (token, status) in [(viewer.as_str(), "403"), ("not-a-token", "401")] {
        let refused = forward(&url, token, ALERT).await.unwrap_err();
        assert!(!refused.retryable, "{refused}");
        assert!(
            refused.reason.contains(&format!("HTTP status {status}")),
            "{refused}"
        );
    }
    let unreadable = forward(&url, &child_token, "<alert>half")
        .await
        .unwrap_err();
    assert!(!unreadable.retryable, "{unreadable}");
    assert!(
        unreadable.reason.contains("HTTP status 400"),
        "{unreadable}"
    );
    assert!(unreadable.reason.contains("cannot be read"), "{unreadable}");
}
