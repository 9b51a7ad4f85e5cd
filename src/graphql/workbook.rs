//! `uploadReportWorkbook`: a filled MSI workbook (downloaded from `/reports/...`) sent back
//! as a draft, a submission or an amendment, every violation named at its cell.

use async_graphql::{Context, Enum, Object, Upload};

use super::error::{to_gql, GqlResult};
use super::guards::{principal, ReportWrite};
use super::report::SubmissionResult;
use crate::app::{AppError, WorkbookAction};
use crate::domain::Month;

/// What an uploaded workbook is stored as.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum WorkbookMode {
    /// A draft (checked field by field, not for completeness).
    Draft,
    /// The month's first submission.
    Submit,
    /// An amendment of the submitted report (`expectedRevision` and `reason` required).
    Amend,
}

#[derive(Default)]
pub struct WorkbookMutation;

#[Object]
impl WorkbookMutation {
    /// Stores a filled report workbook (the dealer itself, or oem_admin), with the same
    /// outcome as `saveReportDraft`, `submitMonthlyReport` or `amendMonthlyReport`; each
    /// violation also names its cell (`MSI!D23`). Text in a number cell ("1,234.50",
    /// full-width digits, a trailing space) is read where unambiguous, otherwise reported at
    /// its cell. A workbook of another dealer or month than the one named, or of another
    /// form version, is refused with BAD_USER_INPUT.
    #[graphql(guard = "ReportWrite::new(&dealer_code)")]
    async fn upload_report_workbook(
        &self,
        ctx: &Context<'_>,
        dealer_code: String,
        month: Month,
        file: Upload,
        #[graphql(desc = "Default SUBMIT")] mode: Option<WorkbookMode>,
        expected_revision: Option<i32>,
        reason: Option<String>,
    ) -> async_graphql::Result<SubmissionResult> {
        let who = principal(ctx)?;
        let action = match mode.unwrap_or(WorkbookMode::Submit) {
            WorkbookMode::Draft => WorkbookAction::Draft,
            WorkbookMode::Submit => WorkbookAction::Submit { expected_revision },
            WorkbookMode::Amend => WorkbookAction::Amend {
                expected_revision: expected_revision.ok_or_else(|| {
                    to_gql(AppError::invalid(
                        "expectedRevision",
                        "an amendment names the revision it amends",
                    ))
                })?,
                reason: reason.ok_or_else(|| {
                    to_gql(AppError::invalid("reason", "an amendment gives its reason"))
                })?,
            },
        };
        // Held in memory by the request already (at most the upload limit).
        let bytes = file.value(ctx)?.content;
        let done = super::app(ctx)
            .upload_workbook(who, &dealer_code, month, &bytes, action)
            .await
            .gql()?;
        let (errors, warnings) = (done.outcome.errors.clone(), done.outcome.warnings.clone());
        let mut result = SubmissionResult::from(done.outcome);
        for (out, v) in result
            .violations
            .iter_mut()
            .zip(&errors)
            .chain(result.warnings.iter_mut().zip(&warnings))
        {
            out.cell = done.cells.get(&v.field).cloned();
        }
        Ok(result)
    }
}
