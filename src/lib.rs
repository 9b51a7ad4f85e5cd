//! MSI Hub: dealers' monthly MSI reports, checked and stored, served over GraphQL.

pub mod app;
pub mod auth;
pub mod config;
pub mod domain;
pub mod files;
pub mod generator;
pub mod graphql;
pub mod http;
pub mod metrics;
pub mod store;
