//! The meeting pack: what a regional manager takes into the monthly meeting, as tables —
//! who has reported, the key KPIs of each dealer, rankings with the region's and the
//! nation's pooled values, the open action items — each holding exactly what the caller
//! may see through the API (a dealer's pack shows that dealer alone).

use super::kpi::RankingView;
use super::{status_filter, App, AppError, AppResult, SubmissionStatus};
use crate::auth::Principal;
use crate::domain::actions::ActionStatus;
use crate::domain::kpi::{self, KpiDef};
use crate::domain::paging::Window;
use crate::domain::{Group, Month, Period};
use crate::files::meeting_pack;
use crate::store::ActionRecord;

/// KPIs of a pack unless asked (the key figures of the monthly meeting).
pub const PACK_KPIS: [&str; 6] = [
    "first_time_fix",
    "comeback_rate",
    "technician_productivity",
    "absorption",
    "revenue_per_ro",
    "csi",
];
/// Most KPIs in one pack.
pub const MAX_PACK_KPIS: usize = 20;
/// Most lines of one ranking in a pack (a region at 10,000 dealers has about 1,300).
const MAX_LINES: usize = 20_000;

/// Packs built at once by this replica: the largest (20 KPIs over a nation of 10,000
/// dealers) is a 15 MB workbook, built in memory, so more wait their turn.
static BUILDING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

/// A pack's file: the workbook, or one of its tables as CSV.
pub enum PackFormat {
    Workbook,
    Csv(String),
}

/// A meeting pack's tables.
pub struct MeetingPack {
    pub month: Month,
    /// `R01`, or `nation`.
    pub scope: String,
    pub status: SubmissionStatus,
    pub rankings: Vec<RankingView>,
    pub actions: Vec<ActionRecord>,
}

impl App {
    /// The pack as a file (its bytes and name): the workbook, or one table as CSV. One
    /// pack is assembled and written at a time per replica (see [`BUILDING`]).
    pub async fn meeting_pack_file(
        &self,
        who: &Principal,
        region: Option<String>,
        month: Month,
        kpis: &[String],
        format: PackFormat,
    ) -> AppResult<(Vec<u8>, String)> {
        if let PackFormat::Csv(table) = &format {
            if !meeting_pack::TABLES.contains(&table.as_str()) {
                return Err(AppError::invalid(
                    "table",
                    format!("one of {}", meeting_pack::TABLES.join(", ")),
                ));
            }
        }
        let _turn = BUILDING
            .acquire()
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
        let pack = self.meeting_pack(who, region, month, kpis).await?;
        let name = format!("MSI_meeting_{}_{month}", pack.scope);
        match format {
            PackFormat::Workbook => meeting_pack::workbook(&pack)
                .map(|b| (b, format!("{name}.xlsx")))
                .map_err(|e| AppError::Internal(e.into())),
            PackFormat::Csv(table) => meeting_pack::csv(&pack, &table)
                .map(|b| (b, format!("{name}_{table}.csv")))
                .map_err(|e| AppError::Internal(e.into())),
        }
    }

    /// The pack of `region` (default: the caller's scope; the nation for the OEM and BI)
    /// for `month`, ranking `kpis` (default [`PACK_KPIS`]).
    async fn meeting_pack(
        &self,
        who: &Principal,
        region: Option<String>,
        month: Month,
        kpis: &[String],
    ) -> AppResult<MeetingPack> {
        let filter = status_filter(who, region.clone())?;
        let codes: Vec<&str> = if kpis.is_empty() {
            PACK_KPIS.to_vec()
        } else {
            kpis.iter().map(String::as_str).collect()
        };
        if codes.len() > MAX_PACK_KPIS {
            return Err(AppError::invalid(
                "kpis",
                format!(
                    "at most {MAX_PACK_KPIS} KPIs in a pack, got {}",
                    codes.len()
                ),
            ));
        }
        let defs: Vec<&'static KpiDef> = codes
            .iter()
            .map(|c| {
                kpi::by_code(c).ok_or_else(|| {
                    AppError::invalid(
                        "kpis",
                        format!("unknown KPI `{}`", crate::domain::text::excerpt(c)),
                    )
                })
            })
            .collect::<AppResult<_>>()?;
        let status = self.submission_status(month, &filter).await?;
        let group = match &region {
            Some(r) => Group::Region(r.clone()),
            None => Group::Nation,
        };
        let mut rankings = Vec::with_capacity(defs.len());
        for k in defs {
            rankings.push(
                self.ranking(
                    who,
                    k,
                    Period::month(month),
                    group.clone(),
                    Window::first(MAX_LINES),
                )
                .await?,
            );
        }
        let scope = self.action_scope(who, None, region.as_deref()).await?;
        let actions = self
            .action_items(
                scope,
                vec![
                    ActionStatus::Open,
                    ActionStatus::InProgress,
                    ActionStatus::Done,
                ],
                None,
                None,
                MAX_LINES as i64,
            )
            .await?;
        Ok(MeetingPack {
            month,
            scope: region.unwrap_or_else(|| "nation".into()),
            status,
            rankings,
            actions,
        })
    }
}
