//! Managing the dealer network (OEM administrators).

use super::{App, AppError, AppResult};
use crate::domain::network::{check_code, check_name};
use crate::domain::text::check_text;
use crate::domain::{Dealer, Month, Region, RegionAssignment, SizeTier};
use crate::store::{DealerFilter, DealerInMonth, KeyPage, NewDealer};

/// Longest dealer search term.
const MAX_SEARCH_CHARS: usize = 100;
/// How far ahead of the current month a dealer may be opened, moved or closed.
const MONTHS_AHEAD: i32 = 12;

/// A new dealer.
#[derive(Debug, Clone)]
pub struct DealerInput {
    pub code: String,
    pub name: String,
    pub brand: String,
    pub province: String,
    pub city: String,
    pub size_tier: SizeTier,
    pub opened: Month,
    pub region_code: String,
}

/// Changes to a dealer's master data; absent fields stay as they are.
#[derive(Debug, Clone, Default)]
pub struct DealerPatch {
    pub name: Option<String>,
    pub brand: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub size_tier: Option<SizeTier>,
    pub opened: Option<Month>,
}

fn valid_code(field: &str, code: &str) -> AppResult<()> {
    check_code(field, code).map_err(|m| AppError::invalid(field, m))
}

fn valid_name(field: &str, name: &str) -> AppResult<()> {
    check_name(field, name).map_err(|m| AppError::invalid(field, m))
}

impl App {
    /// A month an administrator sets must lie within a year of now (a typo such as 9999-12
    /// would otherwise silently reshape the network).
    fn near(&self, field: &str, month: Month) -> AppResult<()> {
        let latest = self.current_month().plus(MONTHS_AHEAD);
        if month > latest {
            return Err(AppError::invalid(
                field,
                format!("{month} is more than {MONTHS_AHEAD} months ahead (at most {latest})"),
            ));
        }
        Ok(())
    }

    /// The months of a dealer's reports (drafts included), first and last.
    async fn report_span(&self, code: &str) -> AppResult<Option<(Month, Month)>> {
        Ok(self.store.report_span(code).await?)
    }
}

impl App {
    /// Every region.
    pub async fn regions(&self) -> AppResult<Vec<Region>> {
        Ok(self.store.regions().await?)
    }

    /// Dealers matching `filter` (the caller's scope included), in code order: a page.
    pub async fn dealers(
        &self,
        filter: &DealerFilter,
        page: KeyPage<'_>,
    ) -> AppResult<Vec<DealerInMonth>> {
        if let Some(term) = &filter.search {
            check_text("search", term, MAX_SEARCH_CHARS)
                .map_err(|m| AppError::invalid("search", m))?;
        }
        Ok(self.store.list_dealers(filter, page).await?)
    }

    /// How many dealers match `filter`.
    pub async fn dealer_total(&self, filter: &DealerFilter) -> AppResult<i64> {
        Ok(self.store.count_matching_dealers(filter).await?)
    }

    /// Dealers by code (unknown codes are left out).
    pub async fn dealers_by_code(&self, codes: &[String]) -> AppResult<Vec<Dealer>> {
        Ok(self.store.dealers_by_code(codes).await?)
    }

    /// Region histories by dealer code.
    pub async fn region_histories(
        &self,
        codes: &[String],
    ) -> AppResult<Vec<(String, Vec<RegionAssignment>)>> {
        Ok(self.store.region_histories(Some(codes)).await?)
    }

    /// Whether there is any dealer at all.
    pub async fn dealer_count(&self) -> AppResult<i64> {
        Ok(self.store.count_dealers().await?)
    }

    pub async fn create_region(&self, region: Region) -> AppResult<Region> {
        valid_code("code", &region.code)?;
        valid_name("name", &region.name)?;
        self.store.create_region(&region).await?;
        Ok(region)
    }

    pub async fn update_region(&self, region: Region) -> AppResult<Region> {
        valid_code("code", &region.code)?;
        valid_name("name", &region.name)?;
        self.store.update_region(&region).await?;
        Ok(region)
    }

    pub(super) async fn require_region(&self, code: &str) -> AppResult<()> {
        if self.store.regions().await?.iter().any(|r| r.code == code) {
            Ok(())
        } else {
            Err(AppError::NotFound(format!("region {code} not found")))
        }
    }

