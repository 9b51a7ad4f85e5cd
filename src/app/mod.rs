//! The application: the store, the settings, the clock and the token verifier, and the
//! operations the GraphQL layer calls. Authorization happens before these are called
//! (GraphQL guards); the operations enforce the business rules.

mod actions;
mod cache;
mod catalog;
mod events;
mod health;
mod import;
mod kpi;
mod load;
mod meeting;
mod network;
mod pack;
mod peers;
mod publication;
mod reports;
mod sign_in;
mod targets;
mod visibility;
mod workbook;

pub use actions::{subject_kpi, ActionInput, ActionPatch, Measured};
pub use cache::{KpiCache, View};
pub use catalog::CatalogUpgrade;
pub use import::{CellViolation, ImportMode, ImportOptions, ImportSummary, RowOutcome, RowResult};
pub use kpi::{
    BenchmarksView, FactAsk, GroupValue, OwnValue, RankingLine, RankingView, ScorecardLine,
    ScorecardView, TrendPoint,
};
pub use load::LoadSummary;
pub use meeting::{Agenda, DealerExceptions, Exception, ExceptionKind, ExceptionsView};
pub use network::{DealerInput, DealerPatch};
pub use pack::{MeetingPack, PackFormat, PACK_KPIS};
pub use publication::{MonthPublication, PublicationState};
pub use reports::{Outcome, StatusCounts, SubmissionStatus, SubmitOutcome};
pub use sign_in::DemoUser;
pub use targets::{ItemProgress, RegionProgress, TargetChange};
pub use visibility::{status_filter, GroupFigures, Viewer};
pub use workbook::{WorkbookAction, WorkbookOutcome};

use std::sync::Arc;

use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use rand::RngCore;

use crate::auth::{JwtConfig, JwtIssuer, JwtVerifier};
use crate::config::Settings;
use crate::domain::Month;
use crate::store::prelude::*;
use crate::store::{self, StoreError};

