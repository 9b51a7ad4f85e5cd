//! Configuration: every setting is a command-line flag that can also come from the environment.

use std::path::PathBuf;

use chrono::{DateTime, FixedOffset, Utc};

/// Settings shared by every subcommand.
#[derive(Debug, Clone, clap::Args)]
pub struct Settings {
    /// Database URL: `sqlite://FILE` (created if missing) or `postgres://...`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://msi-hub.db",
        global = true
    )]
    pub database_url: String,

    /// HS256 secret for bearer tokens. Without it (and without a public key) a random
    /// development secret is generated once and kept in the database.
    #[arg(long, env = "MSI_JWT_SECRET", hide_env_values = true, global = true)]
    pub jwt_secret: Option<String>,

    /// PEM file with the RSA public key of the identity provider: tokens are then RS256.
    #[arg(long, env = "MSI_JWT_PUBLIC_KEY", global = true)]
    pub jwt_public_key: Option<PathBuf>,

    /// JSON Web Key Set file of the identity provider (RS256): the token's `kid` chooses the
    /// key, so keys can rotate. Exclusive with MSI_JWT_SECRET and MSI_JWT_PUBLIC_KEY.
    #[arg(long, env = "MSI_JWT_JWKS", global = true)]
    pub jwt_jwks: Option<PathBuf>,

    /// Seconds of clock skew allowed on a token's `exp`, `nbf` and `iat` (at most 300).
    #[arg(long, env = "MSI_JWT_LEEWAY_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(0..=300), global = true)]
    pub jwt_leeway_secs: u64,

    /// Required `iss` of tokens, when set.
    #[arg(long, env = "MSI_JWT_ISSUER", global = true)]
    pub jwt_issuer: Option<String>,

    /// Required `aud` of tokens, when set.
    #[arg(long, env = "MSI_JWT_AUDIENCE", global = true)]
    pub jwt_audience: Option<String>,

    /// Day of the following month by which a report is due; later first submissions are late.
    #[arg(long, env = "MSI_DEADLINE_DAY", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=28), global = true)]
    pub deadline_day: u32,

    /// The OEM's time zone as an offset from UTC in hours (months and deadlines are reckoned in it).
    #[arg(long, env = "MSI_UTC_OFFSET_HOURS", default_value_t = 8, value_parser = clap::value_parser!(i32).range(-12..=14), global = true)]
    pub utc_offset_hours: i32,

    /// Smallest group whose aggregates a dealer user may see (smaller ones are withheld,
    /// so that no single dealer's figures can be inferred).
    #[arg(long, env = "MSI_MIN_GROUP_SIZE", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..), global = true)]
    pub min_group_size: u32,

    /// Largest share (0–1) of a group's denominator one dealer may carry before the group's
    /// figures are withheld from dealer users (the dominance rule).
    #[arg(long, env = "MSI_DOMINANCE_SHARE", default_value_t = 0.6, value_parser = parse_share, global = true)]
    pub dominance_share: f64,

    /// Days after a month's deadline at which it is published to dealer users (its close).
    #[arg(long, env = "MSI_PUBLICATION_GRACE_DAYS", default_value_t = 5, value_parser = clap::value_parser!(u32).range(0..=60), global = true)]
    pub publication_grace_days: u32,

    /// Months of KPI facts `serve` loads into memory at start, ending last month (0: none;
    /// months are otherwise loaded on first use).
    #[arg(long, env = "MSI_WARM_MONTHS", default_value_t = 36, global = true)]
    pub warm_months: u32,

    /// Memory budget of the in-memory KPI cache, in MiB (months of facts, computed results
    /// and scorecard digests; the least recently used go first). 368 holds 36 months of
    /// 10,000 dealers.
    #[arg(long, env = "MSI_KPI_CACHE_MIB", default_value_t = 368, value_parser = clap::value_parser!(u64).range(16..=1_048_576), global = true)]
    pub kpi_cache_mib: u64,

    /// Longest a GraphQL request may run before it is stopped with a `TIMEOUT` error.
    #[arg(long, env = "MSI_REQUEST_TIMEOUT_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=600), global = true)]
    pub request_timeout_secs: u64,

    /// Longest a client may take to send a request's headers, and longest a connection may
    /// stay idle between requests.
    #[arg(long, env = "MSI_HEADER_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600), global = true)]
    pub header_timeout_secs: u64,

    /// Most connections open at once (more wait to be accepted).
    #[arg(long, env = "MSI_MAX_CONNECTIONS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=1_000_000), global = true)]
    pub max_connections: u64,

    /// Whether GraphQL introspection (`__schema`, `__type`) answers: production may switch it
    /// off (`--introspection false`) so that only clients who have the schema can explore it.
    #[arg(long, env = "MSI_INTROSPECTION", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    pub introspection: bool,

    /// Origins a browser may call the API from (CORS), comma-separated, e.g.
    /// `https://bi.example.com`; `*` for any (tokens travel in a header, never in cookies).
    /// None by default: browsers then only reach the API from its own origin.
    #[arg(long, env = "MSI_CORS_ORIGINS", value_delimiter = ',', value_parser = parse_origin, global = true)]
    pub cors_origins: Vec<String>,

    /// Production: only the operations of this persisted query manifest run (Apollo's
    /// `apollo-persisted-query-manifest` JSON), sent in full or by their SHA-256.
    #[arg(long, env = "MSI_ALLOW_LIST", value_parser = crate::graphql::AllowList::load, global = true)]
    pub allow_list: Option<crate::graphql::AllowList>,

    /// Log format: `text` (coloured on a terminal only) or `json` (one object per line).
    #[arg(long, env = "MSI_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,

    /// Pretend the time is this RFC 3339 instant (demos and tests).
    #[arg(long, env = "MSI_NOW", global = true)]
    pub now: Option<DateTime<Utc>>,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines, coloured when standard error is a terminal.
    Text,
    /// One JSON object per line (log collectors).
    Json,
}

