//! Test-only faults, by operation name (feature `fault-injection`, never in a release
//! build): `InjectPanic` panics in the request, `InjectCachePanic` makes the KPI cache panic
//! while holding its lock, `InjectSlow` sleeps past any request timeout.

use std::sync::Arc;
use std::time::Duration;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute};
use async_graphql::Response;

use crate::app::App;

pub struct Faults;

impl ExtensionFactory for Faults {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Faults)
    }
}

#[async_trait::async_trait]
impl Extension for Faults {
    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        match operation_name {
            Some("InjectPanic") => panic!("fault injection: a panic in a request"),
            Some("InjectCachePanic") => ctx.data_unchecked::<Arc<App>>().inject_cache_panic(),
            Some("InjectSlow") => tokio::time::sleep(Duration::from_secs(600)).await,
            _ => {}
        }
        next.run(ctx, operation_name).await
    }
}
