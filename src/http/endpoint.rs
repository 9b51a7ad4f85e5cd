//! `POST /graphql`: the bearer token first (no body is read without a valid one), then the
//! request (one operation, or a bounded batch of them), its persisted documents resolved,
//! executed within its time limit, answered within its size limit, counted.

use std::time::Instant;

use async_graphql::{BatchRequest, ParseRequestError};
use async_graphql_axum::GraphQLBatchRequest;
use axum::extract::{FromRequest, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::reply::error;
use super::{HttpState, MAX_BATCH, MAX_BODY_BYTES, MAX_RESPONSE_BYTES, MAX_UPLOAD_BYTES};
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

/// `GET /graphql`: a query in the URL (`?query=...&variables=...&operationName=...`, or a
/// persisted query's hash in `extensions=`), run as `POST` runs it; otherwise GraphiQL.
pub async fn graphql_get(
    state: State<HttpState>,
    headers: HeaderMap,
    request: Request,
) -> Response {
    let asks = request.uri().query().is_some_and(|q| {
        q.split('&')
            .any(|p| p.starts_with("query=") || p.starts_with("extensions="))
    });
    if !asks {
        return super::graphiql::page(state).await;
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
    let span = tracing::Span::current();
    span.record("role", principal.role.as_str());
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
    let batch = match GraphQLBatchRequest::<BadRequest>::from_request(request, &state).await {
        Ok(r) => r.into_inner(),
        Err(rejection) => return rejection.into_response(),
    };
    let (requests, single) = match batch {
        BatchRequest::Single(r) => (vec![r], true),
        BatchRequest::Batch(v) => (v, false),
    };
    if requests.len() > MAX_BATCH {
        return error(
            StatusCode::BAD_REQUEST,
            "BATCH_TOO_LARGE",
            &format!(
                "a batch holds {} operations; at most {MAX_BATCH} are allowed (split it)",
                requests.len()
            ),
            json!({ "limit": MAX_BATCH }),
        );
    }
    // One time limit for the whole batch: its operations run one after another.
    let timeout = std::time::Duration::from_secs(state.app.settings.request_timeout_secs);
    let run = async {
        let mut answers = Vec::with_capacity(requests.len());
        let mut names = Vec::with_capacity(requests.len());
        for request in requests {
            let op_started = Instant::now();
            let (name, response) = answer(&state, request, by_get, &principal).await?;
            record(&state, &name, &response, op_started.elapsed().as_secs_f64());
            names.push(name);
            answers.push(response);
        }
        Ok::<_, Response>((names, answers))
    };
    let (names, answers) = match tokio::time::timeout(timeout, run).await {
        Ok(Ok(done)) => done,
        Ok(Err(refused)) => return refused,
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
    span.record("operation", names.join(",").as_str());
    let serialised = if single {
        serde_json::to_vec(&answers[0])
    } else {
        serde_json::to_vec(&answers)
    };
    let body = match serialised {
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

/// One operation of a request: its persisted document resolved, run with the caller's
/// rights; the label of its name (metrics, logs) and its answer. A mutation sent by GET
/// refuses the whole request (405).
async fn answer(
    state: &HttpState,
    mut request: async_graphql::Request,
    by_get: bool,
    principal: &crate::auth::Principal,
) -> Result<(String, async_graphql::Response), Response> {
    if let Err(e) = state.persisted.resolve(&mut request, &principal.sub) {
        let name = state
            .app
            .metrics
            .operation_label(request.operation_name.as_deref());
        return Ok((name, async_graphql::Response::from_errors(vec![e])));
    }
    state.documents.prepare(&mut request);
    let name = state
        .app
        .metrics
        .operation_label(operation_name(&mut request).as_deref());
    // A GET may be repeated, cached or prefetched: it only reads.
    if by_get && writes(&mut request) {
        return Err(error(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            "a GET request runs queries only: send mutations and subscriptions by POST",
            serde_json::Value::Null,
        ));
    }
    let request = graphql::prepare(request, &state.app, principal.clone());
    Ok((name, graphql::execute(&state.schema, request).await))
}

/// The operation's name: the one asked for, or the document's only operation's.
fn operation_name(request: &mut async_graphql::Request) -> Option<String> {
    if let Some(name) = &request.operation_name {
        return Some(name.clone());
    }
    let doc = request.parsed_query().ok()?;
    let mut ops = doc.operations.iter();
    match (ops.next(), ops.next()) {
        (Some((name, _)), None) => name.map(|n| n.to_string()),
        _ => None,
    }
}

/// Counts an answered operation (metrics).
fn record(state: &HttpState, name: &str, response: &async_graphql::Response, seconds: f64) {
    use crate::metrics::Outcome;
    let outcome = match (
        response.errors.is_empty(),
        response.data == async_graphql::Value::Null,
    ) {
        (true, _) => Outcome::Ok,
        (false, false) => Outcome::Partial,
        (false, true) => Outcome::Error,
    };
    let codes: Vec<&str> = response
        .errors
        .iter()
        .map(
            |e| match e.extensions.as_ref().and_then(|x| x.get("code")) {
                Some(async_graphql::Value::String(c)) => c.as_str(),
                _ => "UNCODED",
            },
        )
        .collect();
    state
        .app
        .metrics
        .request(name.to_string(), outcome, seconds, &codes);
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
