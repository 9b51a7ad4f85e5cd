//! The dealer model's calibration: nominal volumes of a typical Medium dealer, prices per
//! job, labor rate and technician pay, and the seasons of service and sales.

/// Repair orders a month of a typical Medium dealer.
pub(super) const NOMINAL_ROS: f64 = 1200.0;
/// New cars a month a typical Medium dealer sells.
pub(super) const NOMINAL_SALES: f64 = 100.0;
/// Working days of a typical month, for staffing.
pub(super) const NOMINAL_WORKING_DAYS: f64 = 25.0;
/// Service visits per vehicle and year (the OEM's `annual_visits_per_vehicle`).
/// The annual visits per vehicle the generated network is built around (the OEM parameter
/// the demo sets), in thousandths.
pub const ANNUAL_VISITS_PER_VEHICLE: i64 = 2500;
pub(super) const ANNUAL_VISITS: f64 = ANNUAL_VISITS_PER_VEHICLE as f64 / 1000.0;
/// Share of delivered ROs that are maintenance (paid maintenance + free inspection).
pub(super) const NOMINAL_MAINTENANCE_SHARE: f64 = 0.6;

/// Labor and parts revenue per job at price level 1, in yuan.
pub(super) const MAINTENANCE_LABOR: f64 = 200.0;
pub(super) const MAINTENANCE_PARTS: f64 = 420.0;
pub(super) const REPAIR_LABOR: f64 = 800.0;
pub(super) const REPAIR_PARTS: f64 = 1000.0;
pub(super) const BODY_PAINT_LABOR: f64 = 1300.0;
pub(super) const BODY_PAINT_PARTS: f64 = 1500.0;
pub(super) const WARRANTY_LABOR: f64 = 650.0;
pub(super) const INTERNAL_LABOR: f64 = 300.0;
pub(super) const INTERNAL_PARTS: f64 = 350.0;
/// Yuan per sold hour at price level 1.
pub(super) const LABOR_RATE: f64 = 125.0;
/// Technician pay: a monthly base and a commission per sold hour, in yuan at wage level 1.
pub(super) const TECH_BASE_WAGE: f64 = 4500.0;
pub(super) const TECH_COMMISSION: f64 = 20.0;
/// Service gross profit per RO at price level 1, roughly, to size the dealership's expenses.
pub(super) const GROSS_PROFIT_PER_RO: f64 = 560.0;

/// Repair orders by month of the year: February low for the Spring Festival, October's
/// National Day week low, summer (air conditioning, travel) and year end high.
pub(super) const SERVICE_SEASON: [f64; 12] = [
    1.02, 0.78, 0.98, 0.97, 1.00, 1.03, 1.08, 1.08, 1.00, 0.94, 1.00, 1.10,
];
/// New-car sales by month of the year: the Spring Festival dip, a summer lull, then the
/// "golden September, silver October" and the year-end push.
pub(super) const SALES_SEASON: [f64; 12] = [
    1.10, 0.70, 0.95, 0.95, 0.97, 1.02, 0.90, 0.92, 1.05, 1.05, 1.08, 1.20,
];
