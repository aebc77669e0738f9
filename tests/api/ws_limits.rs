//! What strangers cannot do to `GET /ws`: open more streams than a token's or an address's
//! cap, or more than the file descriptors allow; open one from another site's page; keep
//! one after its token expired or was signed out; or send messages too big, or text that
//! is not UTF-8, however they cut them into fragments.

use std::sync::atomic::Ordering;
use std::time::Duration;

use chrono::Utc;
use futures::{SinkExt, StreamExt};
use qingfeng::auth::{new_token, token_hash};
use qingfeng::store::TokenRecord;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::header;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::helpers::{TestApp, spawn_app, spawn_app_with};

/// The longest a test waits for one frame (the whole suite shares two cores).
const WAIT: Duration = Duration::from_secs(10);

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A city stream's handshake with the token in an `Authorization` header and, if given,
/// an `Origin`.
async fn connect(app: &TestApp, token: &str, origin: Option<&str>) -> Result<Socket, (u16, Value)> {
    let address = app.address.replacen("http", "ws", 1);
    let mut request = format!("{address}/ws?scope=city")
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        header::AUTHORIZATION,
        format!("Bearer {token}").parse().unwrap(),
    );
    if let Some(origin) = origin {
        request
            .headers_mut()
            .insert(header::ORIGIN, origin.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((socket, _)) => Ok(socket),
        Err(WsError::Http(response)) => {
            let body = response.body().as_deref().unwrap_or_default();
            let problem = serde_json::from_slice(body).unwrap_or(Value::Null);
            Err((response.status().as_u16(), problem))
        }
        Err(other) => panic!("the handshake failed without an answer: {other}"),
    }
}

/// The status and problem document of a handshake that must be refused.
async fn refused(app: &TestApp, token: &str, origin: Option<&str>) -> (u16, Value) {
    match connect(app, token, origin).await {
        Ok(_) => panic!("the stream was admitted"),
        Err(refusal) => refusal,
    }
}

/// Opens a stream that must be admitted and reads its snapshot.
async fn open(app: &TestApp, token: &str) -> Socket {
    let mut socket = connect(app, token, None)
        .await
        .unwrap_or_else(|refusal| panic!("the stream was refused: {refusal:?}"));
    match next_frame(&mut socket).await {
        Some(Message::Text(text)) => assert!(text.contains("\"snapshot\""), "{text}"),
        other => panic!("expected the snapshot, got {other:?}"),
    }
    socket
}

/// The next frame the server sends, `None` once the stream has ended.
async fn next_frame(socket: &mut Socket) -> Option<Message> {
    let frame = tokio::time::timeout(WAIT, socket.next())
        .await
        .expect("a frame within the wait")?;
    frame.ok()
}

/// Reads until the server's Close and returns its code and reason.
async fn close_of(socket: &mut Socket) -> (u16, String) {
    loop {
        match next_frame(socket).await {
            Some(Message::Close(Some(close))) => {
                return (u16::from(close.code), close.reason.to_string());
            }
            Some(Message::Close(None)) | None => panic!("the stream ended without a close code"),
            Some(_) => continue,
        }
    }
}

