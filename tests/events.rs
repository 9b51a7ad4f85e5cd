//! Submission events over WebSocket (`graphql-transport-ws`): each subscriber receives
//! what it may see, as reports are stored; on PostgreSQL, from any replica.

mod common;

use std::time::Duration;

use common::{amend, report_input, submit, TestApp};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const EVENTS: &str = "subscription($r: String) { submissionEvents(regionCode: $r) { kind dealerCode regionCode month revision at } }";

async fn send(ws: &mut Ws, message: Value) {
    ws.send(Message::Text(message.to_string().into()))
        .await
        .unwrap();
}

/// The next protocol message (pings answered), or `None` within `wait`.
async fn next(ws: &mut Ws, wait: Duration) -> Option<Value> {
    loop {
        let msg = tokio::time::timeout(wait, ws.next()).await.ok()??.ok()?;
        match msg {
            Message::Text(t) => {
                let v: Value = serde_json::from_str(&t).unwrap();
                if v["type"] == "ping" {
                    send(ws, json!({ "type": "pong" })).await;
                    continue;
                }
                return Some(v);
            }
            Message::Close(frame) => {
                return Some(
                    json!({ "type": "closed", "frame": frame.map(|f| f.reason.to_string()) }),
                )
            }
            _ => continue,
        }
    }
}

/// An OEM admin named `sub`.
fn oem_admin(sub: &str) -> msi_hub::auth::Principal {
    msi_hub::auth::Principal {
        sub: sub.into(),
        role: msi_hub::auth::Role::OemAdmin,
        regions: vec![],
        dealer: None,
    }
}

/// A connection initialised with `payload`: the server's first answer.
async fn connect(t: &TestApp, payload: Value) -> (Ws, Value) {
    let url = format!("{}/graphql/ws", t.base.replace("http://", "ws://"));
    let mut req = url.into_client_request().unwrap();
    req.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut ws, resp) = tokio_tungstenite::connect_async(req).await.unwrap();
    assert_eq!(
        resp.headers()["sec-websocket-protocol"],
        "graphql-transport-ws"
    );
    send(
        &mut ws,
        json!({ "type": "connection_init", "payload": payload }),
    )
    .await;
    let first = next(&mut ws, Duration::from_secs(5)).await.unwrap();
    (ws, first)
}

/// A subscriber of submission events with `token`, optionally of one region.
async fn subscriber(t: &TestApp, token: &str, region: Option<&str>) -> Ws {
    let (mut ws, ack) = connect(t, json!({ "Authorization": format!("Bearer {token}") })).await;
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    send(
        &mut ws,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": EVENTS, "variables": { "r": region } } }),
    )
    .await;
    ws
}

/// Waits until `n` subscriptions listen on a replica, before the writes they watch.
async fn listening(t: &TestApp, n: usize) {
    for _ in 0..200 {
        if t.app.subscribers() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{} of {n} subscriptions listening", t.app.subscribers());
}

/// The events a subscriber receives within `wait` of each other: (kind, dealer, revision).
async fn received(ws: &mut Ws, wait: Duration) -> Vec<(String, String, i64)> {
    let mut out = Vec::new();
    while let Some(m) = next(ws, wait).await {
        assert_eq!(m["type"], "next", "{m}");
        assert!(m["payload"].get("errors").is_none(), "{m}");
        let e = &m["payload"]["data"]["submissionEvents"];
        out.push((
            e["kind"].as_str().unwrap().to_string(),
            e["dealerCode"].as_str().unwrap().to_string(),
            e["revision"].as_i64().unwrap(),
        ));
    }
    out
}

fn ev(kind: &str, dealer: &str, revision: i64) -> (String, String, i64) {
    (kind.into(), dealer.into(), revision)
}

#[tokio::test]
async fn each_subscriber_receives_the_events_it_may_see() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    let mut admin = subscriber(&t, &t.admin(), None).await;
    let mut east = subscriber(&t, &t.manager(&["EAST"]), None).await;
    let mut d2 = subscriber(&t, &t.dealer("D2"), None).await;
    let mut west_only = subscriber(&t, &t.bi(), Some("WEST")).await;
    listening(&t, 4).await;
    let a = t.admin();
    // In time (May is due on 10 June; the test clock says 5 June), then an amendment, then
    // a late one (April was due on 10 May).
    submit(&t, &a, "D1", "2024-05", report_input(&[])).await;
    submit(&t, &a, "D2", "2024-05", report_input(&[])).await;
    let changed = report_input(&[("ro_delivered", json!(777))]);
    let r = amend(&t, &a, "D1", "2024-05", changed, 1, "corrected").await;
    assert!(r.get("errors").is_none(), "{r}");
    submit(&t, &a, "D3", "2024-04", report_input(&[])).await;
    let wait = Duration::from_millis(1500);
    assert_eq!(
        received(&mut admin, wait).await,
        [
            ev("SUBMITTED", "D1", 1),
            ev("SUBMITTED", "D2", 1),
            ev("AMENDED", "D1", 2),
            ev("LATE", "D3", 1)
        ]
    );
    // D3 was in EAST until March, WEST from April: its April report is WEST's.
    assert_eq!(
        received(&mut east, wait).await,
        [ev("SUBMITTED", "D1", 1), ev("AMENDED", "D1", 2)]
    );
    assert_eq!(received(&mut d2, wait).await, [ev("SUBMITTED", "D2", 1)]);
    assert_eq!(
        received(&mut west_only, wait).await,
        [ev("SUBMITTED", "D2", 1), ev("LATE", "D3", 1)]
    );
}

