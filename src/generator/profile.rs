//! The dealer model: a dealer's persistent traits (`Profile`), its service headcount
//! (`Staff`), its month-end stocks (`Stock`) and its new-car sales, each a pure function of
//! its own key so that any month can recompute what another month needs.

use super::calibration::{
    ANNUAL_VISITS, BODY_PAINT_LABOR, BODY_PAINT_PARTS, GROSS_PROFIT_PER_RO, LABOR_RATE,
    MAINTENANCE_LABOR, MAINTENANCE_PARTS, NOMINAL_MAINTENANCE_SHARE, NOMINAL_ROS, NOMINAL_SALES,
    NOMINAL_WORKING_DAYS, REPAIR_LABOR, REPAIR_PARTS, SALES_SEASON,
};
use super::rng::{at_least, count, stream, uni, Stream};
use crate::domain::network::{Dealer, SizeTier};
use crate::domain::period::Month;

/// A dealer's persistent traits, drawn once from its own stream.
pub(super) struct Profile {
    pub(super) opened: Month,
    /// Volume relative to a typical Medium dealer: size tier, dealer and home region.
    pub(super) scale: f64,
    /// Price level of labor and parts (city, brand positioning).
    pub(super) price: f64,
    pub(super) wage_level: f64,
    pub(super) body_paint_share: f64,
    pub(super) express_share: f64,
    pub(super) brand_share: f64,
    pub(super) appointment_rate: f64,
    pub(super) comeback_rate: f64,
    pub(super) productivity: f64,
    pub(super) utilization: f64,
    pub(super) labor_rate: f64,
    pub(super) fill_rate: f64,
    pub(super) parts_margin: f64,
    pub(super) months_of_stock: f64,
    pub(super) sales_scale: f64,
    pub(super) internalization: f64,
    pub(super) vehicles_in_operation: f64,
    pub(super) managed_share: f64,
    pub(super) csi: f64,
    pub(super) expenses: f64,
    pub(super) fixed_share: f64,
    /// Reception, general repair, express, body, paint.
    pub(super) bays: [i64; 5],
}

impl Profile {
    pub(super) fn new(seed: u64, index: usize, dealer: &Dealer, region_factor: f64) -> Profile {
        let r = &mut stream(seed, Stream::Profile, index, 0);
        let tier = match dealer.size_tier {
            SizeTier::Small => 0.55,
            SizeTier::Medium => 1.0,
            SizeTier::Large => 1.9,
        };
        let scale = tier * uni(r, 0.8, 1.25) * region_factor;
        let price = uni(r, 0.88, 1.15);
        let ros = NOMINAL_ROS * scale;
        Profile {
            opened: dealer.opened,
            scale,
            price,
            wage_level: price * uni(r, 0.9, 1.1),
            body_paint_share: uni(r, 0.12, 0.2),
            express_share: uni(r, 0.45, 0.7),
            brand_share: uni(r, 0.85, 0.97),
            appointment_rate: uni(r, 0.2, 0.4),
            comeback_rate: uni(r, 0.013, 0.022),
            productivity: uni(r, 1.0, 1.2),
            utilization: uni(r, 0.8, 0.9),
            labor_rate: LABOR_RATE * price * uni(r, 0.9, 1.1),
            fill_rate: uni(r, 0.88, 0.96),
            parts_margin: uni(r, 0.18, 0.28),
            months_of_stock: uni(r, 1.1, 1.8),
            sales_scale: scale * uni(r, 0.7, 1.3),
            internalization: uni(r, 0.55, 0.85),
            // Sized so that service coverage (ROs × 12 / (VIO × visits)) is 40–65 % once
            // the car park has matured.
            vehicles_in_operation: ros * 12.0 / (ANNUAL_VISITS * uni(r, 0.4, 0.65)),
            managed_share: uni(r, 0.4, 0.6),
            csi: uni(r, 82.0, 95.0),
            // Sized so that absorption (service gross profit / all expenses) is 80–105 %
            // in an average month.
            expenses: ros * price * GROSS_PROFIT_PER_RO / uni(r, 0.8, 1.05),
            fixed_share: uni(r, 0.35, 0.55),
            bays: [
                at_least(2, 6.0 * scale * uni(r, 0.9, 1.3)),
                at_least(2, 12.0 * scale * uni(r, 0.8, 1.2)),
                at_least(1, 3.0 * scale * uni(r, 0.8, 1.2)),
                at_least(1, 4.0 * scale * uni(r, 0.8, 1.2)),
                at_least(1, 3.0 * scale * uni(r, 0.8, 1.2)),
            ],
        }
    }

