//! The report workbook a dealer downloads, fills in Excel and uploads again.

use std::collections::HashMap;

use super::{App, AppError, AppResult, SubmitOutcome};
use crate::auth::{Principal, Scope};
use crate::domain::network::region_at;
use crate::domain::report::check;
use crate::domain::{Completeness, Month, Rule};
use crate::files::workbook::{self, ReportSheet};

/// What an uploaded workbook is stored as.
#[derive(Debug, Clone)]
pub enum WorkbookAction {
    Draft,
    /// A first submission (`expected_revision`: 0, or the draft's).
    Submit {
        expected_revision: Option<i32>,
    },
    /// An amendment of the submitted report at `expected_revision`.
    Amend {
        expected_revision: i32,
        reason: String,
    },
}

/// The outcome of an upload, and each field's cell to name where a violation stands.
#[derive(Debug, Clone)]
pub struct WorkbookOutcome {
    pub outcome: SubmitOutcome,
    /// snake_case field → `MSI!D23`.
    pub cells: HashMap<String, String>,
}

impl App {
    /// Refuses unless `who` may read dealer `code`'s data of `month`: the OEM and BI
    /// readers every dealer, a dealer itself, a regional manager the dealers of its regions
    /// in that month (the rule of every dealer read of the API).
    pub async fn check_dealer_read(
        &self,
        who: &Principal,
        code: &str,
        month: Month,
    ) -> AppResult<()> {
        let allowed = match who.scope() {
            Scope::All => true,
            Scope::Dealer(own) => own == code,
            Scope::Regions(_) => {
                let histories = self.region_histories(&[code.to_string()]).await?;
                let region = histories
                    .iter()
                    .find(|(c, _)| c == code)
                    .and_then(|(_, h)| region_at(h, month));
                who.may_read_dealer(code, region)
            }
        };
        if allowed {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "dealer {code} in {month} is outside what {} {} may read",
                who.role.as_str(),
                who.sub
            )))
        }
    }

    /// A dealer's report of `month` as the MSI workbook: its current revision or draft
    /// (blank for a month not started), last month's submitted figures beside it.
    pub async fn report_workbook(
        &self,
        who: &Principal,
        code: &str,
        month: Month,
    ) -> AppResult<Vec<u8>> {
        crate::domain::network::check_code("dealerCode", code)
            .map_err(|m| AppError::invalid("dealerCode", m))?;
        self.check_dealer_read(who, code, month).await?;
        let dealer = self.require_dealer(code).await?;
        let current = self.store.report(code, month).await?;
        let last = self
            .store
            .report(code, month.plus(-1))
            .await?
            .filter(|r| r.revision > 0);
        let sheet = ReportSheet {
            dealer_code: &dealer.code,
            dealer_name: &dealer.name,
            month: Some(month),
            revision: current.as_ref().map(|r| r.revision),
            values: current.as_ref().map(|r| &r.values),
            last_month: last.as_ref().map(|r| &r.values),
        };
        workbook::write(&sheet).map_err(|e| AppError::Internal(e.into()))
    }

    /// Stores a filled workbook of dealer `code` for `month` as `action` says: the same
    /// outcome as the report mutations. A workbook of another dealer or month than the one
    /// named, or of another form version, is refused.
    pub async fn upload_workbook(
        &self,
        who: &Principal,
        code: &str,
        month: Month,
        bytes: &[u8],
        action: WorkbookAction,
    ) -> AppResult<WorkbookOutcome> {
        if !who.may_write_report(code) {
            return Err(AppError::Forbidden(format!(
                "{} {} may not write the reports of dealer {code}",
                who.role.as_str(),
                who.sub
            )));
        }
        let filled = workbook::read(bytes).map_err(|e| AppError::invalid("file", e.to_string()))?;
        let cell = |f: &str| filled.cells.get(f).cloned().unwrap_or_default();
        if filled.dealer_code != code {
            return Err(AppError::invalid(
                "file",
                format!(
                    "the workbook is dealer {}'s ({}), not {code}'s: upload the workbook downloaded for {code}",
                    crate::domain::text::excerpt(&filled.dealer_code),
                    cell("dealer_code")
                ),
            ));
        }
        if filled.month != month {
            return Err(AppError::invalid(
                "file",
                format!(
                    "the workbook is for {} ({}), not {month}",
                    filled.month,
                    cell("month")
                ),
            ));
        }
        let outcome = if !filled.errors.is_empty() {
            // Every error at once, as a mutation answers: the rules of the cells that
            // could be read too (an unreadable cell is not also reported missing).
            let completeness = match action {
                WorkbookAction::Draft => Completeness::Draft,
                _ => Completeness::Complete,
            };
            let checked = check(&filled.raw, month, completeness, &[]);
            let mut errors = filled.errors.clone();
            errors.extend(checked.errors.into_iter().filter(|v| {
                !(v.rule == Rule::Required && filled.errors.iter().any(|e| e.field == v.field))
            }));
            SubmitOutcome::rejected(errors)
        } else {
            match action {
                WorkbookAction::Draft => self.save_draft(who, code, month, &filled.raw).await?,
                WorkbookAction::Submit { expected_revision } => {
                    self.submit(who, code, month, Some(&filled.raw), expected_revision)
                        .await?
                }
                WorkbookAction::Amend {
                    expected_revision,
                    reason,
                } => {
                    self.amend(who, code, month, &filled.raw, expected_revision, &reason)
                        .await?
                }
            }
        };
        Ok(WorkbookOutcome {
            outcome,
            cells: filled.cells,
        })
    }

    /// The blank MSI workbook (any signed-in user).
    pub fn blank_workbook(&self) -> AppResult<Vec<u8>> {
        let sheet = ReportSheet {
            dealer_code: "",
            dealer_name: "",
            month: None,
            revision: None,
            values: None,
            last_month: None,
        };
        workbook::write(&sheet).map_err(|e| AppError::Internal(e.into()))
    }
}
