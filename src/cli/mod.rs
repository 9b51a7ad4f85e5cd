//! Subcommands of the `msi-hub` binary that do more than call one app function.

pub mod import;