/// An error of an operation, typed so the edge can map it once (GraphQL extensions `code`).
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
    /// A stale `expectedRevision`, or a write that contradicts the current state.
    #[error("{message}")]
    Conflict {
        message: String,
        current_revision: Option<i32>,
    },
    /// A bad argument outside the report's own rules (which are returned as violations).
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> AppError {
        AppError::Invalid {
            field: field.to_string(),
            message: message.into(),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => AppError::NotFound(format!("{what} not found")),
            StoreError::Conflict(message) => AppError::Conflict {
                message,
                current_revision: None,
            },
            other => AppError::Internal(other.into()),
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// The running application, shared by every request.
pub struct App {
    store: Arc<dyn Store>,
    pub settings: Settings,
    verifier: JwtVerifier,
    /// Per dealer-month KPI pairs in memory, kept in step through the change log.
    cache: KpiCache,
    /// The meeting views' reads from the database, while they stay current.
    meeting: meeting::MeetingMemo,
    /// False while `serve` warms the KPI cache: `/readyz` then answers 503.
    pub ready: std::sync::atomic::AtomicBool,
    /// The HS256 secret, when tokens are HS256 (the `token` command signs with it).
    hs256_secret: Option<Vec<u8>>,
    /// Requests, errors and reports counted for `/metrics`.
    pub metrics: crate::metrics::Metrics,
    /// This replica's subscribers to submission events.
    events: events::EventBus,
}

/// Settings key of the generated development secret.
const DEV_SECRET_KEY: &str = "dev_jwt_secret";

impl App {
    /// Connects, runs pending migrations, recomputes the facts if the KPI catalog changed, and
    /// prepares token verification.
    pub async fn open(settings: Settings) -> anyhow::Result<App> {
        let store = store::connect(&settings.database_url).await?;
        store.migrate().await?;
        // Statistics, once: SQLite keeps them in the file (PostgreSQL keeps its own up to date).
        if store.backend() == store::Backend::Sqlite && !store.has_statistics().await? {
            store.analyze().await?;
        }
        let app = Self::with_store(settings, store).await?;
        app.upgrade_catalog()
            .await
            .map_err(|e| anyhow::anyhow!("upgrading the KPI facts to this catalog: {e}"))?;
        Ok(app)
    }

    /// Builds the app on an open, migrated store.
    pub async fn with_store(settings: Settings, store: Arc<dyn Store>) -> anyhow::Result<App> {
        let (public_key, jwks) = (&settings.jwt_public_key, &settings.jwt_jwks);
        if jwks.is_some() && (settings.jwt_secret.is_some() || public_key.is_some()) {
            anyhow::bail!(
                "MSI_JWT_JWKS excludes MSI_JWT_SECRET and MSI_JWT_PUBLIC_KEY: set one of them"
            );
        }
        let hs256_secret = match (&settings.jwt_secret, public_key.is_some() || jwks.is_some()) {
            (Some(s), _) => Some(s.as_bytes().to_vec()),
            (None, true) => None,
            (None, false) => {
                let mut bytes = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut bytes);
                let fresh: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
                tracing::warn!("MSI_JWT_SECRET is not set: using the development secret kept in the database (set MSI_JWT_SECRET, MSI_JWT_PUBLIC_KEY or MSI_JWT_JWKS in production)");
                Some(
                    store
                        .setting_or_insert(DEV_SECRET_KEY, &fresh)
                        .await?
                        .into_bytes(),
                )
            }
        };
        let read = |name: &str, path: &std::path::Path| {
            std::fs::read(path)
                .map_err(|e| anyhow::anyhow!("cannot read {name} {}: {e}", path.display()))
        };
        let config = match (public_key, jwks) {
            (Some(path), _) => JwtConfig::Rs256 {
                public_key_pem: read("MSI_JWT_PUBLIC_KEY", path)?,
            },
            (None, Some(path)) => JwtConfig::Jwks {
                jwks_json: read("MSI_JWT_JWKS", path)?,
            },
            (None, None) => JwtConfig::Hs256 {
                secret: hs256_secret.clone().expect("secret resolved above"),
            },
        };
        let verifier = JwtVerifier::new(
            &config,
            settings.jwt_issuer.as_deref(),
            settings.jwt_audience.as_deref(),
            settings.jwt_leeway_secs,
        )
        .map_err(anyhow::Error::msg)?;
        let cache = KpiCache::new(cache::Budget::of_mib(settings.kpi_cache_mib as usize));
        Ok(App {
            store,
            settings,
            verifier,
            cache,
            meeting: Default::default(),
            ready: std::sync::atomic::AtomicBool::new(true),
            hs256_secret,
            metrics: Default::default(),
            events: Default::default(),
        })
    }

    /// Tests: the next change to the KPI cache panics while holding its lock.
    #[cfg(feature = "fault-injection")]
    pub fn inject_cache_panic(&self) {
        self.cache
            .panic_in_lock
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn verifier(&self) -> &JwtVerifier {
        &self.verifier
    }

    /// A signer for development tokens; none when tokens are RS256 and no secret is set.
    pub fn issuer(&self) -> Option<JwtIssuer> {
        let s = &self.settings;
        self.hs256_secret
            .as_deref()
            .filter(|_| s.jwt_public_key.is_none())
            .map(|secret| JwtIssuer::hs256(secret, s.jwt_issuer.clone(), s.jwt_audience.clone()))
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.settings.now.unwrap_or_else(Utc::now)
    }

    pub fn now_ms(&self) -> i64 {
        self.now().timestamp_millis()
    }

    /// The real time, whatever `--now` says: technical stamps such as when a KPI fact was
    /// computed, which incremental pulls compare with their own clock.
    pub fn wall_ms(&self) -> i64 {
        Utc::now().timestamp_millis()
    }

    /// The current month in the OEM's time zone.
    pub fn current_month(&self) -> Month {
        Month::of_date(
            self.now()
                .with_timezone(&self.settings.offset())
                .date_naive(),
        )
    }

    /// The end of the deadline day for `month`'s report (the Nth of the next month, OEM time).
    pub fn deadline(&self, month: Month) -> DateTime<Utc> {
        let day = month.plus(1).first_day()
            + chrono::Days::new(u64::from(self.settings.deadline_day) - 1);
        let end = day.and_time(NaiveTime::from_hms_milli_opt(23, 59, 59, 999).expect("valid time"));
        self.settings
            .offset()
            .from_local_datetime(&end)
            .single()
            .expect("fixed offsets are unambiguous")
            .with_timezone(&Utc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn months_and_deadlines_in_oem_time() {
        let mut settings = Settings::for_database("sqlite::memory:");
        // 2024-03-31 20:00 UTC is already April 1st in China (UTC+8).
        settings.now = Some("2024-03-31T20:00:00Z".parse().unwrap());
        settings.jwt_secret = Some("a-test-secret-of-some-length".into());
        let store = store::connect("sqlite::memory:").await.unwrap();
        let app = App::with_store(settings, store).await.unwrap();
        assert_eq!(app.current_month().to_string(), "2024-04");
        let m: Month = "2024-03".parse().unwrap();
        // April 10th, 23:59:59.999 China time = 15:59:59.999 UTC.
        assert_eq!(
            app.deadline(m).to_rfc3339(),
            "2024-04-10T15:59:59.999+00:00"
        );
    }
}
