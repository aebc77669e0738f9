//! The live stream `GET /ws` with a real WebSocket client: a snapshot then ordered deltas,
//! resuming with `epoch` and `since`, refusals before the upgrade, and a stalled screen
//! that must cost the server a bounded queue, not a growing one.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use qingfeng::ws::{Hub, QUEUE_CAPACITY, RING_BYTES};
use serde_json::{Value, json};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::header;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::helpers::{CITY, TOWN_QINGXI, TestApp, VILLAGE_LIUTANG, VILLAGE_SHIMEN, spawn_app};

/// The longest a test waits for one message: generous, because the whole suite runs at once
/// beside two headless browsers and the fan-out threads run at a lower priority (see
/// `ws::upgrade`).
const WAIT: Duration = Duration::from_secs(10);
/// The promise to screens: an answered command is on every wall within a second.
const DELIVERY: Duration = Duration::from_secs(1);

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A test screen: its socket and the number of the last message it got.
struct Screen {
    socket: Socket,
    seq: Option<u64>,
}

fn url(app: &TestApp, query: &str) -> String {
    format!("{}/ws?{query}", app.address.replacen("http", "ws", 1))
}

async fn open(app: &TestApp, query: &str) -> Screen {
    let (socket, _) = tokio_tungstenite::connect_async(url(app, query))
        .await
        .unwrap_or_else(|e| panic!("/ws?{query} was refused: {e}"));
    Screen { socket, seq: None }
}

/// Opens a stream whose client socket has a tiny receive buffer, so that not reading
/// stalls the server's writes after a few MiB instead of tens.
async fn open_with_small_window(app: &TestApp, query: &str) -> Screen {
    let address: SocketAddr = app.address.trim_start_matches("http://").parse().unwrap();
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(address).await.unwrap();
    let (socket, _) =
        tokio_tungstenite::client_async(url(app, query), MaybeTlsStream::Plain(stream))
            .await
            .unwrap();
    Screen { socket, seq: None }
}

/// The HTTP status a refused upgrade answered with.
async fn refusal(app: &TestApp, query: &str) -> u16 {
    match tokio_tungstenite::connect_async(url(app, query)).await {
        Err(WsError::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("/ws?{query} failed without an answer: {other}"),
        Ok(_) => panic!("/ws?{query} was upgraded"),
    }
}

impl Screen {
    /// The next numbered message (heartbeats skipped). A delta must be numbered one after
    /// the message before it; a snapshot may jump ahead.
    async fn next(&mut self) -> Value {
        let message = loop {
            let frame = tokio::time::timeout(WAIT, self.socket.next())
                .await
                .expect("a message within the wait")
                .expect("the stream is open")
                .expect("a readable frame");
            if let Message::Text(text) = frame {
                let value: Value = serde_json::from_str(&text).unwrap();
                if value["type"] != "ping" {
                    break value;
                }
            }
        };
        let seq = message["seq"].as_u64().expect("every message is numbered");
        if let (Some(last), "delta") = (self.seq, message["type"].as_str().unwrap()) {
            assert_eq!(seq, last + 1, "deltas are numbered one by one: {message}");
        }
        self.seq = Some(seq);
        message
    }

    /// Reads deltas until one shows the warning in the given state.
    async fn delta_with(&mut self, id: &str, state: &str) -> Value {
        loop {
            let delta = self.next().await;
            assert_eq!(delta["type"], "delta", "{delta}");
            if carries(&delta["warnings"], id, state) {
                return delta;
            }
        }
    }

    /// The delta showing the warning in `state`, which must arrive within `DELIVERY` of
    /// `answered` (when the command that caused it was answered).
    async fn delivered(&mut self, id: &str, state: &str, answered: Instant) -> Value {
        let delta = self.delta_with(id, state).await;
        let took = answered.elapsed();
        assert!(took < DELIVERY, "{state} reached the wall after {took:?}");
        delta
    }
}

/// Whether a list of warning views shows the warning in the given state.
fn carries(warnings: &Value, id: &str, state: &str) -> bool {
    let mut views = warnings.as_array().unwrap().iter();
    views.any(|w| w["id"] == id && w["state"] == state)
}

/// A child region's row in a snapshot or delta.
fn row<'v>(message: &'v Value, code: &str) -> &'v Value {
    let mut rows = message["regions"].as_array().unwrap().iter();
    rows.find(|r| r["code"] == code)
        .expect("a row for the region")
}

/// The commands that take a liutang warning from notified to observation: who sends
/// each, the command, and the state it leaves the warning in.
fn rectification() -> [(&'static str, Value, &'static str); 4] {
    [
        ("liutang", json!({"type": "acknowledge"}), "acknowledged"),
        (
            "liutang",
            json!({"type": "start_rectification", "note": "约谈"}),
            "rectifying",
        ),
        (
            "liutang",
            json!({"type": "submit_rectification", "note": "已追缴"}),
            "submitted",
        ),
        (
            "qingxi",
            json!({"type": "verify_rectification"}),
            "observation",
        ),
    ]
}

