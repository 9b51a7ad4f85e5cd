//! The management loop's reads: the exceptions of a region (the monthly meeting) and the
//! ranking by achievement of a target item.

use serde_json::json;

use crate::discover::Data;
use crate::load::Load;

const EXCEPTIONS: &str = r#"query($s: ScopeInput, $p: ReportingPeriod!, $first: Int) {
  exceptions(scope: $s, period: $p, first: $first) {
    dealersInScope dealersWithExceptions hasNextPage
    dealers { dealerCode regionCode uncovered
      exceptions { kind kpi month value percentile guidelineStatus uncovered actionItems { id status dueMonth } } } } }"#;

/// The exceptions of the month, region after region (the regions of the sampled dealers),
/// a page of `first` dealers (default: the service's): each answer must cover dealers of
/// that region, with some exception among them.
pub fn exceptions_load(token: &str, data: &Data, first: Option<usize>) -> Load {
    let mut regions: Vec<String> = data.dealers.iter().map(|d| d.1.clone()).collect();
    regions.sort();
    regions.dedup();
    let regions2 = regions.clone();
    let m = data.month.to_string();
    Load {
        query: EXCEPTIONS.into(),
        tokens: vec![token.into()],
        vars: Box::new(move |i| {
            json!({ "s": { "kind": "REGION", "regionCode": regions[i % regions.len()] },
                    "p": { "kind": "MONTH", "month": m }, "first": first })
        }),
        check: Box::new(move |i, d| {
            let e = &d["exceptions"];
            let want = &regions2[i % regions2.len()];
            if e["dealersInScope"].as_i64().unwrap_or(0) <= 0 {
                return Err(format!("no dealer in region {want}: {e}"));
            }
            let dealers = e["dealers"].as_array().ok_or("no dealers")?;
            if dealers.is_empty() || e["dealersWithExceptions"].as_i64().unwrap_or(0) <= 0 {
                return Err(format!("no exception in region {want}"));
            }
            if let Some(other) = dealers.iter().find(|x| x["regionCode"] != json!(want)) {
                return Err(format!("a dealer of another region in {want}: {other}"));
            }
            Ok(())
        }),
    }
}
