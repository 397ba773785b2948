//! Subscriptions over the graphql-transport-ws protocol (the npm
//! `graphql-ws` client's), on the WebSocket upgrade of `/graphql`.
//!
//! Refused before the upgrade (HTTP): an `Origin` the CORS policy does not
//! allow (403 `ORIGIN_NOT_ALLOWED`), another subprotocol (400
//! `WEBSOCKET_NOT_SUPPORTED`), a bad `Authorization` header (401), and a
//! process that holds `--max-subscription-connections` already (503
//! `SUBSCRIPTION_LIMIT_EXCEEDED`).
//!
//! After it, the client sends `connection_init` within [`INIT_TIMEOUT`],
//! with the token in its payload (`{"Authorization": "Bearer <token>"}`),
//! or in the upgrade's `Authorization` header; any role may subscribe.
//! async-graphql runs the protocol (`async_graphql::http::WebSocket`);
//! relgate adds the close codes:
//!
//! | code | when |
//! | --- | --- |
//! | 4400 | the first message is not a graphql-transport-ws message |
//! | 4401 | the first message is not `connection_init` (a `subscribe` before it) |
//! | 4403 | no or bad credentials at `connection_init`, or the token was revoked or expired while the connection was open (noticed within [`crate::auth::REVOCATION_CHECK`]) |
//! | 4408 | no `connection_init` within [`INIT_TIMEOUT`] |
//! | 4008 | the client read too slowly: an event waited [`SEND_TIMEOUT`] for room in its socket (sent when it can still be) |
//! | 4429 | the client sent more than [`QUEUE`] messages before the protocol could take them |
//! | 1009 | a client message larger than `--max-body-bytes` |
//! | 1001 | the server shuts down (SIGTERM): reconnect, to another process or to its successor |
//!
//! A `subscribe` names its document as a request over HTTP does: by text,
//! by `documentId`, or by an APQ hash; with `--only-trusted-documents` only
//! manifest documents run, and another gets an `error` message with code
//! `TRUSTED_DOCUMENT_REQUIRED` (the connection goes on).
//!
//! A connection holds at most `--max-subscriptions-per-connection`
//! subscriptions; one more gets an error with code
//! `SUBSCRIPTION_LIMIT_EXCEEDED`, and the others go on.

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

use async_graphql::Data;
use async_graphql::http::{
    ClientMessage, WebSocket as Protocol, WebSocketProtocols as Protocols, WsMessage,
};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::AppState;
use super::graphql::{MediaType, error_response};
use super::persisted::{DocumentRef, Refusal};
use crate::auth::{Principal, Role, bearer};
use crate::domain::Origin;
use crate::error::AppError;
use crate::graphql::RequestData;
use crate::graphql::loaders::{BatchQueue, Loaders};
use crate::graphql::subscription::SubscriberData;
use crate::read::Reader;
use crate::service::visibility;

/// How long a client has to send `connection_init` after the upgrade.
pub const INIT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one message may wait for room in a client's socket before the
/// client counts as too slow.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(5);
/// The subprotocol relgate speaks.
pub const SUBPROTOCOL: &str = "graphql-transport-ws";

/// How many subscriptions a process and a connection may hold.
#[derive(Clone)]
pub struct SubscriptionLimits {
    /// One permit per open WebSocket connection.
    pub connections: Arc<Semaphore>,
    /// Subscriptions per connection.
    pub per_connection: usize,
    /// The most connections.
    max_connections: usize,
    /// Started when the server shuts down: every connection closes with
    /// [`super::server::GOING_AWAY`].
    pub shutdown: super::server::Shutdown,
}

impl SubscriptionLimits {
    /// At most `connections` connections of `per_connection` subscriptions.
    pub fn new(connections: usize, per_connection: usize) -> Self {
        Self {
            connections: Arc::new(Semaphore::new(connections)),
            per_connection,
            max_connections: connections,
            shutdown: super::server::Shutdown::default(),
        }
    }

