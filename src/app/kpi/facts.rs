//! Fact pulls for BI tools.

use crate::app::{App, AppResult};
use crate::store::{FactQuery, FactRow};

impl App {
    /// A page of facts (see [`FactQuery`]): from memory when its months are cached (the
    /// service warms the recent ones), else from the database.
    pub async fn facts(&self, q: &FactQuery) -> AppResult<Vec<FactRow>> {
        self.refresh_kpis().await?;
        match self.cache.fact_page(q) {
            Some(rows) => Ok(rows),
            None => Ok(self.store.fact_page(q).await?),
        }
    }
}