    /// A dealer opened inside the window takes half a year to reach its full volume (and
    /// staff, and stock).
    pub(super) fn ramp(&self, m: Month) -> f64 {
        (0.55 + 0.075 * m.since(self.opened).max(0) as f64).min(1.0)
    }

    /// The car park around a dealer grows with its age, for five years.
    fn maturity(&self, m: Month) -> f64 {
        0.8 + 0.2 * (m.since(self.opened).clamp(0, 60) as f64 / 60.0)
    }

    /// Labor revenue per delivered RO at price level 1, for the nominal job mix.
    fn labor_per_ro(&self) -> f64 {
        let bp = self.body_paint_share;
        NOMINAL_MAINTENANCE_SHARE * MAINTENANCE_LABOR
            + (1.0 - NOMINAL_MAINTENANCE_SHARE - bp) * REPAIR_LABOR
            + bp * BODY_PAINT_LABOR
    }

    /// Parts revenue per delivered RO at price level 1, for the nominal job mix.
    fn parts_per_ro(&self) -> f64 {
        let bp = self.body_paint_share;
        NOMINAL_MAINTENANCE_SHARE * MAINTENANCE_PARTS
            + (1.0 - NOMINAL_MAINTENANCE_SHARE - bp) * REPAIR_PARTS
            + bp * BODY_PAINT_PARTS
    }
}

/// Service headcount; changes at most every half year (hiring is slow).
pub(super) struct Staff {
    pub(super) service_advisors: i64,
    pub(super) mechanics: i64,
    pub(super) body_techs: i64,
    pub(super) painters: i64,
    pub(super) washers: i64,
    pub(super) level1: i64,
    pub(super) level2: i64,
    pub(super) indirect: i64,
}

impl Staff {
    pub(super) fn new(seed: u64, index: usize, p: &Profile, m: Month) -> Staff {
        let r = &mut stream(seed, Stream::Staff, index, m.index().div_euclid(6));
        let ros = NOMINAL_ROS * p.scale * p.ramp(m);
        // Enough technicians that a nominal month runs at the dealer's usual productivity
        // and utilization (8-hour days, 4 % absence).
        let sold_hours = ros * p.labor_per_ro() * p.price / p.labor_rate;
        let techs = sold_hours
            / (p.productivity * p.utilization * NOMINAL_WORKING_DAYS * 8.0 * 0.96)
            * uni(r, 0.95, 1.05);
        let bp_techs = techs * p.body_paint_share * BODY_PAINT_LABOR / p.labor_per_ro();
        let body_techs = at_least(1, bp_techs * 0.5 * uni(r, 0.9, 1.1));
        let painters = at_least(1, bp_techs * 0.5 * uni(r, 0.9, 1.1));
        let mechanics = at_least(2, techs - bp_techs);
        let total = mechanics + body_techs + painters;
        Staff {
            // About 8 ROs per advisor and day, 12 washes per washer and day.
            service_advisors: at_least(1, ros / (NOMINAL_WORKING_DAYS * 8.0) * uni(r, 0.9, 1.1)),
            mechanics,
            body_techs,
            painters,
            washers: at_least(
                1,
                ros * 0.75 / (NOMINAL_WORKING_DAYS * 12.0) * uni(r, 0.9, 1.1),
            ),
            // Floors, so that level1 + level2 <= total always.
            level1: (total as f64 * uni(r, 0.35, 0.5)).floor() as i64,
            level2: (total as f64 * uni(r, 0.2, 0.35)).floor() as i64,
            indirect: at_least(1, total as f64 * uni(r, 0.3, 0.5)),
        }
    }