#[tokio::test]
async fn a_wall_gets_a_snapshot_then_ordered_deltas_within_a_second_of_each_command() {
    let app = spawn_app().await;
    let wall = app.login("wall").await;
    let mut screen = open(&app, &format!("scope=city&token={wall}")).await;
    let snapshot = screen.next().await;
    assert_eq!(
        (&snapshot["type"], &snapshot["scope"]),
        (&json!("snapshot"), &json!("city"))
    );
    assert_eq!(snapshot["summary"]["red"], 0);
    let towns = app
        .get_json(&wall, &format!("/api/regions/{CITY}/summary"))
        .await;
    assert_eq!(snapshot["regions"], towns["regions"]);

    let id = app.raise_ok(VILLAGE_LIUTANG).await;
    let raised = screen.delivered(&id, "notified", Instant::now()).await;
    assert_eq!(raised["summary"]["red"], 1);
    assert_eq!(row(&raised, TOWN_QINGXI)["red"], 1);
    assert_eq!(raised["epoch"], snapshot["epoch"]);
    // The city wall merges deltas into its list of the newest warnings, which shows
    // where and when each was raised.
    let brief = &raised["warnings"][0];
    assert_eq!(brief["region"], VILLAGE_LIUTANG, "{brief}");
    assert!(brief["region_name"].is_string() && brief["raised_at"].is_string());

    let mut last = raised;
    for (user, command, state) in rectification() {
        let token = app.login(user).await;
        app.command_ok(&token, &id, command).await;
        last = screen.delivered(&id, state, Instant::now()).await;
    }
    let summary = app
        .get_json(&wall, &format!("/api/regions/{CITY}/summary"))
        .await;
    assert_eq!(
        (&last["summary"]["red"], &last["summary"]["yellow"]),
        (&json!(0), &json!(1))
    );
    assert_eq!(last["summary"]["yellow"], summary["yellow"]);
    assert_eq!(row(&last, TOWN_QINGXI)["worst"], "yellow");
    app.stop().await;
}

/// Opens a city stream, reads its snapshot and hangs up: the wall's `(epoch, seq)`.
async fn seen_then_gone(app: &TestApp, wall: &str) -> (String, u64) {
    let mut screen = open(app, &format!("scope=city&token={wall}")).await;
    let snapshot = screen.next().await;
    screen.socket.close(None).await.unwrap();
    let epoch = snapshot["epoch"].as_str().unwrap().to_string();
    (epoch, snapshot["seq"].as_u64().unwrap())
}

/// Raises a liutang warning and sends its first `n` rectification commands, flushing the
/// hub after each so that each makes exactly one delta. Returns the warning's id.
async fn raise_and_rectify(app: &TestApp, hub: &Hub, n: usize) -> String {
    let id = app.raise_ok(VILLAGE_LIUTANG).await;
    hub.flush();
    for (user, command, _) in rectification().into_iter().take(n) {
        app.command_ok(&app.login(user).await, &id, command).await;
        hub.flush();
    }
    id
}

#[tokio::test]
async fn a_wall_that_reconnects_with_since_gets_exactly_the_deltas_it_missed() {
    let app = spawn_app().await;
    let hub = app.hub.clone();
    let wall = app.login("wall").await;
    let (epoch, seen) = seen_then_gone(&app, &wall).await;
    let id = raise_and_rectify(&app, &hub, 2).await;
    let head = hub.stats().scope("city").unwrap().seq;
    assert_eq!(head, seen + 3, "one delta per command");

    let query = format!("scope=city&token={wall}&epoch={epoch}&since={seen}");
    let mut again = open(&app, &query).await;
    again.seq = Some(seen);
    let missed = [
        (seen + 1, "notified"),
        (seen + 2, "acknowledged"),
        (seen + 3, "rectifying"),
    ];
    for (seq, state) in missed {
        let delta = again.next().await;
        assert_eq!(
            (&delta["type"], &delta["seq"]),
            (&json!("delta"), &json!(seq))
        );
        assert!(carries(&delta["warnings"], &id, state), "{delta}");
    }
    // Then live, with no snapshot in between.
    let (user, command, _) = rectification()[2].clone();
    app.command_ok(&app.login(user).await, &id, command).await;
    hub.flush();
    let live = again.next().await;
    assert_eq!(
        (&live["type"], &live["seq"]),
        (&json!("delta"), &json!(head + 1))
    );
    app.stop().await;
}

