//! The one place where application errors become GraphQL errors (with `extensions.code`).

use async_graphql::ErrorExtensions;

use crate::app::AppError;

/// Maps an [`AppError`] to a GraphQL error with a stable `code` extension.
pub fn to_gql(e: AppError) -> async_graphql::Error {
    let (code, message) = match &e {
        AppError::NotFound(_) => ("NOT_FOUND", e.to_string()),
        AppError::Forbidden(_) => ("FORBIDDEN", e.to_string()),
        AppError::Conflict { .. } => ("CONFLICT", e.to_string()),
        AppError::Invalid { .. } => ("BAD_USER_INPUT", e.to_string()),
        AppError::Internal(source) => {
            tracing::error!(error = ?source, "internal error");
            ("INTERNAL", "internal error: it has been logged".to_string())
        }
    };
    async_graphql::Error::new(message).extend_with(|_, ext| {
        ext.set("code", code);
        match &e {
            AppError::Conflict {
                current_revision: Some(r),
                ..
            } => ext.set("currentRevision", *r),
            AppError::Invalid { field, .. } => ext.set("field", field.as_str()),
            _ => {}
        }
    })
}

/// `.gql()` on results of application operations: never let `?` convert an `AppError`
/// through async-graphql's blanket conversion, which would drop the code.
pub trait GqlResult<T> {
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T> GqlResult<T> for Result<T, AppError> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(to_gql)
    }
}

impl<T> GqlResult<T> for Result<T, crate::store::StoreError> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(|e| to_gql(e.into()))
    }
}

/// A `FORBIDDEN` error.
pub fn forbidden(message: impl Into<String>) -> async_graphql::Error {
    to_gql(AppError::Forbidden(message.into()))
}

/// An error a dataloader shares between the fields that asked (one mapping for all).
pub fn shared(e: std::sync::Arc<AppError>) -> async_graphql::Error {
    let e = match e.as_ref() {
        AppError::NotFound(m) => AppError::NotFound(m.clone()),
        AppError::Forbidden(m) => AppError::Forbidden(m.clone()),
        AppError::Invalid { field, message } => AppError::invalid(field, message.clone()),
        AppError::Conflict {
            message,
            current_revision,
        } => AppError::Conflict {
            message: message.clone(),
            current_revision: *current_revision,
        },
        AppError::Internal(source) => AppError::Internal(anyhow::anyhow!("{source:#}")),
    };
    to_gql(e)
}
