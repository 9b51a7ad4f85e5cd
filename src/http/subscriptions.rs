//! `GET /graphql/ws`: GraphQL subscriptions over WebSocket (`graphql-transport-ws`, and the
//! older `graphql-ws`). The token comes in the `connection_init` payload
//! (`{"Authorization": "Bearer <token>"}`; browsers cannot set headers on a WebSocket), or
//! in the upgrade request's `Authorization` header. A subscription ends when its token
//! expires: the client reconnects with a new one.

use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql::Data;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::{State, WebSocketUpgrade};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::reply::error;
use super::HttpState;
use crate::app::App;
use crate::auth::{AuthError, Principal, SessionEnd};

pub async fn graphql_ws(
    State(state): State<HttpState>,
    headers: HeaderMap,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    // A token in the header is checked before the upgrade: a bad one is a 401.
    let from_header = match headers.get(header::AUTHORIZATION) {
        Some(value) => match value
            .to_str()
            .map_err(|_| AuthError::BadHeader)
            .and_then(|v| state.app.verifier().verify_session(v))
        {
            Ok(session) => Some(session),
            Err(e) => {
                return error(
                    StatusCode::UNAUTHORIZED,
                    "UNAUTHENTICATED",
                    &format!("token refused: {e}"),
                    serde_json::Value::Null,
                )
            }
        },
        None => None,
    };
    let (app, schema) = (state.app.clone(), state.schema.clone());
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            GraphQLWebSocket::new(socket, schema, protocol)
                .on_connection_init(move |payload| async move {
                    let (principal, end) = match from_header {
                        Some(session) => session,
                        None => session_of(&app, &payload)?,
                    };
                    let mut data = Data::default();
                    data.insert(principal);
                    data.insert(end);
                    Ok(data)
                })
                .serve()
        })
        .into_response()
}

/// The caller of a connection and when its token ends, from its `connection_init`
/// payload; an error closes the connection.
fn session_of(
    app: &App,
    payload: &serde_json::Value,
) -> async_graphql::Result<(Principal, SessionEnd)> {
    let text = |key: &str| payload.get(key).and_then(|v| v.as_str());
    let value = text("Authorization")
        .or_else(|| text("authorization"))
        .map(str::to_string)
        .or_else(|| text("token").map(|t| format!("Bearer {t}")))
        .ok_or_else(|| {
            async_graphql::Error::new(
                "authentication required: send {\"Authorization\": \"Bearer <token>\"} as the payload of connection_init",
            )
        })?;
    app.verifier().verify_session(&value).map_err(|e| {
        tracing::info!(reason = %e, "subscription token refused");
        async_graphql::Error::new(format!("token refused: {e}"))
    })
}
