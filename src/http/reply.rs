//! GraphQL-shaped error answers at the HTTP edge: every one JSON, with `extensions.code`.

use std::any::Any;

use axum::http::{header, HeaderValue, Response, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde_json::{json, Value};

/// An app error as an HTTP answer, coded as GraphQL codes it.
pub fn app_error(e: crate::app::AppError) -> axum::response::Response {
    use crate::app::AppError;
    let (status, code) = match &e {
        AppError::NotFound(_) => (StatusCode::NOT_FOUND, "NOT_FOUND"),
        AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "FORBIDDEN"),
        AppError::Conflict { .. } => (StatusCode::CONFLICT, "CONFLICT"),
        AppError::Invalid { .. } => (StatusCode::BAD_REQUEST, "BAD_USER_INPUT"),
        AppError::Internal(err) => {
            tracing::error!(error = ?err, "internal error");
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL",
                "internal error: it has been logged",
                Value::Null,
            );
        }
    };
    error(status, code, &e.to_string(), Value::Null)
}

/// An error answer: `{"errors":[{"message", "extensions": {"code", ...extra}}]}`.
pub fn error(
    status: StatusCode,
    code: &str,
    message: &str,
    extra: Value,
) -> axum::response::Response {
    let mut extensions = json!({ "code": code });
    if let (Some(e), Value::Object(more)) = (extensions.as_object_mut(), extra) {
        e.extend(more);
    }
    let body = json!({ "errors": [{ "message": message, "extensions": extensions }] });
    let mut response = (status, Json(body)).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

/// The answer to a request whose handling panicked (logged; the client learns nothing more).
pub fn panicked(err: Box<dyn Any + Send + 'static>) -> Response<axum::body::Body> {
    let what = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!(panic = what, "a request panicked; answered INTERNAL");
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "INTERNAL",
        "internal error: it has been logged",
        Value::Null,
    )
}