    /// The dealer, or a not-found error naming it: from the KPI cache's directory once that
    /// is brought up to date (it follows the change log, so this is the dealer as stored,
    /// without a read of its own).
    pub async fn require_dealer(&self, code: &str) -> AppResult<Dealer> {
        valid_code("dealerCode", code)?;
        self.refresh_directory().await?;
        let (directory, i) = self.dealer_slot(code).await?;
        Ok(directory.dealers[i].clone())
    }

    pub async fn create_dealer(&self, input: DealerInput) -> AppResult<Dealer> {
        valid_code("code", &input.code)?;
        for (field, value) in [
            ("name", &input.name),
            ("brand", &input.brand),
            ("province", &input.province),
            ("city", &input.city),
        ] {
            valid_name(field, value)?;
        }
        self.near("openedMonth", input.opened)?;
        valid_code("regionCode", &input.region_code)?;
        self.require_region(&input.region_code).await?;
        let dealer = Dealer {
            code: input.code,
            name: input.name,
            brand: input.brand,
            province: input.province,
            city: input.city,
            size_tier: input.size_tier,
            opened: input.opened,
            closed: None,
        };
        self.store
            .create_dealer(&NewDealer {
                dealer: dealer.clone(),
                region_code: input.region_code,
            })
            .await?;
        Ok(dealer)
    }

    pub async fn update_dealer(&self, code: &str, patch: DealerPatch) -> AppResult<Dealer> {
        valid_code("code", code)?;
        let mut d = self.require_dealer(code).await?;
        for (field, value) in [
            ("name", &patch.name),
            ("brand", &patch.brand),
            ("province", &patch.province),
            ("city", &patch.city),
        ] {
            if let Some(v) = value {
                valid_name(field, v)?;
            }
        }
        if let Some(opened) = patch.opened {
            self.near("openedMonth", opened)?;
            if d.closed.is_some_and(|c| c < opened) {
                return Err(AppError::invalid(
                    "openedMonth",
                    format!("opened month {opened} is after the closed month"),
                ));
            }
            if let Some((first, _)) = self.report_span(code).await? {
                if opened > first {
                    return Err(AppError::invalid(
                        "openedMonth",
                        format!("{opened} is after the dealer's first report ({first})"),
                    ));
                }
            }
            d.opened = opened;
        }
        d.name = patch.name.unwrap_or(d.name);
        d.brand = patch.brand.unwrap_or(d.brand);
        d.province = patch.province.unwrap_or(d.province);
        d.city = patch.city.unwrap_or(d.city);
        d.size_tier = patch.size_tier.unwrap_or(d.size_tier);
        self.store.update_dealer(&d).await?;
        Ok(d)
    }

    /// Moves a dealer to `region_code` from `effective` on; earlier months keep the old region.
    pub async fn move_dealer(
        &self,
        code: &str,
        region_code: &str,
        effective: Month,
    ) -> AppResult<Dealer> {
        valid_code("code", code)?;
        valid_code("regionCode", region_code)?;
        let d = self.require_dealer(code).await?;
        self.require_region(region_code).await?;
        self.near("effectiveMonth", effective)?;
        if effective < d.opened {
            return Err(AppError::invalid(
                "effectiveMonth",
                format!("{effective} is before the dealer opened ({})", d.opened),
            ));
        }
        self.store
            .move_dealer(code, region_code, effective, self.wall_ms())
            .await?;
        Ok(d)
    }

    /// Closes a dealer: `closed` is its last operating month.
    pub async fn close_dealer(&self, code: &str, closed: Month) -> AppResult<Dealer> {
        valid_code("code", code)?;
        let mut d = self.require_dealer(code).await?;
        if closed < d.opened {
            return Err(AppError::invalid(
                "closedMonth",
                format!("{closed} is before the dealer opened ({})", d.opened),
            ));
        }
        self.near("closedMonth", closed)?;
        if let Some((_, last)) = self.report_span(code).await? {
            if closed < last {
                return Err(AppError::invalid(
                    "closedMonth",
                    format!("{closed} is before the dealer's last report ({last})"),
                ));
            }
        }
        d.closed = Some(closed);
        self.store.update_dealer(&d).await?;
        Ok(d)
    }
}
