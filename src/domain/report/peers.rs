//! Plausibility against peers (同类经销商): a key figure of a submitted month far from its
//! peer group's median is a warning, not a rejection. It catches what the dealer's own
//! history cannot: a first report, or a unit mistake repeated every month.

use super::rules::{Rule, Violation};
use crate::domain::kpi::{KpiDef, Unit};
use crate::domain::period::Month;

/// A key figure this many times its peer group's median, or that small a fraction of it,
/// is flagged.
pub const PEER_FACTOR: f64 = 5.0;

/// The key figures compared with peers: those per working day (repair orders or revenue
/// per person or bay and day), per technician or staff member, and per vehicle in
/// operation (service coverage). Totals are not compared: peers differ in size.
pub fn is_key_figure(k: &KpiDef) -> bool {
    matches!(
        k.unit,
        Unit::RosPerDay | Unit::YuanPerDay | Unit::RosPerPerson | Unit::YuanPerPerson
    ) || k.code == "service_coverage"
}

/// The peer group's median a key figure is compared with: the latest published month
/// before the one submitted, as dealers of the group are shown it.
#[derive(Debug, Clone)]
pub struct PeerMedian {
    pub month: Month,
    /// The group in words (`peer group Aurora L`).
    pub group: String,
    pub median: f64,
    /// Dealers with a value in that month.
    pub dealers: usize,
}

/// A warning when the dealer's `value` of key figure `k` is more than [`PEER_FACTOR`]
/// times `peers.median`, or less than its [`PEER_FACTOR`]th part.
pub fn peer_warning(k: &KpiDef, value: f64, peers: &PeerMedian) -> Option<Violation> {
    let m = peers.median;
    if !(m > 0.0 && value.is_finite()) {
        return None;
    }
    let (high, low) = (value > m * PEER_FACTOR, value * PEER_FACTOR < m);
    if !(high || low) {
        return None;
    }
    let field = format!("kpi:{}", k.code);
    Some(Violation::new(
        field.clone(),
        Rule::PeerPlausibility,
        format!(
            "{} ({value:.2}) is {} the median of the dealer's {} in {} ({m:.2}, {} dealers)",
            k.code,
            if high {
                format!("more than {PEER_FACTOR}×")
            } else {
                format!("less than 1/{PEER_FACTOR} of")
            },
            peers.group,
            peers.month,
            peers.dealers,
        ),
        vec![
            (field, format!("{value:.2}")),
            ("peer_median".into(), format!("{m:.2}")),
            ("peer_month".into(), peers.month.to_string()),
            ("peer_dealers".into(), peers.dealers.to_string()),
        ],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::kpi::{by_code, KPIS};

    fn peers(median: f64) -> PeerMedian {
        PeerMedian {
            month: "2024-04".parse().unwrap(),
            group: "peer group Aurora L".into(),
            median,
            dealers: 12,
        }
    }

    #[test]
    fn key_figures_are_per_day_per_person_or_per_vehicle_and_read_their_own_month() {
        let keys: Vec<&str> = KPIS
            .iter()
            .filter(|k| is_key_figure(k))
            .map(|k| k.code)
            .collect();
        assert!(keys.contains(&"advisor_ros_per_day"));
        assert!(keys.contains(&"mech_revenue_per_mechanic_day"));
        assert!(keys.contains(&"ros_per_technician"));
        assert!(keys.contains(&"revenue_per_service_staff"));
        assert!(keys.contains(&"service_coverage"));
        assert!(!keys.contains(&"gross_margin"));
        assert_eq!(keys.len(), 14);
        for k in KPIS.iter().filter(|k| is_key_figure(k)) {
            assert_eq!(
                k.max_lag(),
                0,
                "{}: a submission is checked on its own",
                k.code
            );
        }
    }

    #[test]
    fn five_times_or_a_fifth_of_the_median_is_a_warning() {
        let k = by_code("advisor_ros_per_day").unwrap();
        // median 8.00 ROs per advisor-day: 40.00 is 5× (not more), 40.01 is more.
        assert!(peer_warning(k, 40.0, &peers(8.0)).is_none());
        let w = peer_warning(k, 40.01, &peers(8.0)).unwrap();
        assert_eq!(w.rule, Rule::PeerPlausibility);
        assert_eq!(w.field, "kpi:advisor_ros_per_day");
        assert_eq!(
            w.values,
            vec![
                ("kpi:advisor_ros_per_day".to_string(), "40.01".to_string()),
                ("peer_median".to_string(), "8.00".to_string()),
                ("peer_month".to_string(), "2024-04".to_string()),
                ("peer_dealers".to_string(), "12".to_string()),
            ]
        );
        assert!(w.message.contains("more than 5×"), "{}", w.message);
        assert!(
            w.message.contains("peer group Aurora L in 2024-04"),
            "{}",
            w.message
        );
        // 1.60 is a fifth (not less); 1.59 is less.
        assert!(peer_warning(k, 1.6, &peers(8.0)).is_none());
        let w = peer_warning(k, 1.59, &peers(8.0)).unwrap();
        assert!(
            w.message.contains("less than 1/5 of the median"),
            "{}",
            w.message
        );
        // No median to compare with: no judgement.
        assert!(peer_warning(k, 1000.0, &peers(0.0)).is_none());
        assert!(peer_warning(k, 0.0, &peers(0.0)).is_none());
    }
}
