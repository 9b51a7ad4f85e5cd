//! Generated targets (目标管理): each dealer's six yearly targets, set a little above what it
//! did, with the history the yearly cycle would have left (drafted and proposed by the
//! dealer, approved by its manager; in the year under negotiation some still drafts or
//! proposals, and one returned).

use crate::domain::period::Month;
use crate::domain::report::Values;
use crate::domain::targets::{self, PhasingBasis, TargetItem, TargetStatus};
use crate::store::{BulkTarget, TargetRevision};

use super::rng::{stream, uni, Stream};
use super::{month_start_ms, Spec, AUTHOR, DAY_MS};

/// A year of an item's monthly actuals (January first); `None`: no report that month.
pub type YearActuals = [[Option<i64>; 12]; 6];

/// No actuals yet.
pub const NO_ACTUALS: YearActuals = [[None; 12]; 6];

/// Where a dealer's targets of a year stand in the demo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Draft,
    Proposed,
    Returned,
    Approved,
}

/// The year whose targets are still being negotiated: next year once the autumn has come
/// (targets are proposed at year end), else this year (late approvals).
pub fn negotiated_year(spec: &Spec) -> i32 {
    if spec.end.month() >= 10 {
        spec.end.year() + 1
    } else {
        spec.end.year()
    }
}

/// Where dealer `index` of region `region_index` (the network's order) stands in `year`:
/// before the negotiated year every target is approved; in it, the first region's dealers
/// are under way (one returned, then proposals and drafts in turn) and the others approved
/// if the year has begun, not yet drafted if it has not.
pub fn stage(
    spec: &Spec,
    index: usize,
    first_of_region: bool,
    region_index: usize,
    year: i32,
) -> Option<Stage> {
    let negotiated = negotiated_year(spec);
    if year < negotiated {
        return Some(Stage::Approved);
    }
    if year > negotiated {
        return None;
    }
    if region_index == 0 {
        return Some(if first_of_region {
            Stage::Returned
        } else if index.is_multiple_of(3) {
            Stage::Draft
        } else {
            Stage::Proposed
        });
    }
    (year <= spec.end.year()).then_some(Stage::Approved)
}

/// The six targets of dealer `index` for `year` at `stage`: the previous year's actual
/// when all twelve months were reported, else `annualized` (a year at the pace of the
/// months seen), grown by 3 to 12 % and rounded (ten ROs, a thousand yuan); phased in the
/// previous year's shape, else evenly, as the service would phase them.
pub fn dealer_targets(
    spec: &Spec,
    index: usize,
    code: &str,
    year: i32,
    stage: Stage,
    previous: &YearActuals,
    annualized: &[i64; 6],
) -> Vec<BulkTarget> {
    let mut r = stream(spec.seed, Stream::Target, index, year);
    let growth = uni(&mut r, 1.03, 1.12);
    // Proposed in early December of the year before, approved two weeks later; a step that
    // would lie after "now" (next year's, negotiated in the autumn) is dated as many days
    // before now as it came before the 16th.
    let dec = Month::new(year - 1, 12).expect("a valid year");
    let at = |day: i64| {
        let t = month_start_ms(dec) + day * DAY_MS;
        if t <= spec.now_ms {
            t
        } else {
            spec.now_ms - (16 - day) * DAY_MS
        }
    };
    let dealer = format!("{AUTHOR}:{code}");
    let manager = format!("{AUTHOR}:manager");
    TargetItem::ALL
        .iter()
        .enumerate()
        .map(|(k, &item)| {
            let base =
                targets::previous_shape(&previous[k]).map_or(annualized[k], |w| w.iter().sum());
            let step = if item.kind() == crate::domain::FieldKind::Count {
                10
            } else {
                100_000
            };
            let value = ((base as f64 * growth / step as f64).round() as i64).max(1) * step;
            let mut revisions = vec![revision(
                1,
                TargetStatus::Draft,
                value,
                None,
                &dealer,
                at(1),
            )];
            if stage != Stage::Draft {
                revisions.push(revision(
                    2,
                    TargetStatus::Proposed,
                    value,
                    None,
                    &dealer,
                    at(4),
                ));
            }
            let (status, phasing, months) = match stage {
                Stage::Draft => (TargetStatus::Draft, None, None),
                Stage::Proposed => (TargetStatus::Proposed, None, None),
                Stage::Returned => {
                    let why = "below the region's growth: please look again at brand ROs and parts";
                    revisions.push(revision(
                        3,
                        TargetStatus::Returned,
                        value,
                        Some(why),
                        &manager,
                        at(10),
                    ));
                    (TargetStatus::Returned, None, None)
                }
                Stage::Approved => {
                    revisions.push(revision(
                        3,
                        TargetStatus::Approved,
                        value,
                        None,
                        &manager,
                        at(15),
                    ));
                    let (weights, basis): ([i64; 12], PhasingBasis) =
                        targets::weights(None, &previous[k]);
                    (
                        TargetStatus::Approved,
                        Some(basis),
                        Some(targets::phase(value, &weights)),
                    )
                }
            };
            BulkTarget {
                dealer_code: code.to_string(),
                year,
                item: item.code().to_string(),
                value,
                status,
                phasing,
                months,
                revisions,
            }
        })
        .collect()
}

