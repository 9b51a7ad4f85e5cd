//! MSI Hub: dealers' monthly MSI reports, checked and stored, served over GraphQL.

pub mod auth;
pub mod domain;
pub mod store;