#[tokio::test]
async fn a_subscription_needs_a_token_and_keeps_to_its_scope() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    // No token, a bad one: the connection is refused (closed, graphql-transport-ws 4403).
    for payload in [json!({}), json!({ "Authorization": "Bearer not-a-token" })] {
        let (_, first) = connect(&t, payload.clone()).await;
        assert_ne!(first["type"], "connection_ack", "{payload}: {first}");
    }
    // A manager asking for another region's events is refused, as for submissionStatus.
    let mut ws = subscriber(&t, &t.manager(&["EAST"]), Some("WEST")).await;
    let m = next(&mut ws, Duration::from_secs(5)).await.unwrap();
    assert_eq!(
        m["payload"]["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{m}"
    );
    assert!(m.to_string().contains("not one of your regions"), "{m}");
    // Subscriptions are not served over HTTP POST.
    let body = t
        .gql(
            &t.admin(),
            "subscription { submissionEvents { kind } }",
            json!({}),
        )
        .await;
    assert!(body.get("errors").is_some(), "{body}");
}

#[tokio::test]
async fn events_reach_the_subscribers_of_another_replica() {
    let a = TestApp::spawn().await;
    if !a.on_postgres() {
        eprintln!("skipped: replicas share events through PostgreSQL (SQLite runs as one process)");
        return;
    }
    a.seed_network().await;
    let b = a.replica().await;
    let mut on_b = subscriber(&b, &b.manager(&["EAST"]), None).await;
    let mut on_a = subscriber(&a, &a.admin(), None).await;
    listening(&b, 1).await;
    listening(&a, 1).await;
    submit(&a, &a.admin(), "D1", "2024-05", report_input(&[])).await;
    submit(&b, &b.admin(), "D2", "2024-05", report_input(&[])).await;
    let wait = Duration::from_millis(1500);
    assert_eq!(received(&mut on_b, wait).await, [ev("SUBMITTED", "D1", 1)]);
    assert_eq!(
        received(&mut on_a, wait).await,
        [ev("SUBMITTED", "D1", 1), ev("SUBMITTED", "D2", 1)]
    );
}

#[tokio::test]
async fn a_subscription_ends_when_its_token_does() {
    let t = TestApp::spawn_with(|s| s.jwt_leeway_secs = 0).await;
    t.seed_network().await;
    let who = oem_admin("short");
    let token = t.token_expiring(&who, 4);
    let mut ws = subscriber(&t, &token, None).await;
    listening(&t, 1).await;
    // Events arrive while the token holds...
    submit(&t, &t.admin(), "D1", "2024-05", report_input(&[])).await;
    assert_eq!(
        received(&mut ws, Duration::from_millis(500)).await,
        [ev("SUBMITTED", "D1", 1)]
    );
    // ...and the subscription completes when it expires: nothing more reaches it.
    let end = next(&mut ws, Duration::from_secs(8)).await.unwrap();
    assert_eq!(end["type"], "complete", "{end}");
    assert_eq!(end["id"], "1");
    submit(&t, &t.admin(), "D2", "2024-05", report_input(&[])).await;
    assert!(next(&mut ws, Duration::from_millis(500)).await.is_none());
}

/// Events are sent by a task after the write has answered, in order; `events_sent` waits
/// for those of the writes so far (a command that stored reports exits after it).
#[tokio::test]
async fn events_sent_waits_for_the_events_of_the_writes_so_far() {
    use futures_util::FutureExt;
    let t = TestApp::spawn().await;
    t.seed_network().await;
    let who = oem_admin("watcher");
    let mut events = Box::pin(t.app.submission_events(&who, None).unwrap());
    for d in ["D1", "D2", "D3"] {
        let r = submit(&t, &t.admin(), d, "2024-05", report_input(&[])).await;
        assert_eq!(r["outcome"], "ACCEPTED", "{r}");
    }
    t.app.events_sent().await;
    let mut got = Vec::new();
    for _ in 0..3 {
        let e = if t.on_postgres() {
            // Sent to PostgreSQL by now: it brings them back through LISTEN.
            tokio::time::timeout(Duration::from_secs(5), events.next())
                .await
                .ok()
                .flatten()
        } else {
            // Delivered in process by now.
            events.next().now_or_never().flatten()
        };
        got.push(e.expect("an event sent").dealer_code.clone());
    }
    assert_eq!(got, ["D1", "D2", "D3"]);
}
