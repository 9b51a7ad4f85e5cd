//! One month's report of a dealer: every field of the form, in storage units, built up
//! from the dealer's profile, staff, stocks and sales and the month's own draws.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::calibration::{
    BODY_PAINT_LABOR, BODY_PAINT_PARTS, INTERNAL_LABOR, INTERNAL_PARTS, MAINTENANCE_LABOR,
    MAINTENANCE_PARTS, NOMINAL_ROS, REPAIR_LABOR, REPAIR_PARTS, SERVICE_SEASON, TECH_BASE_WAGE,
    TECH_COMMISSION, WARRANTY_LABOR,
};
use super::profile::{own_sales, Profile, Staff, Stock};
use super::rng::{at_least, cents, count, part, squash, stream, uni, Stream};
use crate::domain::fields::Field as F;
use crate::domain::period::Month;
use crate::domain::report::Values;

/// Working days: six-day weeks, less the public holidays (Spring Festival in February,
/// Labour Day in May, the National Day week in October, New Year), a day less at some
/// dealers; always 20–26 and never more than the month has.
fn working_days(r: &mut ChaCha8Rng, m: Month) -> i64 {
    let holidays = match m.month() {
        1 => 1,
        2 => 5,
        5 => 2,
        10 => 4,
        _ => 0,
    };
    let days = i64::from(m.days());
    (days * 6 / 7 - holidays - r.gen_range(0..=1))
        .clamp(20, 26)
        .min(days)
}