fn revision(
    revision: i32,
    status: TargetStatus,
    value: i64,
    reason: Option<&str>,
    author: &str,
    at: i64,
) -> TargetRevision {
    TargetRevision {
        revision,
        status,
        value,
        reason: reason.map(str::to_string),
        author: author.to_string(),
        at,
    }
}

/// The six items' actuals in a report (`None` where a figure is absent).
pub fn item_actuals(values: &Values) -> [Option<i64>; 6] {
    TargetItem::ALL.map(|item| item.actual(values))
}

#[cfg(test)]
mod tests {
    use super::super::tests::spec;
    use super::*;

    #[test]
    fn a_full_previous_year_gives_a_grown_target_in_its_shape() {
        let s = spec(10, 24, "2025-05", 3);
        let mut previous = NO_ACTUALS;
        for (i, m) in previous[0].iter_mut().enumerate() {
            *m = Some(if i == 2 { 200 } else { 100 });
        }
        let targets = dealer_targets(&s, 0, "D00001", 2025, Stage::Approved, &previous, &[0; 6]);
        assert_eq!(targets.len(), 6);
        let t = &targets[0];
        assert_eq!(
            (t.item.as_str(), t.status),
            ("total_ros", TargetStatus::Approved)
        );
        // 1 300 grown by 3 to 12 %, to ten ROs
        assert!(
            (1340..=1460).contains(&t.value) && t.value % 10 == 0,
            "{}",
            t.value
        );
        assert_eq!(t.phasing, Some(PhasingBasis::PreviousYear));
        let months = t.months.unwrap();
        assert_eq!(months.iter().sum::<i64>(), t.value);
        assert!(
            months[2] > months[1] * 19 / 10,
            "March twice the others: {months:?}"
        );
        let statuses: Vec<_> = t.revisions.iter().map(|r| r.status).collect();
        assert_eq!(
            statuses,
            [
                TargetStatus::Draft,
                TargetStatus::Proposed,
                TargetStatus::Approved
            ]
        );
        // no full year for the other items: the pace of the months seen, phased evenly
        assert_eq!(
            (targets[1].value, targets[1].phasing),
            (10, Some(PhasingBasis::Even))
        );
        // the same spec gives the same targets
        assert_eq!(
            targets,
            dealer_targets(&s, 0, "D00001", 2025, Stage::Approved, &previous, &[0; 6])
        );
    }

    #[test]
    fn only_approved_targets_are_phased_and_one_is_returned() {
        let s = spec(10, 24, "2025-11", 3);
        assert_eq!(negotiated_year(&s), 2026);
        assert_eq!(stage(&s, 5, false, 3, 2025), Some(Stage::Approved));
        assert_eq!(
            stage(&s, 5, false, 3, 2026),
            None,
            "not drafted outside the first region"
        );
        assert_eq!(stage(&s, 0, true, 0, 2026), Some(Stage::Returned));
        assert_eq!(stage(&s, 3, false, 0, 2026), Some(Stage::Draft));
        assert_eq!(stage(&s, 4, false, 0, 2026), Some(Stage::Proposed));
        let returned = dealer_targets(
            &s,
            0,
            "D00001",
            2026,
            Stage::Returned,
            &NO_ACTUALS,
            &[1200; 6],
        );
        assert!(returned
            .iter()
            .all(|t| t.months.is_none() && t.phasing.is_none()));
        let last = returned[0].revisions.last().unwrap();
        assert_eq!((last.revision, last.status), (3, TargetStatus::Returned));
        assert!(last.reason.is_some() && last.at <= s.now_ms);
        let spring = spec(10, 24, "2025-05", 3);
        assert_eq!(stage(&spring, 5, false, 3, 2025), Some(Stage::Approved));
        assert_eq!(stage(&spring, 4, false, 0, 2025), Some(Stage::Proposed));
    }
}
