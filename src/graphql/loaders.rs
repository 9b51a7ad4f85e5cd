//! Dataloaders: dealers and their region histories, batched per request.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;

use crate::domain::{Dealer, RegionAssignment};
use crate::store::{Store, StoreError};

/// Dealers by code.
pub struct DealerLoader(pub Arc<dyn Store>);

impl Loader<String> for DealerLoader {
    type Value = Dealer;
    type Error = Arc<StoreError>;

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
pub struct RegionHistoryLoader(pub Arc<dyn Store>);

impl Loader<String> for RegionHistoryLoader {
    type Value = Vec<RegionAssignment>;
    type Error = Arc<StoreError>;

    async fn load(
        &self,
        keys: &[String],
    ) -> Result<HashMap<String, Vec<RegionAssignment>>, Self::Error> {
        Ok(self
            .0
            .region_histories(Some(keys))
            .await?
            .into_iter()
            .collect())
    }
}