    /// WebSocket connections open now.
    pub fn open_connections(&self) -> usize {
        self.max_connections
            .saturating_sub(self.connections.available_permits())
    }
}

/// The initial read buffer of a subscriptions socket.
const READ_BUFFER: usize = 1024;

/// Whether the upgrade asks for graphql-transport-ws.
fn speaks_protocol(headers: &HeaderMap) -> bool {
    headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|p| p.trim() == SUBPROTOCOL))
}

/// The upgrade of `/graphql` to a subscriptions socket (the `Origin` is
/// checked by the caller).
pub(super) async fn upgrade(
    state: AppState,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
    media: MediaType,
) -> Response {
    if !speaks_protocol(&headers) {
        return error_response(
            media,
            StatusCode::BAD_REQUEST,
            "WEBSOCKET_NOT_SUPPORTED",
            "relgate's subscriptions speak graphql-transport-ws (the protocol of the npm \
             graphql-ws client): ask for it in Sec-WebSocket-Protocol",
        );
    }
    // Credentials in the upgrade's header, when given, are checked now.
    let header_principal = match headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        None => None,
        Some(value) => match state.auth.authenticate(bearer(Some(value))).await {
            Ok(p) => Some(p),
            Err(e) => {
                let (status, code) = match e {
                    AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, e.code()),
                    _ if e.retry_after().is_some() => (StatusCode::SERVICE_UNAVAILABLE, e.code()),
                    _ => (StatusCode::UNAUTHORIZED, "UNAUTHENTICATED"),
                };
                let mut res = error_response(media, status, code, &e.public_message());
                crate::http::mark_retry_later(res.headers_mut(), code);
                return res;
            }
        },
    };
    let Ok(permit) = state.subscriptions.connections.clone().try_acquire_owned() else {
        return error_response(
            media,
            StatusCode::SERVICE_UNAVAILABLE,
            "SUBSCRIPTION_LIMIT_EXCEEDED",
            "this process holds as many subscription connections as it may \
             (--max-subscription-connections); try another process, or later",
        );
    };
    let request_id = super::request_id(&headers);
    let max_message = state.options.max_body_bytes;
    ws.protocols([SUBPROTOCOL])
        // A client's messages are small: a 1 KiB read buffer (grown for a
        // larger frame) instead of tungstenite's 128 KiB, which it fills
        // with zeros at the first read (10,000 idle connections held 1.5 GiB
        // with it; see benches/README.md). A message may be as large as an
        // HTTP request's body.
        .read_buffer_size(READ_BUFFER)
        .max_message_size(max_message)
        .max_frame_size(max_message)
        .on_upgrade(move |socket| serve(socket, state, header_principal, request_id, permit))
        .into_response()
}

/// What a client's frame is to the connection.
enum Frame {
    /// A text or binary message's bytes.
    Data(Vec<u8>),
    /// A ping or pong (answered by the socket itself).
    Control,
    /// A message larger than the connection accepts.
    TooBig,
    /// A close, or a broken connection.
    End,
}

fn frame(message: Result<Message, axum::Error>) -> Frame {
    match message {
        Ok(Message::Text(t)) => Frame::Data(t.as_bytes().to_vec()),
        Ok(Message::Binary(b)) => Frame::Data(b.to_vec()),
        Ok(Message::Ping(_) | Message::Pong(_)) => Frame::Control,
        Ok(Message::Close(_)) => Frame::End,
        Err(e) => match e.into_inner().downcast_ref::<tungstenite::Error>() {
            Some(tungstenite::Error::Capacity(_)) => Frame::TooBig,
            _ => Frame::End,
        },
    }
}

/// The close of a connection whose client sent too large a message.
const TOO_BIG: (u16, &str) = (1009, "the message is larger than --max-body-bytes");

async fn close(
    socket: &mut futures_util::stream::SplitSink<WebSocket, Message>,
    code: u16,
    reason: &str,
) {
    let frame = Message::Close(Some(CloseFrame {
        code,
        reason: reason.to_owned().into(),
    }));
    let _ = tokio::time::timeout(Duration::from_secs(1), socket.send(frame)).await;
}

