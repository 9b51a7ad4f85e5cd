//! Property tests of the domain: report validation and KPI arithmetic never panic,
//! group figures are ratios of sums, quantiles and standings agree with naive references.

use std::collections::BTreeMap;

use proptest::prelude::*;
use rust_decimal::Decimal;

use super::best_first::BestFirst;
use super::kpi::{dealer_facts, Param, ParamValue, KPIS};
use super::report::{check, RawReport, Values};
use super::standing::{standing_among, standings, standings_among};
use super::stats::{aggregate, quantile, Pair};
use super::{Completeness, Month, FIELDS};

/// Any decimal rust_decimal can hold: mantissas up to 96 bits, any scale.
fn any_decimal() -> impl Strategy<Value = Decimal> {
    prop_oneof![
        (any::<i64>(), 0u32..=4).prop_map(|(m, s)| Decimal::new(m, s)),
        (
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
            any::<bool>(),
            0u32..=28
        )
            .prop_map(|(lo, mid, hi, neg, s)| Decimal::from_parts(lo, mid, hi, neg, s)),
        Just(Decimal::MAX),
        Just(Decimal::MIN),
        (0i64..1_000_000).prop_map(Decimal::from),
    ]
}

/// A report with any subset of fields set to any decimal.
fn any_report() -> impl Strategy<Value = RawReport> {
    proptest::collection::vec(proptest::option::of(any_decimal()), FIELDS.len()).prop_map(|v| {
        FIELDS
            .iter()
            .zip(v)
            .filter_map(|(f, x)| x.map(|x| (f.field, x)))
            .collect()
    })
}

/// Stored values of a month: any i64 in most fields, small or huge.
fn any_values() -> impl Strategy<Value = Values> {
    proptest::collection::vec(
        proptest::option::of(prop_oneof![
            -1_000i64..1_000_000,
            any::<i64>(),
            Just(i64::MAX),
            Just(i64::MIN),
            Just(0i64)
        ]),
        FIELDS.len(),
    )
    .prop_map(|v| {
        let mut out = Values::default();
        for (f, x) in FIELDS.iter().zip(v) {
            out.set(f.field, x);
        }
        out
    })
}

