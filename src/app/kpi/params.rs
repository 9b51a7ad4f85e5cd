//! OEM parameters (annual visits per vehicle) and the recomputation they cause.

use crate::app::{App, AppError, AppResult};
use crate::domain::kpi::{Param, ParamValue};

/// Largest annual visits per vehicle accepted.
const MAX_PARAM_VALUE: i64 = 100;

impl App {
    /// Every OEM parameter value.
    pub async fn params(&self) -> AppResult<Vec<ParamValue>> {
        Ok(self.store.params().await?)
    }

    /// Sets an OEM parameter (`name`, for `year`, nationally or for one region) and
    /// recomputes the KPIs that use it; returns the value stored and how many facts changed.
    pub async fn set_param(
        &self,
        name: &str,
        year: i32,
        region_code: Option<String>,
        value: rust_decimal::Decimal,
        author: &str,
    ) -> AppResult<(ParamValue, u64)> {
        let param = Param::parse(name).ok_or_else(|| {
            AppError::invalid(
                "name",
                format!("unknown parameter `{name}`: use annual_visits_per_vehicle"),
            )
        })?;
        let scaled = value
            .checked_mul(rust_decimal::Decimal::from(param.unit()))
            .ok_or_else(|| AppError::invalid("value", "out of range"))?;
        if scaled.fract() != rust_decimal::Decimal::ZERO {
            return Err(AppError::invalid("value", "at most 3 decimal places"));
        }
        let stored: i64 = scaled
            .try_into()
            .map_err(|_| AppError::invalid("value", "out of range"))?;
        let value = ParamValue {
            param,
            year,
            region_code: region_code.unwrap_or_default(),
            value: stored,
        };
        let n = self.store_param(&value, author).await?;
        Ok((value, n))
    }

    /// Stores a parameter value and recomputes what reads it.
    async fn store_param(&self, value: &ParamValue, author: &str) -> AppResult<u64> {
        if !(1900..=9999).contains(&value.year) {
            return Err(AppError::invalid(
                "year",
                format!("{} is not a year", value.year),
            ));
        }
        if value.value <= 0 {
            return Err(AppError::invalid("value", "must be greater than 0"));
        }
        // Visits per vehicle per year: a value beyond this is a typo (and would make the
        // coverage KPIs' denominators meaningless).
        if value.value > MAX_PARAM_VALUE * value.param.unit() {
            return Err(AppError::invalid(
                "value",
                format!("must be at most {MAX_PARAM_VALUE}"),
            ));
        }
        let this_year = self.current_month().year();
        if value.year > this_year + 5 {
            return Err(AppError::invalid(
                "year",
                format!("{} is more than 5 years ahead", value.year),
            ));
        }
        if !value.region_code.is_empty()
            && !self
                .store
                .regions()
                .await?
                .iter()
                .any(|r| r.code == value.region_code)
        {
            return Err(AppError::NotFound(format!(
                "region {} not found",
                value.region_code
            )));
        }
        Ok(self.store.set_param(value, author, self.wall_ms()).await?)
    }
}
