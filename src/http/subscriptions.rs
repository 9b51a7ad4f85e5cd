//! `GET /graphql/ws`: GraphQL subscriptions over WebSocket (`graphql-transport-ws`, and the
//! older `graphql-ws`). The token comes in the `connection_init` payload
//! (`{"Authorization": "Bearer <token>"}`; browsers cannot set headers on a WebSocket), or
//! in the upgrade request's `Authorization` header.

use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql::Data;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::{State, WebSocketUpgrade};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};

use super::endpoint::authenticate;
use super::HttpState;
use crate::app::App;
use crate::auth::Principal;

pub async fn graphql_ws(
    State(state): State<HttpState>,
    headers: HeaderMap,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    // A token in the header is checked before the upgrade: a bad one is a 401.
    let from_header = match headers.contains_key(header::AUTHORIZATION) {
        true => match authenticate(&state, &headers) {
            Ok(p) => Some(p),
            Err(refused) => return *refused,
        },
        false => None,
    };
    let (app, schema) = (state.app.clone(), state.schema.clone());
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            GraphQLWebSocket::new(socket, schema, protocol)
                .on_connection_init(move |payload| async move {
                    let principal = match from_header {
                        Some(p) => p,
                        None => principal_of(&app, &payload)?,
                    };
                    let mut data = Data::default();
                    data.insert(principal);
                    Ok(data)
                })
                .serve()
        })
        .into_response()
}

/// The caller of a connection, from its `connection_init` payload; an error closes it.
fn principal_of(app: &App, payload: &serde_json::Value) -> async_graphql::Result<Principal> {
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
    app.verifier().verify_header(&value).map_err(|e| {
        tracing::info!(reason = %e, "subscription token refused");
        async_graphql::Error::new(format!("token refused: {e}"))
    })
}