/// The complete report of dealer `index` for `m`, in storage units.
pub(super) fn month_values(seed: u64, index: usize, p: &Profile, m: Month) -> Values {
    let r = &mut stream(seed, Stream::Month, index, m.index());
    let staff = Staff::new(seed, index, p, m);
    let stock = Stock::new(seed, index, p, m);
    let stock_before = Stock::new(seed, index, p, m.plus(-1));
    let sales = own_sales(seed, index, p, m);
    let sales_1 = own_sales(seed, index, p, m.plus(-1));
    let sales_2 = own_sales(seed, index, p, m.plus(-2));
    let mut v = Values::default();
    let mut put = |f: F, x: i64| v.set(f, Some(x));

    let wd = working_days(r, m);
    put(F::working_days, wd);

    // Capacity.
    let [reception, general, express, body, paint] = p.bays;
    put(F::reception_bays, reception);
    put(F::general_repair_bays, general);
    put(F::express_bays, express);
    put(F::body_bays, body);
    put(F::paint_bays, paint);
    put(F::service_advisors, staff.service_advisors);
    put(F::mechanics, staff.mechanics);
    put(F::body_techs, staff.body_techs);
    put(F::painters, staff.painters);
    put(F::washers, staff.washers);
    let techs = staff.technicians();
    put(F::technicians_total, techs);
    put(F::technicians_level1, staff.level1);
    put(F::technicians_level2, staff.level2);
    put(F::indirect_staff, staff.indirect);

    // Repair orders: the month's volume, split by kind with some jitter.
    let activity = p.scale * SERVICE_SEASON[m.month() as usize - 1] * uni(r, 0.9, 1.1) * p.ramp(m);
    let ros = NOMINAL_ROS * activity;
    let shares = [
        0.46 * uni(r, 0.9, 1.1),
        0.30 * uni(r, 0.9, 1.1),
        0.14 * uni(r, 0.9, 1.1),
        0.10 * uni(r, 0.9, 1.1),
    ];
    let share_sum: f64 = shares.iter().sum();
    let [paid_maintenance, paid_repair, free_inspection, free_repair] =
        shares.map(|s| at_least(1, ros * s / share_sum));
    let total = paid_maintenance + paid_repair + free_inspection + free_repair;
    let paid = paid_maintenance + paid_repair;
    put(F::ro_paid_maintenance, paid_maintenance);
    put(F::ro_paid_repair, paid_repair);
    put(F::ro_free_inspection, free_inspection);
    put(F::ro_free_repair, free_repair);
    let warranty = part(r, free_repair, 0.55, 0.85);
    put(F::ro_warranty, warranty);
    let internal = count(total as f64 * uni(r, 0.01, 0.03));
    put(F::ro_internal, internal);
    let brand = part(r, total, p.brand_share * 0.98, p.brand_share);
    put(F::ro_brand, brand);
    let customer_pay_brand = brand as f64 * paid as f64 / total as f64 * uni(r, 0.95, 1.0);
    put(
        F::ro_customer_pay_brand,
        count(customer_pay_brand).min(brand),
    );
    let delivered = part(r, total, 0.97, 1.0).max(1);
    let body_paint = part(
        r,
        delivered,
        p.body_paint_share * 0.9,
        p.body_paint_share * 1.1,
    );
    let mechanical = delivered - body_paint;
    let maintenance_jobs =
        count((paid_maintenance + free_inspection) as f64 * delivered as f64 / total as f64)
            .min(mechanical);
    let repair_jobs = mechanical - maintenance_jobs;
    put(F::ro_delivered, delivered);
    put(F::ro_mechanical_delivered, mechanical);
    put(F::ro_body_paint_delivered, body_paint);
    // A body-paint job may need body work, paint or both.
    put(F::ro_body_delivered, part(r, body_paint, 0.55, 0.75));
    put(F::ro_paint_delivered, part(r, body_paint, 0.8, 0.95));
    put(
        F::ro_express_delivered,
        part(r, maintenance_jobs, p.express_share * 0.95, p.express_share),
    );
    put(F::ro_washed, part(r, delivered, 0.6, 0.9));
    put(
        F::ro_comebacks,
        count(delivered as f64 * p.comeback_rate * uni(r, 0.75, 1.3)).min(delivered),
    );
    let same_day_in = part(r, total, 0.5, 0.7);
    put(F::ro_same_day_in, same_day_in);
    put(F::ro_same_day_out, part(r, same_day_in, 0.85, 0.97));
    let estimates = part(r, delivered, 0.75, 0.95);
    put(F::ro_estimate_given, estimates);
    put(F::ro_within_estimate, part(r, estimates, 0.88, 0.98));
    put(F::ro_on_time, part(r, delivered, 0.85, 0.97));
    let appointments = part(r, total, p.appointment_rate * 0.9, p.appointment_rate * 1.1);
    put(F::appointments, appointments);
    put(F::appointments_kept, part(r, appointments, 0.75, 0.92));

    // Revenue, yuan, built up from the jobs so that the by-payer, by-kind and by-job
    // breakdowns agree.
    let price = p.price * uni(r, 0.97, 1.03);
    let jobs =
        |n: i64, per_job: f64, r: &mut ChaCha8Rng| n as f64 * per_job * price * uni(r, 0.92, 1.08);
    let maintenance_labor = jobs(maintenance_jobs, MAINTENANCE_LABOR, r);
    let maintenance_parts = jobs(maintenance_jobs, MAINTENANCE_PARTS, r);
    let repair_labor = jobs(repair_jobs, REPAIR_LABOR, r);
    let repair_parts = jobs(repair_jobs, REPAIR_PARTS, r);
    let bp_labor = jobs(body_paint, BODY_PAINT_LABOR, r);
    let bp_parts = jobs(body_paint, BODY_PAINT_PARTS, r);
    let labor = maintenance_labor + repair_labor + bp_labor;
    let labor_warranty = jobs(warranty, WARRANTY_LABOR, r);
    let labor_internal = jobs(internal, INTERNAL_LABOR, r);
    let labor_customer = (labor - labor_warranty - labor_internal).max(0.0);
    put(F::labor_revenue_customer, cents(labor_customer));
    put(F::labor_revenue_warranty, cents(labor_warranty));
    put(F::labor_revenue_internal, cents(labor_internal));
    let parts_internal = jobs(internal, INTERNAL_PARTS, r);
    let parts_mechanical = (maintenance_parts + repair_parts - parts_internal).max(0.0);
    let parts = parts_mechanical + bp_parts + parts_internal;
    put(F::parts_revenue_mechanical, cents(parts_mechanical));
    put(F::parts_revenue_body_paint, cents(bp_parts));
    put(F::parts_revenue_internal, cents(parts_internal));
    put(F::body_paint_revenue, cents(bp_labor + bp_parts));
    put(
        F::maintenance_revenue,
        cents(maintenance_labor + maintenance_parts),
    );
    put(
        F::general_repair_revenue,
        cents(repair_labor + repair_parts),
    );
    let sublet = (labor + parts) * uni(r, 0.015, 0.04);
    let accessories = (labor + parts) * uni(r, 0.03, 0.08);
    put(F::sublet_revenue, cents(sublet));
    put(F::accessory_revenue, cents(accessories));

    // Productivity. Sold hours follow labor revenue; scheduled hours follow headcount. A
    // busy month raises both utilization and productivity (half of the load each), within
    // 75–95 % and 90–130 %; what even that cannot absorb is overtime or short time, so
    // attended hours give way last.
    let sold = labor / (p.labor_rate * price / p.price);
    let scheduled = techs as f64 * wd as f64 * 8.0 * uni(r, 0.92, 0.99);
    let load = sold / (scheduled * p.productivity * p.utilization);
    // (`sqrt` is correctly rounded by IEEE 754, so this stays the same on every platform.)
    let utilization = squash(p.utilization * load.sqrt() * uni(r, 0.97, 1.03), 0.75, 0.95);
    let productivity = squash(sold / (utilization * scheduled), 0.9, 1.3);
    let worked = sold / productivity;
    let attended = cents(worked / utilization);
    put(F::hours_attended, attended);
    put(F::hours_worked, cents(worked).min(attended));
    put(F::hours_sold, cents(sold));
    let wages = (techs as f64 * TECH_BASE_WAGE + sold * TECH_COMMISSION) * p.wage_level;
    put(F::technician_wages, cents(wages));

    // Parts: this month opens with last month's closing stock.
    let parts_cost = parts * (1.0 - p.parts_margin * uni(r, 0.95, 1.05));
    put(
        F::parts_inventory_begin,
        cents(stock_before.parts_inventory),
    );
    put(F::parts_inventory_end, cents(stock.parts_inventory));
    put(F::parts_cost_of_sales, cents(parts_cost));
    let lines = count(delivered as f64 * uni(r, 2.2, 3.2));
    put(F::parts_lines_requested, lines);
    put(
        F::parts_lines_filled_from_stock,
        part(r, lines, p.fill_rate * 0.97, p.fill_rate * 1.02),
    );

    // Customers.
    put(F::vehicles_in_operation, stock.vehicles_in_operation);
    let managed = stock.managed_customers;
    put(F::managed_customers, managed);
    put(F::new_customers, part(r, total, 0.08, 0.15));
    put(
        F::new_managed_from_own_sales,
        part(
            r,
            sales_1,
            p.internalization * 0.92,
            p.internalization * 1.08,
        ),
    );
    put(F::own_sales_units, sales);
    put(F::warranty_registrations, part(r, sales_1, 0.9, 1.0));
    put(F::first_services_of_own_sales, part(r, sales_2, 0.7, 0.95));
    let files = count(managed as f64 * uni(r, 1.05, 1.2));
    let loyal = part(r, files, 0.25, 0.4);
    put(F::customer_files, files);
    put(F::customer_files_accurate, part(r, files, 0.85, 0.98));
    put(
        F::customer_files_general,
        part(r, files - loyal, 0.85, 0.97),
    );
    put(F::customer_files_loyal, loyal);

    // CRM: about one managed customer in six is due for maintenance each month.
    let pm_due = part(r, managed, 0.14, 0.2);
    let pm_contacted = part(r, pm_due, 0.75, 0.95);
    let pm_invited = part(r, pm_contacted, 0.6, 0.85);
    put(F::pm_due, pm_due);
    put(F::pm_contacted, pm_contacted);
    put(F::pm_invited, pm_invited);
    put(F::pm_invited_arrived, part(r, pm_invited, 0.4, 0.7));
    let followups = part(r, delivered, 0.9, 1.0);
    put(F::followups_due, followups);
    put(F::followups_done, part(r, followups, 0.75, 0.95));
    let complaints = count(delivered as f64 * uni(r, 0.005, 0.02));
    put(F::complaints_found, complaints);
    put(F::complaints_resolved, part(r, complaints, 0.8, 1.0));
    put(F::complaints_formal, part(r, complaints, 0.05, 0.25));
    put(
        F::csi_score,
        cents((p.csi + uni(r, -2.5, 2.5)).clamp(0.0, 100.0)),
    );

    // HR: about 1.75 % of the staff leave in a month.
    let service_staff = staff.service_advisors + techs + staff.washers + staff.indirect;
    put(F::service_staff_total, service_staff);
    put(F::staff_resigned, part(r, service_staff, 0.0, 0.035));
    put(
        F::training_hours,
        cents(service_staff as f64 * uni(r, 2.0, 6.0)),
    );

    // Financials. "Other" is the margin on sublet work and accessories; now and then a
    // write-off or a goodwill settlement turns it negative.
    put(F::gross_profit_labor, cents(labor - wages));
    let obsolescence = parts * uni(r, 0.0, 0.01);
    put(
        F::gross_profit_parts,
        cents(parts - parts_cost - obsolescence),
    );
    let mut other = sublet * uni(r, 0.1, 0.2) + accessories * uni(r, 0.3, 0.4);
    if r.gen::<f64>() < 0.03 {
        other -= (sublet + accessories) * uni(r, 0.5, 1.0);
    }
    put(F::gross_profit_other, cents(other));
    let expenses = p.expenses * uni(r, 0.96, 1.04);
    put(F::dealership_expenses_total, cents(expenses));
    put(
        F::fixed_expenses,
        cents(expenses * p.fixed_share * uni(r, 0.98, 1.02)),
    );

    // Brand revenue: the part of labor and of parts revenue on the OEM's own brand, at
    // about the brand's share of repair orders (a little below or above it, never above
    // the whole). Drawn last, so that every other figure is what it was before these two
    // fields were added.
    let brand_ro_share = brand as f64 / total as f64;
    let (lo, hi) = (brand_ro_share * 0.96, (brand_ro_share * 1.03).min(1.0));
    let labor_total = cents(labor_customer) + cents(labor_warranty) + cents(labor_internal);
    let parts_total = cents(parts_mechanical) + cents(bp_parts) + cents(parts_internal);
    put(F::labor_revenue_brand, part(r, labor_total, lo, hi));
    put(F::parts_revenue_brand, part(r, parts_total, lo, hi));
    v
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::domain::report::{check, Completeness, Total};
    use crate::generator::calibration::ANNUAL_VISITS;
    use crate::generator::tests::{all_reports, get, m, ratio, raw, spec};
    use crate::generator::{network, reports_for_month};

    #[test]
    fn kpis_are_plausible() {
        let s = spec(240, 24, "2025-12", 20);
        let net = network(&s);
        let reports = all_reports(&s, &net);
        let mut gross_profit = 0i64;
        let mut expenses = 0i64;
        let mut negative_other = 0;
        for rep in &reports {
            let v = &rep.values;
            let wd = get(v, F::working_days);
            assert!((20..=26).contains(&wd) && wd <= rep.month.days() as i64);
            let within = |name: &str, x: f64, lo: f64, hi: f64| {
                assert!(
                    (lo..=hi).contains(&x),
                    "{name} {x} of {} {}",
                    rep.dealer_code,
                    rep.month
                )
            };
            within(
                "comeback",
                ratio(v, F::ro_comebacks, F::ro_delivered),
                0.005,
                0.035,
            );
            within(
                "productivity",
                ratio(v, F::hours_sold, F::hours_worked),
                0.895,
                1.305,
            );
            within(
                "utilization",
                ratio(v, F::hours_worked, F::hours_attended),
                0.745,
                0.955,
            );
            within(
                "fill rate",
                ratio(
                    v,
                    F::parts_lines_filled_from_stock,
                    F::parts_lines_requested,
                ),
                0.84,
                0.985,
            );
            let labor = v.total(Total::labor_revenue_total).unwrap();
            let wages = get(v, F::technician_wages);
            within(
                "labor gross margin",
                (labor - wages) as f64 / labor as f64,
                0.3,
                0.85,
            );
            let avg_inventory =
                (get(v, F::parts_inventory_begin) + get(v, F::parts_inventory_end)) as f64 / 2.0;
            within(
                "parts turnover",
                get(v, F::parts_cost_of_sales) as f64 / avg_inventory,
                0.3,
                1.5,
            );
            let coverage = v.total(Total::ro_total).unwrap() as f64 * 12.0
                / (get(v, F::vehicles_in_operation) as f64 * ANNUAL_VISITS);
            within("service coverage", coverage, 0.2, 1.0);
            within("csi", get(v, F::csi_score) as f64 / 100.0, 75.0, 100.0);
            assert!(get(v, F::gross_profit_labor) > 0);
            assert!(get(v, F::gross_profit_parts) > 0);
            assert!(get(v, F::fixed_expenses) < get(v, F::dealership_expenses_total));
            negative_other += usize::from(get(v, F::gross_profit_other) < 0);
            gross_profit += v.total(Total::gross_profit_total).unwrap();
            expenses += get(v, F::dealership_expenses_total);
        }
        let absorption = gross_profit as f64 / expenses as f64;
        assert!(
            (0.75..=1.05).contains(&absorption),
            "absorption {absorption}"
        );
        // Rare, but there: the Profit kind is exercised.
        assert!(negative_other > 0 && negative_other * 20 < reports.len());
    }

    #[test]
    fn reports_link_across_months() {
        let s = spec(240, 24, "2025-12", 20);
        let net = network(&s);
        let by_key: BTreeMap<(String, Month), Values> = all_reports(&s, &net)
            .into_iter()
            .map(|r| ((r.dealer_code, r.month), r.values))
            .collect();
        let at = |d: &str, mo: Month| by_key.get(&(d.to_string(), mo));
        let (mut registrations, mut sold_1, mut first, mut sold_2) = (0, 0, 0, 0);
        let (mut new_managed, mut sold_for_managed) = (0, 0);
        for ((d, mo), v) in &by_key {
            if let Some(prev) = at(d, mo.plus(-1)) {
                assert_eq!(
                    get(v, F::parts_inventory_begin),
                    get(prev, F::parts_inventory_end)
                );
                let prev_sales = get(prev, F::own_sales_units);
                assert!(get(v, F::warranty_registrations) <= prev_sales);
                assert!(get(v, F::new_managed_from_own_sales) <= prev_sales);
                registrations += get(v, F::warranty_registrations);
                sold_1 += prev_sales;
                new_managed += get(v, F::new_managed_from_own_sales);
                sold_for_managed += prev_sales;
            }
            if let Some(prev2) = at(d, mo.plus(-2)) {
                first += get(v, F::first_services_of_own_sales);
                sold_2 += get(prev2, F::own_sales_units);
            }
        }
        let rate = |a: i64, b: i64| a as f64 / b as f64;
        assert!((0.9..=1.0).contains(&rate(registrations, sold_1)));
        assert!((0.7..=0.95).contains(&rate(first, sold_2)));
        assert!((0.5..=0.9).contains(&rate(new_managed, sold_for_managed)));
    }

    #[test]
    fn seasonality_shows() {
        let s = spec(240, 24, "2025-12", 20);
        let net = network(&s);
        let volume = |mo: &str| -> i64 {
            reports_for_month(&s, &net, m(mo))
                .iter()
                .map(|r| r.values.total(Total::ro_total).unwrap())
                .sum()
        };
        let (feb, mar, jul, dec) = (
            volume("2025-02"),
            volume("2025-03"),
            volume("2025-07"),
            volume("2024-12"),
        );
        assert!(
            feb < mar && mar < jul && mar < dec,
            "{feb} {mar} {jul} {dec}"
        );
    }

    #[test]
    fn brand_revenue_is_at_most_its_total_and_near_the_brand_ro_share() {
        // Across the month the two fields become required (2027-01).
        let s = spec(60, 8, "2027-03", 20);
        let net = network(&s);
        let reports = all_reports(&s, &net);
        let mut with_brand_ros = 0;
        for rep in &reports {
            let v = &rep.values;
            let brand_ros = get(v, F::ro_brand);
            let ro_share = brand_ros as f64 / v.total(Total::ro_total).unwrap() as f64;
            for (f, t) in [
                (F::labor_revenue_brand, Total::labor_revenue_total),
                (F::parts_revenue_brand, Total::parts_revenue_total),
            ] {
                let (x, total) = (get(v, f), v.total(t).unwrap());
                let at = format!("{} of {} {}", f.name(), rep.dealer_code, rep.month);
                assert!(x <= total, "{at}: {x} > {total}");
                if brand_ros > 0 {
                    assert!(x > 0, "{at}: {x}");
                }
                let share = x as f64 / total as f64;
                assert!(
                    (ro_share * 0.955..=ro_share * 1.035).contains(&share),
                    "{at}: share {share}, brand RO share {ro_share}"
                );
            }
            with_brand_ros += usize::from(brand_ros > 0);
            let c = check(&raw(v), rep.month, Completeness::Complete, &[]);
            assert!(
                c.errors.is_empty(),
                "{} {}: {:?}",
                rep.dealer_code,
                rep.month,
                c.errors
            );
        }
        assert!(
            with_brand_ros * 10 > reports.len() * 9,
            "{with_brand_ros} of {}",
            reports.len()
        );
    }
}
