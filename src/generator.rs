//! Placeholder until the generator lands.
use crate::domain::{Month, Region};
use crate::store::{BulkReport, NewDealer};

pub struct Spec {
    pub dealers: usize,
    pub months: usize,
    pub seed: u64,
    pub regions: usize,
    pub end: Month,
    pub now_ms: i64,
    pub deadline_day: u32,
}
impl Spec {
    pub fn demo(end: Month, now_ms: i64) -> Spec {
        Spec {
            dealers: 240,
            months: 24,
            seed: 42,
            regions: 8,
            end,
            now_ms,
            deadline_day: 10,
        }
    }
}
pub struct Network {
    pub regions: Vec<Region>,
    pub dealers: Vec<NewDealer>,
    pub moves: Vec<(String, String, Month)>,
}
pub fn network(_spec: &Spec) -> Network {
    Network {
        regions: vec![],
        dealers: vec![],
        moves: vec![],
    }
}
pub fn reports_for_month(_spec: &Spec, _network: &Network, _month: Month) -> Vec<BulkReport> {
    vec![]
}
pub fn months(spec: &Spec) -> impl Iterator<Item = Month> {
    let end = spec.end;
    (0..spec.months as i32).rev().map(move |i| end.plus(-i))
}