impl Settings {
    /// Settings with defaults and a database URL (tests, tools).
    pub fn for_database(database_url: &str) -> Settings {
        Settings {
            database_url: database_url.to_string(),
            jwt_secret: None,
            jwt_public_key: None,
            jwt_jwks: None,
            jwt_leeway_secs: 30,
            jwt_issuer: None,
            jwt_audience: None,
            deadline_day: 10,
            utc_offset_hours: 8,
            min_group_size: 5,
            dominance_share: 0.6,
            publication_grace_days: 5,
            warm_months: 0,
            kpi_cache_mib: 368,
            request_timeout_secs: 30,
            header_timeout_secs: 10,
            max_connections: 1000,
            cors_origins: Vec::new(),
            introspection: true,
            allow_list: None,
            log_format: LogFormat::Text,
            now: None,
        }
    }

    pub fn offset(&self) -> FixedOffset {
        FixedOffset::east_opt(self.utc_offset_hours * 3600).expect("offset range checked by clap")
    }

    /// The file of a SQLite database URL (`None` for PostgreSQL or a database in memory).
    pub fn sqlite_file(&self) -> Option<PathBuf> {
        use std::str::FromStr;
        if !self.database_url.starts_with("sqlite:") || self.database_url.contains(":memory:") {
            return None;
        }
        let options = sqlx::sqlite::SqliteConnectOptions::from_str(&self.database_url).ok()?;
        Some(options.get_filename().to_path_buf())
    }

    /// The database URL without its password, for logs.
    pub fn redacted_database_url(&self) -> String {
        redact(&self.database_url)
    }
}

/// A browser origin (`scheme://host[:port]`, nothing after) or `*`.
fn parse_origin(s: &str) -> Result<String, String> {
    let s = s.trim();
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    match rest {
        _ if s == "*" => Ok(s.to_string()),
        Some(host)
            if !host.is_empty()
                && !host.contains(['/', '?', '#', ' '])
                && axum::http::HeaderValue::from_str(s).is_ok() =>
        {
            Ok(s.to_string())
        }
        _ => Err(format!(
            "`{s}` is not an origin: write scheme://host[:port] (e.g. https://bi.example.com), or *"
        )),
    }
}

/// A share in (0, 1].
fn parse_share(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x > 0.0 && x <= 1.0 => Ok(x),
        _ => Err(format!("`{s}` is not a share between 0 (excluded) and 1")),
    }
}

/// Removes the password of a URL (`postgres://u:secret@h/db` → `postgres://u:***@h/db`).
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(_) => url.to_string(),
        Err(_) => "<unparsable database URL>".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact("postgres://u:s3cret@localhost:5432/db"),
            "postgres://u:***@localhost:5432/db"
        );
        assert_eq!(redact("sqlite://msi-hub.db"), "sqlite://msi-hub.db");
        assert!(!redact("postgres://u:p%40ss@h/db").contains("p%40ss"));
    }

    #[test]
    fn an_origin_is_a_scheme_and_a_host_or_a_star() {
        for ok in ["https://bi.example.com", "http://localhost:8088", "*"] {
            assert_eq!(parse_origin(ok).as_deref(), Ok(ok));
        }
        for bad in [
            "bi.example.com",
            "https://",
            "https://bi.example.com/",
            "ftp://x",
            "https://a b",
        ] {
            let e = parse_origin(bad).unwrap_err();
            assert!(e.contains("is not an origin"), "{bad}: {e}");
        }
    }
}