fn reference_quantile(sorted: &[f64], q: f64) -> Option<f64> {
    // PERCENTILE.INC, spelt out: rank h = (n − 1) q between order statistics.
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let h = (n as f64 - 1.0) * q;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    Some(sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo]))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn validation_never_panics_and_keeps_values_in_range(raw in any_report(), month in 0i32..1200) {
        let month = Month::from_index(2000 * 12 + month).unwrap();
        for completeness in [Completeness::Complete, Completeness::Draft] {
            let c = check(&raw, month, completeness, &[]);
            for f in FIELDS {
                if let Some(v) = c.values.get(f.field) {
                    prop_assert!(v.checked_abs().is_some_and(|a| a <= 10_000_000_000_000), "{} = {v}", f.name);
                }
            }
            for v in c.errors.iter().chain(&c.warnings) {
                prop_assert!(v.message.chars().count() < 300, "{}", v.message);
            }
        }
    }

    #[test]
    fn kpi_arithmetic_never_panics_and_values_have_positive_denominators(
        months in proptest::collection::vec(any_values(), 1..15),
        visits in prop_oneof![1i64..200_000, Just(i64::MAX)],
    ) {
        let start = Month::new(2024, 1).unwrap();
        let reports: BTreeMap<Month, Values> = months
            .into_iter()
            .enumerate()
            .map(|(i, v)| (start.plus(i as i32), v))
            .collect();
        let params = [ParamValue {
            param: Param::AnnualVisitsPerVehicle,
            year: 2024,
            region_code: String::new(),
            value: visits,
        }];
        let end = start.plus(reports.len() as i32 - 1);
        // A target on every item, any value (a zero one too): achievement never panics either.
        let target = |_: Month, _: crate::domain::targets::TargetItem| Some(visits % 7);
        let facts = dealer_facts(&reports, start, end, &params, &|_| Some("R".to_string()), &target, None);
        prop_assert_eq!(facts.len(), reports.len() * KPIS.len());
        for (_, f) in facts {
            if let Ok((_, den)) = f.value {
                prop_assert!(den > 0);
            }
        }
    }

    #[test]
    fn the_ro_mix_adds_up_to_its_denominator(
        ros in proptest::collection::vec(0i64..100_000, 6),
    ) {
        use super::fields::Field as F;
        let kinds = [
            F::ro_paid_maintenance,
            F::ro_paid_repair,
            F::ro_free_inspection,
            F::ro_free_repair,
            F::ro_warranty,
            F::ro_internal,
        ];
        let mut v = Values::default();
        for (f, x) in kinds.iter().zip(&ros) {
            v.set(*f, Some(*x));
        }
        let n = Month::new(2024, 1).unwrap();
        let reports: BTreeMap<Month, Values> = [(n, v)].into_iter().collect();
        let mix = ["maintenance_ro_share", "general_repair_ro_share", "warranty_ro_share", "internal_ro_share"];
        let ids: Vec<i16> = mix.iter().map(|c| super::kpi::by_code(c).unwrap().id).collect();
        let facts = dealer_facts(&reports, n, n, &[], &|_| None, &crate::domain::kpi::no_targets, Some(&ids));
        let all: i64 = ros.iter().sum();
        let mut sum = 0;
        for (_, f) in &facts {
            match f.value {
                Ok((num, den)) => {
                    prop_assert_eq!(den, all);
                    prop_assert!(num <= den);
                    sum += num;
                }
                Err(_) => prop_assert_eq!(all, 0),
            }
        }
        if all > 0 {
            prop_assert_eq!(sum, all);
        }
    }

    #[test]
    fn group_figures_are_ratios_of_sums(
        pairs in proptest::collection::vec((0i64..1_000_000, 0i64..1_000_000), 0..60),
        missing in 0usize..5,
    ) {
        let kpi = super::kpi::by_code("comeback_rate").unwrap();
        let pairs: Vec<Pair> = pairs.into_iter().map(|(num, den)| Pair { num, den }).collect();
        let a = aggregate(kpi, &pairs, missing);
        let valued: Vec<&Pair> = pairs.iter().filter(|p| p.den > 0).collect();
        let (n, d): (i128, i128) = valued.iter().fold((0, 0), |s, p| (s.0 + i128::from(p.num), s.1 + i128::from(p.den)));
        prop_assert_eq!((a.numerator, a.denominator), (n, d));
        prop_assert_eq!(a.count, valued.len());
        prop_assert_eq!(a.missing, missing + pairs.len() - valued.len());
        match a.pooled {
            Some(p) => prop_assert!((p - n as f64 * 100.0 / d as f64).abs() < 1e-9 * p.abs().max(1.0)),
            None => prop_assert_eq!(d, 0),
        }
        // Splitting the group in two and pooling the halves' sums gives the same ratio.
        let (left, right) = pairs.split_at(pairs.len() / 2);
        let (l, r) = (aggregate(kpi, left, 0), aggregate(kpi, right, 0));
        prop_assert_eq!((l.numerator + r.numerator, l.denominator + r.denominator), (n, d));
        if let Some(s) = a.largest_share {
            prop_assert!(s > 0.0 && s <= 1.0);
        }
        // The quantiles found by selection are those of the sorted values, exactly.
        let mut sorted: Vec<f64> = valued.iter().filter_map(|p| kpi.value(p.num, p.den)).collect();
        sorted.sort_by(f64::total_cmp);
        prop_assert_eq!(
            (a.p25, a.median, a.p75, a.min, a.max),
            (quantile(&sorted, 0.25), quantile(&sorted, 0.5), quantile(&sorted, 0.75), sorted.first().copied(), sorted.last().copied())
        );
    }

    #[test]
    fn quantiles_match_percentile_inc(mut v in proptest::collection::vec(-1e9f64..1e9, 0..50), q in 0.0f64..=1.0) {
        v.sort_by(f64::total_cmp);
        let (got, want) = (quantile(&v, q), reference_quantile(&v, q));
        match (got, want) {
            (Some(g), Some(w)) => prop_assert!((g - w).abs() <= 1e-6 * w.abs().max(1.0), "{g} {w}"),
            (g, w) => prop_assert_eq!(g, w),
        }
    }

    #[test]
    fn standings_match_a_naive_count(v in proptest::collection::vec(0i32..20, 1..40)) {
        let values: Vec<f64> = v.iter().map(|&x| f64::from(x)).collect();
        for direction in [super::kpi::Direction::HigherIsBetter, super::kpi::Direction::LowerIsBetter] {
            let better = |a: f64, b: f64| match direction {
                super::kpi::Direction::HigherIsBetter => a > b,
                super::kpi::Direction::LowerIsBetter => a < b,
            };
            let sorted = BestFirst::sort(values.clone(), direction);
            for (x, s) in values.iter().zip(standings(&values, direction)) {
                let rank = 1 + values.iter().filter(|&&y| better(y, *x)).count();
                let worse = values.iter().filter(|&&y| better(*x, y)).count();
                let percentile = if values.len() > 1 { 100.0 * worse as f64 / (values.len() - 1) as f64 } else { 100.0 };
                prop_assert_eq!(s.rank, rank);
                prop_assert!((s.percentile - percentile).abs() < 1e-9);
                prop_assert_eq!(sorted.standing(*x), s);
                prop_assert_eq!(standing_among(&values, *x, direction), s);
            }
            // A few values' standings in one pass: the same.
            let few: Vec<f64> = values.iter().step_by(3).copied().collect();
            let all = standings(&values, direction);
            let want: Vec<_> = all.iter().step_by(3).copied().collect();
            prop_assert_eq!(standings_among(&values, &few, direction), want);
        }
    }
}
