//! The report workbook a dealer downloads, fills in Excel and uploads again.

use super::{App, AppError, AppResult};
use crate::auth::{Principal, Scope};
use crate::domain::network::region_at;
use crate::domain::Month;
use crate::files::report_workbook::{self, ReportSheet};

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
        report_workbook::write(&sheet).map_err(|e| AppError::Internal(e.into()))
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
        report_workbook::write(&sheet).map_err(|e| AppError::Internal(e.into()))
    }
}