    pub(super) fn technicians(&self) -> i64 {
        self.mechanics + self.body_techs + self.painters
    }
}

/// New cars the dealer sold in `m`: a pure function of `(seed, dealer, m)`, so that the
/// reports of later months can relate warranty registrations, first services and new
/// managed customers to it.
pub(super) fn own_sales(seed: u64, index: usize, p: &Profile, m: Month) -> i64 {
    if m < p.opened {
        return 0;
    }
    let r = &mut stream(seed, Stream::Sales, index, m.index());
    let season = SALES_SEASON[m.month() as usize - 1];
    count(NOMINAL_SALES * p.sales_scale * season * uni(r, 0.85, 1.15) * p.ramp(m))
}

/// Month-end stocks, pure functions of `(seed, dealer, m)` so that the next month can
/// start from them.
pub(super) struct Stock {
    /// Parts inventory at cost, yuan.
    pub(super) parts_inventory: f64,
    pub(super) vehicles_in_operation: i64,
    pub(super) managed_customers: i64,
}

impl Stock {
    pub(super) fn new(seed: u64, index: usize, p: &Profile, m: Month) -> Stock {
        let r = &mut stream(seed, Stream::Stock, index, m.index());
        let monthly_cost =
            NOMINAL_ROS * p.scale * p.ramp(m) * p.parts_per_ro() * p.price * (1.0 - p.parts_margin);
        let vio = p.vehicles_in_operation * p.maturity(m) * uni(r, 0.995, 1.005);
        Stock {
            parts_inventory: monthly_cost * p.months_of_stock * uni(r, 0.92, 1.08),
            vehicles_in_operation: count(vio),
            managed_customers: count(vio * p.managed_share * uni(r, 0.98, 1.02)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use crate::domain::fields::Field as F;
    use crate::domain::network::SizeTier;
    use crate::domain::report::Total;
    use crate::generator::tests::{get, spec};
    use crate::generator::{network, reports_for_month};

    #[test]
    fn size_tiers_scale_the_figures() {
        let s = spec(240, 12, "2025-12", 20);
        let net = network(&s);
        let tiers: HashMap<&str, SizeTier> = net
            .dealers
            .iter()
            .map(|d| (d.dealer.code.as_str(), d.dealer.size_tier))
            .collect();
        let mut sums: HashMap<SizeTier, (i64, i64, i64)> = HashMap::new();
        for rep in reports_for_month(&s, &net, s.end.plus(-1)) {
            let e = sums.entry(tiers[rep.dealer_code.as_str()]).or_default();
            e.0 += 1;
            e.1 += rep.values.total(Total::ro_total).unwrap();
            e.2 += get(&rep.values, F::mechanics);
        }
        let mean = |t: SizeTier| (sums[&t].1 / sums[&t].0, sums[&t].2 / sums[&t].0);
        let (small, medium, large) = (
            mean(SizeTier::Small),
            mean(SizeTier::Medium),
            mean(SizeTier::Large),
        );
        assert!(small.0 < medium.0 && medium.0 < large.0);
        assert!((800..=1600).contains(&medium.0), "{medium:?}");
        assert!((10..=30).contains(&medium.1), "{medium:?}");
        assert!(small.1 < medium.1 && medium.1 < large.1);
        let counts: Vec<usize> = SizeTier::ALL
            .iter()
            .map(|t| {
                net.dealers
                    .iter()
                    .filter(|d| d.dealer.size_tier == *t)
                    .count()
            })
            .collect();
        assert!(
            counts[0] > 60 && counts[1] > 60 && counts[2] > 25,
            "{counts:?}"
        );
    }
}
