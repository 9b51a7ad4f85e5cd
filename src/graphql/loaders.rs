//! Dataloaders: dealers and their region histories, batched per request (through the app).

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;

use crate::app::{App, AppError};
use crate::domain::{Dealer, RegionAssignment};

/// Dealers by code.
pub struct DealerLoader(pub Arc<App>);

impl Loader<String> for DealerLoader {
    type Value = Dealer;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Dealer>, Self::Error> {
        Ok(self
            .0
            .dealers_by_code(keys)
            .await?
            .into_iter()
            .map(|d| (d.code.clone(), d))
            .collect())
    }
}

/// Region histories by dealer code.
pub struct RegionHistoryLoader(pub Arc<App>);

impl Loader<String> for RegionHistoryLoader {
    type Value = Vec<RegionAssignment>;
    type Error = Arc<AppError>;

    async fn load(
        &self,
        keys: &[String],
    ) -> Result<HashMap<String, Vec<RegionAssignment>>, Self::Error> {
        Ok(self.0.region_histories(keys).await?.into_iter().collect())
    }
}