/// Waits until the hub counts `live` streams (a closed client's socket is noticed by the
/// server a moment later).
async fn wait_live(app: &TestApp, live: u64) {
    let counters = app.hub.counters();
    let deadline = tokio::time::Instant::now() + WAIT;
    while counters.live.load(Ordering::Relaxed) != live {
        assert!(
            tokio::time::Instant::now() < deadline,
            "live streams never reached {live}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn the_stream_over_a_tokens_cap_is_refused_429_until_one_closes() {
    let app = spawn_app_with(|config| config.ws.per_token = 2).await;
    let wall = app.login("wall").await;
    let mut first = open(&app, &wall).await;
    let _second = open(&app, &wall).await;
    let (status, problem) = refused(&app, &wall, None).await;
    assert_eq!(status, 429, "{problem}");
    assert_eq!(
        (&problem["code"], &problem["cap"], &problem["limit"]),
        (
            &"too_many_connections".into(),
            &"per_token".into(),
            &2.into()
        )
    );
    let counters = app.hub.counters();
    assert_eq!(counters.refused_per_token.load(Ordering::Relaxed), 1);
    let other = app.new_session("wall").await;
    let _third = open(&app, &other).await;
    wait_live(&app, 3).await;

    first.close(None).await.unwrap();
    wait_live(&app, 2).await;
    let _again = open(&app, &wall).await;
    app.stop().await;
}

#[tokio::test]
async fn the_stream_over_an_addresss_cap_is_refused_429_whatever_its_token() {
    let app = spawn_app_with(|config| config.ws.per_address = 2).await;
    let _kept = [
        open(&app, &app.login("wall").await).await,
        open(&app, &app.login("city").await).await,
    ];
    let (status, problem) = refused(&app, &app.login("leader").await, None).await;
    assert_eq!((status, &problem["cap"]), (429, &"per_address".into()));
    let counters = app.hub.counters();
    assert_eq!(counters.refused_per_address.load(Ordering::Relaxed), 1);
    app.stop().await;
}

#[tokio::test]
async fn no_stream_is_admitted_into_the_reserve_of_file_descriptors() {
    let app = spawn_app_with(|config| config.ws.fd_reserve = usize::MAX).await;
    let (status, problem) = refused(&app, &app.login("wall").await, None).await;
    assert_eq!(
        (status, &problem["code"]),
        (503, &"too_many_open_files".into())
    );
    let counters = app.hub.counters();
    assert_eq!(counters.refused_open_files.load(Ordering::Relaxed), 1);
    assert_eq!(counters.live.load(Ordering::Relaxed), 0);
    app.stop().await;
}

#[tokio::test]
async fn a_page_of_another_origin_is_refused_403_and_the_servers_own_pages_are_not() {
    let app = spawn_app().await;
    let wall = app.login("wall").await;
    let (status, problem) = refused(&app, &wall, Some("http://evil.example")).await;
    assert_eq!(
        (status, &problem["code"]),
        (403, &"origin_not_allowed".into())
    );
    let counters = app.hub.counters();
    assert_eq!(counters.refused_origin.load(Ordering::Relaxed), 1);
    assert!(connect(&app, &wall, Some(&app.address)).await.is_ok());
    app.stop().await;

    let listed = "https://wall.example.gov";
    let app = spawn_app_with(|config| config.ws.allowed_origins = vec![listed.into()]).await;
    let wall = app.login("wall").await;
    assert!(connect(&app, &wall, Some(listed)).await.is_ok());
    let (status, _) = refused(&app, &wall, Some(&app.address)).await;
    assert_eq!(
        status, 403,
        "a configured list replaces the same-host default"
    );
    app.stop().await;
}

#[tokio::test]
async fn signing_out_closes_the_tokens_streams_with_4001_and_no_others() {
    let app = spawn_app().await;
    let token = app.new_session("wall").await;
    let mut signed_out = [open(&app, &token).await, open(&app, &token).await];
    let mut other = open(&app, &app.new_session("wall").await).await;
    assert_eq!(app.logout(&token).await, 204);
    for socket in &mut signed_out {
        assert_eq!(close_of(socket).await, (4001, "session ended".to_string()));
    }
    other
        .send(Message::Ping("still here".into()))
        .await
        .unwrap();
    assert!(matches!(
        next_frame(&mut other).await,
        Some(Message::Pong(_) | Message::Text(_))
    ));
    let counters = app.hub.counters();
    assert_eq!(counters.sessions_ended.load(Ordering::Relaxed), 2);
    app.stop().await;
}

#[tokio::test]
async fn a_token_removed_from_the_store_by_another_instance_closes_at_the_next_recheck() {
    let app = spawn_app().await;
    let token = app.new_session("wall").await;
    let mut socket = open(&app, &token).await;
    // What a sign-out on another instance sharing the store leaves behind.
    app.engine
        .store()
        .delete_token(&token_hash(&token))
        .await
        .unwrap();
    assert_eq!(app.hub.recheck_tokens().await, 1);
    assert_eq!(close_of(&mut socket).await.0, 4001);
    app.stop().await;
}

#[tokio::test]
async fn a_stream_closes_with_4001_when_its_token_expires() {
    let app = spawn_app().await;
    let token = new_token();
    let expires_at = Utc::now() + chrono::Duration::seconds(2);
    let record = TokenRecord {
        token_hash: token_hash(&token),
        username: "wall".to_string(),
        expires_at,
        last_used: None,
    };
    app.engine.store().put_token(&record).await.unwrap();
    let mut socket = open(&app, &token).await;
    assert_eq!(close_of(&mut socket).await.0, 4001);
    assert!(Utc::now() >= expires_at, "closed before the token expired");
    app.stop().await;
}

/// Sends a message as `fragments` frames: the first with `opcode`, the rest continuations.
async fn send_fragmented(socket: &mut Socket, opcode: Data, fragments: Vec<Vec<u8>>) {
    let last = fragments.len() - 1;
    for (k, payload) in fragments.into_iter().enumerate() {
        let opcode = OpCode::Data(if k == 0 { opcode } else { Data::Continue });
        let frame = Frame::message(payload, opcode, k == last);
        socket.feed(Message::Frame(frame)).await.unwrap();
    }
    socket.flush().await.unwrap();
}

#[tokio::test]
async fn a_message_over_the_limit_in_small_continuation_frames_is_closed_with_1009() {
    let app = spawn_app().await;
    let mut socket = open(&app, &app.login("wall").await).await;
    // 17 KiB in all, never more than 1 KiB in one frame.
    let fragments = vec![vec![b'x'; 1024]; 17];
    send_fragmented(&mut socket, Data::Binary, fragments).await;
    assert_eq!(close_of(&mut socket).await.0, 1009);
    app.stop().await;
}

#[tokio::test]
async fn text_that_is_not_utf8_across_fragments_is_closed_with_1007() {
    let app = spawn_app().await;
    let wall = app.login("wall").await;
    let mut socket = open(&app, &wall).await;
    let zhong = "中".as_bytes().to_vec();
    // A character cut across fragments is fine ...
    let whole = vec![zhong[..1].to_vec(), zhong[1..].to_vec()];
    send_fragmented(&mut socket, Data::Text, whole).await;
    socket.send(Message::Ping("after".into())).await.unwrap();
    loop {
        match next_frame(&mut socket).await {
            Some(Message::Pong(payload)) => break assert_eq!(&payload[..], b"after"),
            Some(Message::Text(_)) => continue,
            other => panic!("expected the Pong, got {other:?}"),
        }
    }
    // ... one broken in the next fragment is not.
    let broken = vec![zhong[..2].to_vec(), b"A".to_vec()];
    send_fragmented(&mut socket, Data::Text, broken).await;
    assert_eq!(close_of(&mut socket).await.0, 1007);
    app.stop().await;
}