/// The caller of `connection_init`'s payload, or of the upgrade's header.
async fn caller(
    state: &AppState,
    payload: &serde_json::Value,
    header: Option<Principal>,
) -> Result<Principal, AppError> {
    let from_payload = ["Authorization", "authorization"]
        .iter()
        .find_map(|k| payload.get(k).and_then(|v| v.as_str()));
    match (from_payload, header) {
        (Some(value), _) => {
            state
                .auth
                .authenticate(bearer(Some(value)).or(Some(value)))
                .await
        }
        (None, Some(p)) => Ok(p),
        // Open mode, asked afresh: a connection lives long.
        (None, None) if state.auth.ignores_credentials().await? => Ok(Principal::open_mode()),
        (None, None) => Err(AppError::Unauthenticated(
            "send Authorization: Bearer <token> in connection_init's payload".to_owned(),
        )),
    }
}

/// Client messages queued for the protocol at most; a client that sends
/// more at once is closed (4429).
const QUEUE: usize = 64;

/// A client message for the protocol: a `subscribe`'s document found by
/// text, `documentId` or APQ hash (as over HTTP, see
/// [`super::persisted`]); anything else as it came. A refused document is
/// answered with an `error` message for its subscription, the text of
/// which is the `Err`.
fn resolve(state: &AppState, bytes: Vec<u8>, admin: bool) -> Result<Vec<u8>, String> {
    let Ok(mut message) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return Ok(bytes);
    };
    if message.get("type").and_then(|t| t.as_str()) != Some("subscribe") {
        return Ok(bytes);
    }
    let id = message.get("id").cloned().unwrap_or_default();
    let refuse = |refusal: Refusal| {
        let (_, code, text) = refusal.parts();
        serde_json::json!({
            "id": id,
            "type": "error",
            "payload": [{ "message": text, "extensions": { "code": code } }],
        })
        .to_string()
    };
    let Some(payload) = message.get_mut("payload").and_then(|p| p.as_object_mut()) else {
        return Ok(bytes);
    };
    let hash = super::graphql::sha256_hash(
        payload
            .get("extensions")
            .and_then(|e| e.get("persistedQuery")),
    )
    .map_err(refuse)?;
    let doc = DocumentRef {
        query: payload
            .get("query")
            .and_then(|q| q.as_str())
            .filter(|q| !q.trim().is_empty())
            .map(str::to_owned),
        document_id: payload
            .remove("documentId")
            .and_then(|d| d.as_str().map(str::to_owned)),
        sha256_hash: hash,
    };
    if let Some(text) = state.persisted.resolve(doc, admin).map_err(refuse)? {
        payload.insert("query".to_owned(), serde_json::Value::String(text));
    }
    Ok(message.to_string().into_bytes())
}