#[tokio::test]
async fn a_wall_resuming_from_another_epoch_or_from_the_future_gets_a_snapshot() {
    let app = spawn_app().await;
    let hub = app.hub.clone();
    let wall = app.login("wall").await;
    let (epoch, seen) = seen_then_gone(&app, &wall).await;
    let id = raise_and_rectify(&app, &hub, 1).await;
    let head = hub.stats().scope("city").unwrap().seq;
    for query in [
        format!("scope=city&token={wall}&epoch=0123456789abcdef&since={seen}"),
        format!("scope=city&token={wall}&epoch={epoch}&since={}", head + 100),
        format!("scope=city&token={wall}&since={seen}"),
    ] {
        let snapshot = open(&app, &query).await.next().await;
        assert_eq!(
            (&snapshot["type"], &snapshot["seq"]),
            (&json!("snapshot"), &json!(head))
        );
        assert_eq!(snapshot["epoch"], epoch.as_str());
        assert!(
            carries(&snapshot["recent"], &id, "acknowledged"),
            "{snapshot}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn streams_outside_the_tokens_region_or_without_a_token_are_refused_before_the_upgrade() {
    let app = spawn_app().await;
    let liutang = app.login("liutang").await;
    let qingxi_wall = app.login("qingxi-wall").await;
    let wall = app.login("wall").await;
    let cases = [
        // A signed-in user's token never travels in a URL, even for a scope it may watch.
        (
            format!("scope=village:{VILLAGE_LIUTANG}&token={liutang}"),
            401,
        ),
        (format!("scope=city&token={qingxi_wall}"), 403),
        (format!("scope=town:{VILLAGE_LIUTANG}&token={wall}"), 422),
        (format!("scope=county&token={wall}"), 422),
        (format!("token={wall}"), 422),
        (format!("scope=city&token={wall}&epoch=ab&since=soon"), 422),
        ("scope=city".to_string(), 401),
        ("scope=city&token=not-a-token".to_string(), 401),
    ];
    for (query, status) in cases {
        assert_eq!(refusal(&app, &query).await, status, "/ws?{query}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_signed_in_user_streams_with_an_authorization_header_within_its_region() {
    let app = spawn_app().await;
    let liutang = app.login("liutang").await;
    let handshake = |scope: String| {
        let mut request = url(&app, &format!("scope={scope}"))
            .into_client_request()
            .unwrap();
        let bearer = format!("Bearer {liutang}");
        request
            .headers_mut()
            .insert(header::AUTHORIZATION, bearer.parse().unwrap());
        tokio_tungstenite::connect_async(request)
    };
    let (socket, _) = handshake(format!("village:{VILLAGE_LIUTANG}"))
        .await
        .unwrap();
    let mut screen = Screen { socket, seq: None };
    assert_eq!(
        screen.next().await["scope"],
        format!("village:{VILLAGE_LIUTANG}")
    );
    match handshake(format!("village:{VILLAGE_SHIMEN}")).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 403)
        }
        other => panic!("another village's stream was not refused: {other:?}"),
    }
    app.stop().await;
}

#[tokio::test]
async fn a_town_display_signed_in_by_cookie_watches_its_town_and_its_villages() {
    let app = spawn_app().await;
    let token = app.login("qingxi-wall").await;
    let mut request = url(&app, &format!("scope=town:{TOWN_QINGXI}"))
        .into_client_request()
        .unwrap();
    let cookie = format!("theme=dark; qingfeng_token={token}");
    request
        .headers_mut()
        .insert(header::COOKIE, cookie.parse().unwrap());
    let (socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let mut screen = Screen { socket, seq: None };
    let snapshot = screen.next().await;
    assert_eq!(snapshot["scope"], format!("town:{TOWN_QINGXI}"));
    let villages = app
        .get_json(&token, &format!("/api/regions/{TOWN_QINGXI}/summary"))
        .await;
    assert_eq!(snapshot["regions"], villages["regions"]);

    let id = app.raise_ok(VILLAGE_LIUTANG).await;
    let delta = screen.delta_with(&id, "notified").await;
    assert_eq!(
        delta["regions"].as_array().unwrap().len(),
        1,
        "only the changed row"
    );
    assert_eq!(row(&delta, VILLAGE_LIUTANG)["worst"], "red");
    // A town wall re-reads its queue from the API: a delta names the warning briefly.
    let brief = &delta["warnings"][0];
    let mut fields: Vec<&str> = brief
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    fields.sort();
    assert_eq!(fields, ["id", "level", "state", "title"], "{brief}");
    app.stop().await;
}

/// Sends the city's only screen one whole-city message per round without it reading,
/// checking after each round that its queue and the hub's buffers stay bounded, until
/// 50 rounds after its queue first overflowed. Returns that first overflowing round.
async fn overflow_a_stalled_screen(hub: &Hub) -> usize {
    let mut overflowed_at = None;
    for round in 0..5_000 {
        hub.resync();
        hub.flush();
        tokio::task::yield_now().await; // lets the connection fill the sockets first
        let stats = hub.stats();
        let conn = stats
            .connections
            .iter()
            .find(|c| c.scope == "city")
            .unwrap();
        assert!(conn.queued <= QUEUE_CAPACITY, "round {round}: {conn:?}");
        assert!(conn.queued_bytes <= QUEUE_CAPACITY * 32 * 1024, "{conn:?}");
        assert!(stats.buffered_bytes() <= RING_BYTES + QUEUE_CAPACITY * 32 * 1024);
        if conn.forced_snapshots > 0 && overflowed_at.is_none() {
            overflowed_at = Some(round);
        }
        if let Some(at) = overflowed_at.filter(|at| round >= at + 50) {
            return at;
        }
    }
    panic!("the stalled screen's queue never filled");
}

#[tokio::test]
async fn a_stalled_wall_costs_a_bounded_queue_and_gets_a_fresh_snapshot_when_it_reads_again() {
    let app = spawn_app().await;
    let hub = app.hub.clone();
    for _ in 0..20 {
        app.raise_ok(VILLAGE_LIUTANG).await; // fills `recent`: a city snapshot is ~7 KB
    }
    let wall = app.login("wall").await;
    let mut screen = open_with_small_window(&app, &format!("scope=city&token={wall}")).await;
    overflow_a_stalled_screen(&hub).await;
    // A second later than the twenty, so that it is the newest and in every snapshot's
    // `recent` (its `RECENT` newest; among warnings raised at the same instant the order
    // is by random id, and one of twenty-one could be left out).
    app.clock.advance(chrono::Duration::seconds(1));
    let id = app.raise_ok(VILLAGE_SHIMEN).await;

    // Reading again: what the sockets held, then a snapshot that skips what was dropped,
    // and then the new warning. The hub task may see the raise a flush later than this
    // task, so read until a message carries it instead of expecting it at a given seq.
    let mut seqs = Vec::new();
    loop {
        hub.flush();
        let message = screen.next().await;
        seqs.push(message["seq"].as_u64().unwrap());
        let list = if message["type"] == "snapshot" {
            "recent"
        } else {
            "warnings"
        };
        if carries(&message[list], &id, "notified") {
            break;
        }
    }
    assert!(
        seqs.windows(2).any(|w| w[1] > w[0] + 1),
        "nothing was dropped: {seqs:?}"
    );
    let steward = app.login("shimen").await;
    app.command_ok(&steward, &id, json!({"type": "acknowledge"}))
        .await;
    let delta = screen.delta_with(&id, "acknowledged").await;
    assert!(delta["seq"].as_u64().unwrap() > *seqs.last().unwrap());
    app.stop().await;
}

/// The next frame that is not a text message (a Pong or a Close).
async fn next_control(screen: &mut Screen) -> Option<Message> {
    loop {
        let frame = tokio::time::timeout(WAIT, screen.socket.next())
            .await
            .expect("a frame within the wait")?;
        match frame {
            Ok(Message::Text(_)) => continue,
            Ok(other) => return Some(other),
            Err(_) => return None,
        }
    }
}

#[tokio::test]
async fn the_server_answers_pings_echoes_closes_refuses_floods_and_plain_gets() {
    let app = spawn_app().await;
    let wall = app.login("wall").await;
    let plain = app
        .client
        .get(format!("{}/ws?scope=city&token={wall}", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 400, "a GET that is not a handshake");

    let mut screen = open(&app, &format!("scope=city&token={wall}")).await;
    assert_eq!(screen.next().await["type"], "snapshot");
    screen
        .socket
        .send(Message::Ping("hello".into()))
        .await
        .unwrap();
    match next_control(&mut screen).await {
        Some(Message::Pong(payload)) => assert_eq!(&payload[..], b"hello"),
        other => panic!("expected a Pong, got {other:?}"),
    }
    screen.socket.close(None).await.unwrap();
    assert!(matches!(
        next_control(&mut screen).await,
        Some(Message::Close(_)) | None
    ));

    let mut flooding = open(&app, &format!("scope=city&token={wall}")).await;
    assert_eq!(flooding.next().await["type"], "snapshot");
    let flood = Message::Text("x".repeat(64 * 1024).into());
    flooding.socket.send(flood).await.unwrap();
    match next_control(&mut flooding).await {
        Some(Message::Close(Some(frame))) => assert_eq!(u16::from(frame.code), 1009),
        other => panic!("expected a Close for a message too big, got {other:?}"),
    }
    app.stop().await;
}
