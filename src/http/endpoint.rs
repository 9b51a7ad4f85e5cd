//! `POST /graphql`: the bearer token first (no body is read without a valid one), then the
//! request, executed within its time limit, answered within its size limit.

use async_graphql::ParseRequestError;
use async_graphql_axum::GraphQLRequest;
use axum::extract::{FromRequest, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::reply::error;
use super::{HttpState, MAX_BODY_BYTES, MAX_RESPONSE_BYTES, MAX_UPLOAD_BYTES};
use crate::auth::{AuthError, Principal};
use crate::domain::text::excerpt;
use crate::graphql;

/// A request body that is not a GraphQL request: a JSON error, never plain text.
pub struct BadRequest(ParseRequestError);

impl From<ParseRequestError> for BadRequest {
    fn from(e: ParseRequestError) -> Self {
        BadRequest(e)
    }
}

impl IntoResponse for BadRequest {
    fn into_response(self) -> Response {
        match self.0 {
            ParseRequestError::PayloadTooLarge => error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "PAYLOAD_TOO_LARGE",
                &format!("the request body exceeds its limit: {MAX_BODY_BYTES} bytes, {MAX_UPLOAD_BYTES} for a file upload (multipart)"),
                json!({ "limit": MAX_BODY_BYTES, "uploadLimit": MAX_UPLOAD_BYTES }),
            ),
            e => {
                // The body limit shows as an I/O error of the body stream.
                let text = e.to_string();
                if text.contains("length limit exceeded") {
                    return BadRequest(ParseRequestError::PayloadTooLarge).into_response();
                }
                error(
                    StatusCode::BAD_REQUEST,
                    "BAD_REQUEST",
                    &format!(
                        "the body is not a GraphQL request (JSON with `query`, optional `variables` and `operationName`): {}",
                        excerpt(&text)
                    ),
                    serde_json::Value::Null,
                )
            }
        }
    }
}

/// The caller of a request, from its bearer token; a 401 answer without one.
pub(super) fn authenticate(
    state: &HttpState,
    headers: &HeaderMap,
) -> Result<Principal, Box<Response>> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(Box::new(error(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "authentication required: send `Authorization: Bearer <token>` (see `msi-hub token`)",
            serde_json::Value::Null,
        )));
    };
    value
        .to_str()
        .map_err(|_| AuthError::BadHeader)
        .and_then(|v| state.app.verifier().verify_header(v))
        .map_err(|e| {
            tracing::info!(reason = %e, "token refused");
            Box::new(error(
                StatusCode::UNAUTHORIZED,
                "UNAUTHENTICATED",
                &format!("token refused: {e}"),
                serde_json::Value::Null,
            ))
        })
}

/// `GET /graphql`: a query in the URL (`?query=...&variables=...&operationName=...`), run as
/// `POST` runs it; without `query`, GraphiQL.
pub async fn graphql_get(
    state: State<HttpState>,
    headers: HeaderMap,
    request: Request,
) -> Response {
    let asks = request
        .uri()
        .query()
        .is_some_and(|q| q.split('&').any(|p| p.starts_with("query=")));
    if !asks {
        return super::health::graphiql().await.into_response();
    }
    graphql_endpoint(state, headers, request).await
}

pub async fn graphql_endpoint(
    State(state): State<HttpState>,
    headers: HeaderMap,
    request: Request,
) -> Response {
    let principal = match authenticate(&state, &headers) {
        Ok(p) => p,
        Err(refused) => return *refused,
    };
    // Only a file upload (the multipart request spec) may be larger than a request.
    let upload = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let limit = if upload {
        MAX_UPLOAD_BYTES
    } else {
        MAX_BODY_BYTES
    };
    let (parts, body) = request.into_parts();
    let by_get = parts.method == axum::http::Method::GET;
    let request = Request::from_parts(
        parts,
        axum::body::Body::new(http_body_util::Limited::new(body, limit)),
    );
    let mut request = match GraphQLRequest::<BadRequest>::from_request(request, &state).await {
        Ok(r) => r.into_inner(),
        Err(rejection) => return rejection.into_response(),
    };
    // A GET may be repeated, cached or prefetched: it only reads.
    if by_get && writes(&mut request) {
        return error(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            "a GET request runs queries only: send mutations and subscriptions by POST",
            serde_json::Value::Null,
        );
    }
    let request = graphql::prepare(request, &state.app, principal);
    let timeout = std::time::Duration::from_secs(state.app.settings.request_timeout_secs);
    let response =
        match tokio::time::timeout(timeout, graphql::execute(&state.schema, request)).await {
            Ok(r) => r,
            Err(_) => {
                return error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "TIMEOUT",
                    &format!(
                        "the request ran longer than {} s and was stopped: ask for less at once",
                        timeout.as_secs()
                    ),
                    json!({ "limitSeconds": timeout.as_secs() }),
                )
            }
        };
    let body = match serde_json::to_vec(&response) {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "a response could not be serialised");
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL",
                "internal error: it has been logged",
                serde_json::Value::Null,
            );
        }
    };
    if body.len() > MAX_RESPONSE_BYTES {
        return error(
            StatusCode::OK,
            "RESPONSE_TOO_LARGE",
            &format!(
                "the answer would be {} bytes, more than the {MAX_RESPONSE_BYTES} allowed: ask for smaller pages",
                body.len()
            ),
            json!({ "limit": MAX_RESPONSE_BYTES }),
        );
    }
    let mut out = (StatusCode::OK, body).into_response();
    out.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    out
}

/// Whether the request's document holds a mutation or a subscription (a document that does
/// not parse is left to the execution, which reports it).
fn writes(request: &mut async_graphql::Request) -> bool {
    use async_graphql::parser::types::OperationType;
    request.parsed_query().is_ok_and(|doc| {
        doc.operations
            .iter()
            .any(|(_, op)| op.node.ty != OperationType::Query)
    })
}