/// One subscriptions connection, until either side closes it.
async fn serve(
    socket: WebSocket,
    state: AppState,
    header_principal: Option<Principal>,
    request_id: Option<String>,
    _permit: OwnedSemaphorePermit,
) {
    let (mut sink, mut incoming) = socket.split();
    let shutdown = state.subscriptions.shutdown.clone();
    let mut going_away = std::pin::pin!(shutdown.started());
    let (away, why) = super::server::GOING_AWAY;
    // The first message: connection_init, with the credentials.
    let first = loop {
        let next = tokio::select! {
            next = tokio::time::timeout(INIT_TIMEOUT, incoming.next()) => next,
            () = &mut going_away => return close(&mut sink, away, why).await,
        };
        match next {
            Err(_) => return close(&mut sink, 4408, "Connection initialisation timeout").await,
            Ok(None) => return,
            Ok(Some(m)) => match frame(m) {
                Frame::End => return,
                Frame::TooBig => return close(&mut sink, TOO_BIG.0, TOO_BIG.1).await,
                Frame::Control => continue,
                Frame::Data(bytes) => break bytes,
            },
        }
    };
    let init = match ClientMessage::from_bytes(first.as_slice()) {
        Ok(ClientMessage::ConnectionInit { payload }) => payload.unwrap_or_default(),
        Ok(_) => return close(&mut sink, 4401, "Unauthorized").await,
        Err(_) => return close(&mut sink, 4400, "the first message must be connection_init").await,
    };
    // Boxed, as a connection lives long and authenticates once: its future
    // would otherwise stay as large as the authentication's for its life.
    let principal = match Box::pin(caller(&state, &init, header_principal)).await {
        Ok(p) => p.via(Origin::Graphql, request_id),
        Err(_) => return close(&mut sink, 4403, "Forbidden").await,
    };
    // Subscriptions resolve one event at a time, outside any request: their
    // loaders start each load at once and cache nothing.
    let vis = visibility(&principal);
    let mut data = Data::default();
    data.insert(RequestData {
        loaders: Loaders::with_reader(
            Reader::new(state.service.store()),
            &state.service,
            vis,
            BatchQueue::immediate(),
        ),
        principal: principal.clone(),
    });
    data.insert(SubscriberData {
        principal: principal.clone(),
        open: Arc::new(AtomicUsize::new(0)),
        max_open: state.subscriptions.per_connection,
    });
    // The client's messages reach the protocol through a short queue, each
    // `subscribe` with its document resolved as over HTTP (by id or hash,
    // trusted documents only when so configured).
    let (to_protocol, from_client) = tokio::sync::mpsc::channel::<Vec<u8>>(QUEUE);
    let _ = to_protocol.try_send(first);
    let messages = futures_util::stream::unfold(from_client, |mut rx| async move {
        rx.recv().await.map(|m| (m, rx))
    });
    let protocol =
        Protocol::new(state.schema.clone(), messages, Protocols::GraphQLWS).connection_data(data);
    let mut protocol = std::pin::pin!(protocol);
    let mut to_protocol = Some(to_protocol);
    let admin = principal.role >= Role::Admin;
    // A token connection ends when its token does.
    let mut ended =
        (principal.name != Principal::open_mode().name).then(|| state.auth.ended_tokens());
    loop {
        let revoked = async {
            match ended.as_mut() {
                Some(rx) => {
                    let _ = rx.wait_for(|names| names.contains(&principal.name)).await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            message = protocol.next() => match message {
                Some(WsMessage::Text(text)) => {
                    let sent = tokio::time::timeout(SEND_TIMEOUT, sink.send(Message::Text(text.into()))).await;
                    match sent {
                        Ok(Ok(())) => {}
                        Ok(Err(_)) => return,
                        Err(_) => {
                            state.service.metrics().subscriber_dropped();
                            return close(&mut sink, 4008, "the subscriber reads too slowly").await;
                        }
                    }
                }
                Some(WsMessage::Close(code, reason)) => return close(&mut sink, code, &reason).await,
                None => return close(&mut sink, 1000, "").await,
            },
            () = revoked => return close(&mut sink, 4403, "the token was revoked or has expired").await,
            () = &mut going_away => return close(&mut sink, away, why).await,
            message = incoming.next(), if to_protocol.is_some() => match message.map_or(Frame::End, frame) {
                // The client is gone: the protocol ends once it has no input.
                Frame::End => to_protocol = None,
                Frame::TooBig => return close(&mut sink, TOO_BIG.0, TOO_BIG.1).await,
                Frame::Control => {}
                Frame::Data(bytes) => match resolve(&state, bytes, admin) {
                    Ok(bytes) => {
                        let full = to_protocol.as_ref().is_some_and(|tx| tx.try_send(bytes).is_err());
                        if full {
                            return close(&mut sink, 4429, "too many messages at once").await;
                        }
                    }
                    Err(refused) => {
                        if sink.send(Message::Text(refused.into())).await.is_err() {
                            return;
                        }
                    }
                },
            },
        }
    }
}
