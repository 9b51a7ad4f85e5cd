//! KPI mutations: OEM parameters.

use async_graphql::{Context, Object};

use super::super::error::GqlResult;
use super::super::guards::{principal, OEM_ADMIN};
use super::super::scalars::Decimal;
use super::types::SetParameterResult;

#[derive(Default)]
pub struct KpiMutation;

#[Object]
impl KpiMutation {
    /// Sets an OEM parameter for a year, nationally or for one region (oem_admin); the KPIs
    /// that read it are recomputed for that year (published months keep what dealers were
    /// shown until they are republished).
    #[graphql(guard = "OEM_ADMIN", complexity = 5000)]
    async fn set_oem_parameter(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "annual_visits_per_vehicle")] name: String,
        year: i32,
        region_code: Option<String>,
        value: Decimal,
    ) -> async_graphql::Result<SetParameterResult> {
        let who = principal(ctx)?;
        let (pv, n) = super::super::app(ctx)
            .set_param(&name, year, region_code, value.0, &who.sub)
            .await
            .gql()?;
        Ok(SetParameterResult {
            parameter: pv.into(),
            facts_recomputed: n as i32,
        })
    }
}
