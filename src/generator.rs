//! A deterministic generator of a dealer network and its monthly MSI reports, for demos,
//! load tests and benchmarks.
//!
//! Pure: no I/O, no clock, no global state. Every random draw comes from a ChaCha8 stream
//! keyed by `(seed, purpose, dealer, month)`, so a dealer-month's figures do not depend on
//! which other months were generated, or in which order. A figure that another month
//! needs (last month's own sales, last month's closing parts stock, last month's managed
//! customers) is therefore recomputed from its own key rather than remembered, and a
//! caller can load month by month with bounded memory.
//!
//! Every generated report passes [`check`](crate::domain::report::check) as a complete
//! submission, without errors and without warnings, and its KPI ratios fall in the ranges
//! the domain reference calls plausible (comebacks 1–3 %, productivity 90–130 %,
//! utilization 75–95 %, parts fill rate 85–98 %, management internalization 50–90 %…).

use std::collections::HashMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::domain::fields::Field as F;
use crate::domain::network::{Dealer, Region, SizeTier};
use crate::domain::period::Month;
use crate::domain::report::Values;
use crate::store::{BulkReport, NewDealer, ReportStatus};

/// The `author` of every generated report.
pub const AUTHOR: &str = "demo-loader";

const DAY_MS: i64 = 86_400_000;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// Number of dealers (codes `D00001`…).
    pub dealers: usize,
    /// Number of months with reports, ending with `end`.
    pub months: usize,
    /// The seed: the same spec gives the same network and reports, byte for byte.
    pub seed: u64,
    /// Number of regions (codes `R01`…); at least one is generated.
    pub regions: usize,
    /// The last month with reports (the current reporting month, partly submitted).
    pub end: Month,
    /// "Now", epoch milliseconds: no report is submitted after it. Normally a moment of
    /// the month after `end`.
    pub now_ms: i64,
    /// Reports submitted after this day of the following month (UTC) are late.
    pub deadline_day: u32,
}

impl Spec {
    /// The demo network: 8 regions, 240 dealers, 24 months of reports up to `end`, seed 42,
    /// deadline on the 10th.
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

    /// The first month with reports (`months - 1` months before `end`).
    pub fn first_month(&self) -> Month {
        self.end.plus(1 - self.months as i32)
    }

    /// The last millisecond (UTC) at which a report for `month` is on time: the end of
    /// `deadline_day` of the following month (clamped to that month's length). A report
    /// first submitted after it is late, as the application reckons it (but in UTC, not
    /// the OEM's time zone).
    pub fn deadline_ms(&self, month: Month) -> i64 {
        let next = month.plus(1);
        let day = i64::from(self.deadline_day.clamp(1, next.days()));
        month_start_ms(next) + day * DAY_MS - 1
    }
}

/// The generated network: regions, dealers with their first region, and region changes.
#[derive(Debug, Clone)]
pub struct Network {
    pub regions: Vec<Region>,
    /// Dealer `i` (0-based) has code `D{i+1:05}`; its `region_code` is the region it had
    /// from its opened month on.
    pub dealers: Vec<NewDealer>,
    /// `(dealer code, region code, from)`: the dealer belongs to that region from `from`
    /// on. At most one move per dealer, always inside the window, after the dealer opened,
    /// not after it closed, and to a different region.
    pub moves: Vec<(String, String, Month)>,
}

/// The months with reports: `spec.first_month()..=spec.end`, `spec.months` of them.
pub fn months(spec: &Spec) -> impl Iterator<Item = Month> {
    let first = spec.first_month();
    (0..spec.months as i32).map(move |k| first.plus(k))
}

/// Generates the regions and dealers of `spec`.
///
/// Regions are of unequal size (weights falling linearly from 3 to 1, so `R01` has about
/// three times the dealers of the last). Dealers are 40 % Small, 40 % Medium, 20 % Large;
/// about 3 % open inside the window, about 1 % close inside it (and report no more), about
/// 2 % move to another region once.
pub fn network(spec: &Spec) -> Network {
    let n_regions = spec.regions.max(1);
    let regions: Vec<Region> = (0..n_regions)
        .map(|i| Region {
            code: region_code(i),
            name: region_name(i),
        })
        .collect();
    let placement = place(
        spec.dealers,
        n_regions,
        &mut stream(spec.seed, Stream::Placement, 0, 0),
    );
    let first = spec.first_month();
    let window = spec.months as i32;
    // How many dealers of a brand a city already has, to tell their names apart.
    let mut namesakes: HashMap<(&str, &str), usize> = HashMap::new();
    let mut dealers = Vec::with_capacity(spec.dealers);
    let mut moves = Vec::new();
    for (i, &region) in placement.iter().enumerate() {
        let r = &mut stream(spec.seed, Stream::Master, i, 0);
        let geo = GEOGRAPHY[region % GEOGRAPHY.len()];
        // Bigger cities (listed first) get more dealers.
        let (province, city) = geo[r.gen_range(0..geo.len()).min(r.gen_range(0..geo.len()))];
        let brand = BRANDS[r.gen_range(0..BRANDS.len())];
        let tier = match r.gen::<f64>() {
            u if u < 0.4 => SizeTier::Small,
            u if u < 0.8 => SizeTier::Medium,
            _ => SizeTier::Large,
        };
        let life: f64 = r.gen();
        let (opened, closed) = if life < OPENING_SHARE && window >= 2 {
            (first.plus(r.gen_range(1..window)), None)
        } else {
            // Up to twelve years of history before the window.
            let opened = first.plus(-r.gen_range(1..=144));
            let closes = life < OPENING_SHARE + CLOSING_SHARE && window >= 2;
            // Closing at the latest the month before `end`, so that it is seen to stop.
            (
                opened,
                closes.then(|| first.plus(r.gen_range(0..window - 1))),
            )
        };
        let n = namesakes.entry((city, brand)).or_insert(0);
        let name = match NAME_QUALIFIERS.get(*n) {
            Some(q) => format!("{city}{brand}{q}4S店"),
            None => format!("{city}{brand}{}号4S店", *n + 1),
        };
        *n += 1;
        let code = dealer_code(i);
        if r.gen::<f64>() < MOVE_SHARE && n_regions >= 2 {
            let start = opened.max(first);
            let last = closed.map_or(spec.end, |c| c.min(spec.end));
            if last > start {
                let from = start.plus(r.gen_range(1..=last.since(start)));
                let to = (region + r.gen_range(1..n_regions)) % n_regions;
                moves.push((code.clone(), region_code(to), from));
            }
        }
        dealers.push(NewDealer {
            dealer: Dealer {
                code,
                name,
                brand: brand.to_string(),
                province: province.to_string(),
                city: city.to_string(),
                size_tier: tier,
                opened,
                closed,
            },
            region_code: region_code(region),
        });
    }
    Network {
        regions,
        dealers,
        moves,
    }
}

/// The reports of `month` of every dealer of `network` (which must be `network(spec)`)
/// that has submitted by `spec.now_ms`; empty outside the window.
///
/// Before `end`, every active dealer has a report, about 4 % of them late. For `end`,
/// about 80 % of the dealers submit on time and about 6 % late (only if `now_ms` is past
/// the deadline: late submissions lie between the deadline and `now_ms`); the rest have
/// not submitted (yet). A dealer whose on-time submission would fall after `now_ms` is
/// missing too, so early in the month most of `end` is missing. Every report is
/// `Accepted`, without warnings, revision 1.
pub fn reports_for_month(spec: &Spec, network: &Network, month: Month) -> Vec<BulkReport> {
    if month < spec.first_month() || month > spec.end {
        return Vec::new();
    }
    let region_index: HashMap<&str, usize> = network
        .regions
        .iter()
        .enumerate()
        .map(|(i, r)| (r.code.as_str(), i))
        .collect();
    let region_factors: Vec<f64> = (0..network.regions.len())
        .map(|i| uni(&mut stream(spec.seed, Stream::Region, i, 0), 0.85, 1.15))
        .collect();
    let mut out = Vec::with_capacity(network.dealers.len());
    for (i, nd) in network.dealers.iter().enumerate() {
        let d = &nd.dealer;
        if !d.is_active(month) {
            continue;
        }
        let Some((submitted_at, late)) = submission(spec, i, month) else {
            continue;
        };
        // The market a dealer serves does not change when the OEM reassigns it to another
        // region, so its home region's factor applies for good.
        let region_factor = region_index
            .get(nd.region_code.as_str())
            .map_or(1.0, |&r| region_factors[r]);
        let profile = Profile::new(spec.seed, i, d, region_factor);
        out.push(BulkReport {
            dealer_code: d.code.clone(),
            month,
            status: ReportStatus::Accepted,
            values: month_values(spec.seed, i, &profile, month),
            warnings: Vec::new(),
            late,
            submitted_at,
            author: AUTHOR.to_string(),
        });
    }
    out
}

// --- shares and calibration ---

/// Dealers opening inside the window.
const OPENING_SHARE: f64 = 0.03;
/// Dealers closing inside the window.
const CLOSING_SHARE: f64 = 0.01;
/// Dealers moving to another region once.
const MOVE_SHARE: f64 = 0.02;
/// Dealer-months before `end` submitted after the deadline.
const LATE_SHARE: f64 = 0.04;
/// For `end`: submitted on time, and (after those) late; the rest is missing.
const END_ON_TIME_SHARE: f64 = 0.80;
const END_LATE_SHARE: f64 = 0.06;
/// How long after the deadline a late report comes in, at most.
const MAX_LATENESS_MS: i64 = 20 * DAY_MS;

/// Repair orders a month of a typical Medium dealer.
const NOMINAL_ROS: f64 = 1200.0;
/// New cars a month a typical Medium dealer sells.
const NOMINAL_SALES: f64 = 100.0;
/// Working days of a typical month, for staffing.
const NOMINAL_WORKING_DAYS: f64 = 25.0;
/// Service visits per vehicle and year (the OEM's `annual_visits_per_vehicle`).
/// The annual visits per vehicle the generated network is built around (the OEM parameter
/// the demo sets), in thousandths.
pub const ANNUAL_VISITS_PER_VEHICLE: i64 = 2500;
const ANNUAL_VISITS: f64 = ANNUAL_VISITS_PER_VEHICLE as f64 / 1000.0;
/// Share of delivered ROs that are maintenance (paid maintenance + free inspection).
const NOMINAL_MAINTENANCE_SHARE: f64 = 0.6;

/// Labor and parts revenue per job at price level 1, in yuan.
const MAINTENANCE_LABOR: f64 = 200.0;
const MAINTENANCE_PARTS: f64 = 420.0;
const REPAIR_LABOR: f64 = 800.0;
const REPAIR_PARTS: f64 = 1000.0;
const BODY_PAINT_LABOR: f64 = 1300.0;
const BODY_PAINT_PARTS: f64 = 1500.0;
const WARRANTY_LABOR: f64 = 650.0;
const INTERNAL_LABOR: f64 = 300.0;
const INTERNAL_PARTS: f64 = 350.0;
/// Yuan per sold hour at price level 1.
const LABOR_RATE: f64 = 125.0;
/// Technician pay: a monthly base and a commission per sold hour, in yuan at wage level 1.
const TECH_BASE_WAGE: f64 = 4500.0;
const TECH_COMMISSION: f64 = 20.0;
/// Service gross profit per RO at price level 1, roughly, to size the dealership's expenses.
const GROSS_PROFIT_PER_RO: f64 = 560.0;

/// Repair orders by month of the year: February low for the Spring Festival, October's
/// National Day week low, summer (air conditioning, travel) and year end high.
const SERVICE_SEASON: [f64; 12] = [
    1.02, 0.78, 0.98, 0.97, 1.00, 1.03, 1.08, 1.08, 1.00, 0.94, 1.00, 1.10,
];
/// New-car sales by month of the year: the Spring Festival dip, a summer lull, then the
/// "golden September, silver October" and the year-end push.
const SALES_SEASON: [f64; 12] = [
    1.10, 0.70, 0.95, 0.95, 0.97, 1.02, 0.90, 0.92, 1.05, 1.05, 1.08, 1.20,
];

// --- names and places ---

const REGION_NAMES: [&str; 8] = [
    "华东", "华南", "华北", "华中", "西南", "西北", "东北", "京津",
];

/// `(province, city)` of each base region, biggest markets first.
const GEOGRAPHY: [&[(&str, &str)]; 8] = [
    &[
        ("上海", "上海"),
        ("江苏", "南京"),
        ("江苏", "苏州"),
        ("浙江", "杭州"),
        ("浙江", "宁波"),
        ("山东", "济南"),
        ("山东", "青岛"),
        ("江苏", "无锡"),
        ("安徽", "合肥"),
        ("福建", "福州"),
        ("福建", "厦门"),
        ("浙江", "温州"),
        ("山东", "烟台"),
        ("江苏", "常州"),
    ],
    &[
        ("广东", "广州"),
        ("广东", "深圳"),
        ("广东", "东莞"),
        ("广东", "佛山"),
        ("广西", "南宁"),
        ("海南", "海口"),
        ("广东", "珠海"),
        ("广东", "中山"),
        ("广西", "柳州"),
        ("广西", "桂林"),
        ("海南", "三亚"),
    ],
    &[
        ("河北", "石家庄"),
        ("山西", "太原"),
        ("河北", "唐山"),
        ("内蒙古", "呼和浩特"),
        ("河北", "保定"),
        ("内蒙古", "包头"),
        ("山西", "大同"),
        ("河北", "邯郸"),
    ],
    &[
        ("湖北", "武汉"),
        ("湖南", "长沙"),
        ("河南", "郑州"),
        ("江西", "南昌"),
        ("河南", "洛阳"),
        ("湖北", "宜昌"),
        ("湖南", "株洲"),
        ("湖北", "襄阳"),
        ("江西", "赣州"),
    ],
    &[
        ("四川", "成都"),
        ("重庆", "重庆"),
        ("云南", "昆明"),
        ("贵州", "贵阳"),
        ("四川", "绵阳"),
        ("四川", "宜宾"),
        ("云南", "曲靖"),
        ("贵州", "遵义"),
        ("西藏", "拉萨"),
    ],
    &[
        ("陕西", "西安"),
        ("甘肃", "兰州"),
        ("新疆", "乌鲁木齐"),
        ("宁夏", "银川"),
        ("青海", "西宁"),
        ("陕西", "宝鸡"),
        ("陕西", "榆林"),
        ("新疆", "克拉玛依"),
    ],
    &[
        ("辽宁", "沈阳"),
        ("辽宁", "大连"),
        ("吉林", "长春"),
        ("黑龙江", "哈尔滨"),
        ("吉林", "吉林"),
        ("黑龙江", "大庆"),
        ("辽宁", "鞍山"),
    ],
    &[("北京", "北京"), ("天津", "天津"), ("河北", "廊坊")],
];

/// The OEM's brands (invented).
const BRANDS: [&str; 3] = ["云驰", "锦程", "凌霄"];

/// Tells apart several dealers of one brand in one city: "苏州云驰4S店", "苏州云驰城东4S店"…
const NAME_QUALIFIERS: [&str; 10] = [
    "",
    "城东",
    "城西",
    "城南",
    "城北",
    "新区",
    "高新区",
    "开发区",
    "机场路",
    "滨江",
];

fn region_code(i: usize) -> String {
    format!("R{:02}", i + 1)
}

fn region_name(i: usize) -> String {
    let base = REGION_NAMES[i % REGION_NAMES.len()];
    match i / REGION_NAMES.len() {
        0 => base.to_string(),
        k => format!("{base}{}", k + 1),
    }
}

fn dealer_code(i: usize) -> String {
    format!("D{:05}", i + 1)
}

/// The region of each dealer: region `i` gets a share proportional to a weight falling
/// linearly from 3 to 1 (largest remainders rounded up), in shuffled order.
fn place(dealers: usize, regions: usize, r: &mut ChaCha8Rng) -> Vec<usize> {
    let weight = |i: usize| {
        if regions == 1 {
            1.0
        } else {
            3.0 - 2.0 * i as f64 / (regions - 1) as f64
        }
    };
    let total: f64 = (0..regions).map(weight).sum();
    let quotas: Vec<f64> = (0..regions)
        .map(|i| dealers as f64 * weight(i) / total)
        .collect();
    let mut counts: Vec<usize> = quotas.iter().map(|q| q.floor() as usize).collect();
    let mut by_remainder: Vec<usize> = (0..regions).collect();
    by_remainder.sort_by(|&a, &b| {
        let (ra, rb) = (quotas[a].fract(), quotas[b].fract());
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    let short = dealers - counts.iter().sum::<usize>();
    for &i in by_remainder.iter().take(short) {
        counts[i] += 1;
    }
    let mut placement: Vec<usize> = counts
        .iter()
        .enumerate()
        .flat_map(|(i, &n)| std::iter::repeat_n(i, n))
        .collect();
    for i in (1..placement.len()).rev() {
        placement.swap(i, r.gen_range(0..=i));
    }
    placement
}

// --- random streams ---

/// What a random stream is for; part of its key, so that streams never overlap.
#[derive(Clone, Copy)]
enum Stream {
    Region = 1,
    Placement,
    /// A dealer's master data (network).
    Master,
    /// A dealer's persistent traits.
    Profile,
    /// Headcount, per half year.
    Staff,
    /// The month's flows.
    Month,
    /// New-car sales of a month.
    Sales,
    /// Month-end stocks: parts inventory, vehicles in operation, managed customers.
    Stock,
    /// When the month's report was submitted.
    Submission,
}

/// SplitMix64's finalizer: a bijective mix with good avalanche.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The random stream of `(seed, purpose, item, key)`; `key` is a month index or 0.
fn stream(seed: u64, purpose: Stream, item: usize, key: i32) -> ChaCha8Rng {
    let h = mix(mix(mix(seed) ^ purpose as u64) ^ item as u64) ^ key as i64 as u64;
    ChaCha8Rng::seed_from_u64(mix(h))
}

/// Uniform in `[lo, hi)`. Only basic arithmetic, so results are the same on every platform.
fn uni(r: &mut ChaCha8Rng, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * r.gen::<f64>()
}

/// A count from an expected value.
fn count(x: f64) -> i64 {
    x.round().max(0.0) as i64
}

/// A count of at least `min`.
fn at_least(min: i64, x: f64) -> i64 {
    count(x).max(min)
}

/// A part of `n` (share in `[lo, hi)`, at most 1), never above `n`.
fn part(r: &mut ChaCha8Rng, n: i64, lo: f64, hi: f64) -> i64 {
    count(n as f64 * uni(r, lo, hi)).min(n)
}

/// Maps `x` smoothly and monotonically into the open interval `(lo, hi)`: the identity at
/// the midpoint, flattening towards the ends, so that clamped values do not pile up on a
/// bound.
fn squash(x: f64, lo: f64, hi: f64) -> f64 {
    let (mid, half) = ((lo + hi) / 2.0, (hi - lo) / 2.0);
    let y = 1.5 * (x - mid) / half;
    mid + half * y / (1.0 + y.abs())
}

/// Yuan (or hours, or score points) in hundredths, the storage unit.
fn cents(x: f64) -> i64 {
    (x * 100.0).round() as i64
}

fn month_start_ms(m: Month) -> i64 {
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    (m.first_day() - epoch).num_days() * DAY_MS
}

/// When the report of dealer `index` for `month` was submitted, and whether late; `None`
/// if it has not been submitted by `spec.now_ms`.
fn submission(spec: &Spec, index: usize, month: Month) -> Option<(i64, bool)> {
    let r = &mut stream(spec.seed, Stream::Submission, index, month.index());
    let start = month_start_ms(month.plus(1));
    let deadline = spec.deadline_ms(month);
    let now = spec.now_ms;
    // Most dealers submit in the last days before the deadline: the later of two
    // uniform draws leans that way.
    let on_time = |r: &mut ChaCha8Rng| {
        let u = r.gen::<f64>().max(r.gen::<f64>());
        start + ((deadline - start) as f64 * u) as i64
    };
    let u: f64 = r.gen();
    let at = if month < spec.end {
        let at = if u < LATE_SHARE {
            deadline + 1 + (MAX_LATENESS_MS as f64 * r.gen::<f64>()) as i64
        } else {
            on_time(r)
        };
        // Nothing is submitted in the future (this only bites if `now_ms` is not after `end`).
        at.min(now)
    } else if u < END_ON_TIME_SHARE {
        on_time(r)
    } else if u < END_ON_TIME_SHARE + END_LATE_SHARE && now > deadline {
        let span = (now - deadline).min(MAX_LATENESS_MS);
        deadline + 1 + (span as f64 * r.gen::<f64>()) as i64
    } else {
        return None;
    };
    (at <= now).then_some((at, at > deadline))
}

// --- the dealer model ---

/// A dealer's persistent traits, drawn once from its own stream.
struct Profile {
    opened: Month,
    /// Volume relative to a typical Medium dealer: size tier, dealer and home region.
    scale: f64,
    /// Price level of labor and parts (city, brand positioning).
    price: f64,
    wage_level: f64,
    body_paint_share: f64,
    express_share: f64,
    brand_share: f64,
    appointment_rate: f64,
    comeback_rate: f64,
    productivity: f64,
    utilization: f64,
    labor_rate: f64,
    fill_rate: f64,
    parts_margin: f64,
    months_of_stock: f64,
    sales_scale: f64,
    internalization: f64,
    vehicles_in_operation: f64,
    managed_share: f64,
    csi: f64,
    expenses: f64,
    fixed_share: f64,
    /// Reception, general repair, express, body, paint.
    bays: [i64; 5],
}

impl Profile {
    fn new(seed: u64, index: usize, dealer: &Dealer, region_factor: f64) -> Profile {
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
    fn ramp(&self, m: Month) -> f64 {
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
struct Staff {
    service_advisors: i64,
    mechanics: i64,
    body_techs: i64,
    painters: i64,
    washers: i64,
    level1: i64,
    level2: i64,
    indirect: i64,
}

impl Staff {
    fn new(seed: u64, index: usize, p: &Profile, m: Month) -> Staff {
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

    fn technicians(&self) -> i64 {
        self.mechanics + self.body_techs + self.painters
    }
}

/// New cars the dealer sold in `m`: a pure function of `(seed, dealer, m)`, so that the
/// reports of later months can relate warranty registrations, first services and new
/// managed customers to it.
fn own_sales(seed: u64, index: usize, p: &Profile, m: Month) -> i64 {
    if m < p.opened {
        return 0;
    }
    let r = &mut stream(seed, Stream::Sales, index, m.index());
    let season = SALES_SEASON[m.month() as usize - 1];
    count(NOMINAL_SALES * p.sales_scale * season * uni(r, 0.85, 1.15) * p.ramp(m))
}

/// Month-end stocks, pure functions of `(seed, dealer, m)` so that the next month can
/// start from them.
struct Stock {
    /// Parts inventory at cost, yuan.
    parts_inventory: f64,
    vehicles_in_operation: i64,
    managed_customers: i64,
}

impl Stock {
    fn new(seed: u64, index: usize, p: &Profile, m: Month) -> Stock {
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
fn month_values(seed: u64, index: usize, p: &Profile, m: Month) -> Values {
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
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fields::FIELDS;
    use crate::domain::report::{check, decimal_value, Completeness, RawReport, Total};
    use std::collections::{BTreeMap, HashSet};

    fn m(s: &str) -> Month {
        s.parse().unwrap()
    }

    /// `now` is `days` days into the month after `end`.
    fn spec(dealers: usize, months: usize, end: &str, days: i64) -> Spec {
        let end = m(end);
        Spec {
            dealers,
            months,
            now_ms: month_start_ms(end.plus(1)) + days * DAY_MS,
            ..Spec::demo(end, 0)
        }
    }

    fn raw(v: &Values) -> RawReport {
        FIELDS
            .iter()
            .filter_map(|d| v.get(d.field).map(|x| (d.field, decimal_value(d.kind, x))))
            .collect()
    }

    fn all_reports(spec: &Spec, net: &Network) -> Vec<BulkReport> {
        months(spec)
            .flat_map(|mo| reports_for_month(spec, net, mo))
            .collect()
    }

    fn get(v: &Values, f: F) -> i64 {
        v.get(f).unwrap_or_else(|| panic!("{} missing", f.name()))
    }

    fn ratio(v: &Values, a: F, b: F) -> f64 {
        get(v, a) as f64 / get(v, b) as f64
    }

    #[test]
    fn months_span_the_window() {
        let s = spec(10, 24, "2025-06", 20);
        let all: Vec<Month> = months(&s).collect();
        assert_eq!(all.len(), 24);
        assert_eq!(all[0], m("2023-07"));
        assert_eq!(all[0], s.first_month());
        assert_eq!(*all.last().unwrap(), m("2025-06"));
        assert!(all.windows(2).all(|w| w[1] == w[0].plus(1)));
        assert_eq!(months(&Spec { months: 0, ..s }).count(), 0);
    }

    #[test]
    fn deterministic_and_independent_of_call_order() {
        let s = spec(240, 12, "2025-03", 20);
        let (a, b) = (network(&s), network(&s));
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        let forward: Vec<String> = months(&s)
            .map(|mo| format!("{:?}", reports_for_month(&s, &a, mo)))
            .collect();
        let mut backward: Vec<String> = months(&s)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .map(|mo| format!("{:?}", reports_for_month(&s, &b, mo)))
            .collect();
        backward.reverse();
        assert_eq!(forward, backward);
        // Another seed gives other figures.
        let t = Spec {
            seed: 43,
            ..s.clone()
        };
        let other = reports_for_month(&t, &network(&t), s.end.plus(-1));
        assert_ne!(
            format!("{other:?}"),
            format!("{:?}", reports_for_month(&s, &a, s.end.plus(-1)))
        );
    }

    #[test]
    fn every_report_passes_check_without_errors_or_warnings() {
        let s = Spec {
            months: 36,
            ..spec(240, 0, "2025-12", 20)
        };
        let net = network(&s);
        let mut history: HashMap<String, Vec<Values>> = HashMap::new();
        let mut n = 0;
        for mo in months(&s) {
            for rep in reports_for_month(&s, &net, mo) {
                let h = history.entry(rep.dealer_code.clone()).or_default();
                let start = h.len().saturating_sub(12);
                let c = check(&raw(&rep.values), mo, Completeness::Complete, &h[start..]);
                assert!(
                    c.errors.is_empty(),
                    "{} {mo}: {:?}",
                    rep.dealer_code,
                    c.errors
                );
                assert!(
                    c.warnings.is_empty(),
                    "{} {mo}: {:?}",
                    rep.dealer_code,
                    c.warnings
                );
                assert_eq!(c.values, rep.values, "round trip through display units");
                for d in FIELDS {
                    assert!(rep.values.get(d.field).is_some(), "{} missing", d.name);
                }
                assert_eq!(rep.status, ReportStatus::Accepted);
                assert!(rep.warnings.is_empty());
                assert_eq!(rep.author, AUTHOR);
                h.push(rep.values);
                n += 1;
            }
        }
        assert!(n > 240 * 33, "{n} reports");
    }

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
    fn submissions_before_end_are_complete_and_mostly_on_time() {
        let s = spec(240, 24, "2025-12", 20);
        let net = network(&s);
        let (mut late, mut all) = (0, 0);
        for mo in months(&s).filter(|mo| *mo < s.end) {
            let reports = reports_for_month(&s, &net, mo);
            let active = net
                .dealers
                .iter()
                .filter(|d| d.dealer.is_active(mo))
                .count();
            assert_eq!(reports.len(), active, "{mo}");
            let deadline = s.deadline_ms(mo);
            for r in &reports {
                assert!(r.submitted_at >= month_start_ms(mo.plus(1)));
                assert!(r.submitted_at <= s.now_ms);
                assert_eq!(r.late, r.submitted_at > deadline);
                assert!(r.submitted_at <= deadline + MAX_LATENESS_MS + 1);
            }
            late += reports.iter().filter(|r| r.late).count();
            all += reports.len();
        }
        let share = late as f64 / all as f64;
        assert!((0.025..=0.055).contains(&share), "late share {share}");
    }

    #[test]
    fn end_month_has_missing_and_late_reports() {
        let s = spec(2000, 3, "2025-12", 20);
        let net = network(&s);
        let reports = reports_for_month(&s, &net, s.end);
        let active = net
            .dealers
            .iter()
            .filter(|d| d.dealer.is_active(s.end))
            .count();
        let missing = 1.0 - reports.len() as f64 / active as f64;
        assert!((0.10..=0.18).contains(&missing), "missing {missing}");
        let late = reports.iter().filter(|r| r.late).count() as f64 / active as f64;
        assert!((0.04..=0.08).contains(&late), "late {late}");
        let deadline = s.deadline_ms(s.end);
        for r in &reports {
            assert!(r.submitted_at <= s.now_ms);
            assert_eq!(r.late, r.submitted_at > deadline);
        }
        // The demo size has some of each too.
        let d = spec(240, 24, "2025-12", 20);
        let dn = network(&d);
        let end = reports_for_month(&d, &dn, d.end);
        assert!(end.iter().any(|r| r.late));
        assert!(
            end.len()
                < dn.dealers
                    .iter()
                    .filter(|x| x.dealer.is_active(d.end))
                    .count()
        );
        // Nothing after the window, nothing before it.
        assert!(reports_for_month(&d, &dn, d.end.plus(1)).is_empty());
        assert!(reports_for_month(&d, &dn, d.first_month().plus(-1)).is_empty());
    }

    #[test]
    fn before_the_deadline_the_end_month_is_partly_missing_and_never_late() {
        for day in [0, 3, 9] {
            let s = spec(2000, 3, "2025-12", day);
            let net = network(&s);
            let reports = reports_for_month(&s, &net, s.end);
            assert!(reports
                .iter()
                .all(|r| !r.late && r.submitted_at <= s.now_ms));
            assert!(
                reports.len() < 2000 * 8 / 10,
                "day {day}: {}",
                reports.len()
            );
            // Earlier months are complete.
            let prev = reports_for_month(&s, &net, s.end.plus(-1));
            let active = net
                .dealers
                .iter()
                .filter(|d| d.dealer.is_active(s.end.plus(-1)))
                .count();
            assert_eq!(prev.len(), active);
        }
        // Before the end month is even over, none of it is in.
        let s = spec(240, 3, "2025-12", -1);
        assert!(reports_for_month(&s, &network(&s), s.end).is_empty());
    }

    #[test]
    fn regions_are_unequal_and_named() {
        let s = spec(240, 24, "2025-12", 20);
        let net = network(&s);
        let codes: Vec<&str> = net.regions.iter().map(|r| r.code.as_str()).collect();
        assert_eq!(
            codes,
            ["R01", "R02", "R03", "R04", "R05", "R06", "R07", "R08"]
        );
        assert_eq!(net.regions[0].name, "华东");
        assert_eq!(net.regions[7].name, "京津");
        let sizes: Vec<usize> = net
            .regions
            .iter()
            .map(|r| {
                net.dealers
                    .iter()
                    .filter(|d| d.region_code == r.code)
                    .count()
            })
            .collect();
        assert_eq!(sizes.iter().sum::<usize>(), 240);
        let (max, min) = (*sizes.iter().max().unwrap(), *sizes.iter().min().unwrap());
        assert!(min > 0 && max >= 2 * min, "{sizes:?}");
        let many = network(&Spec {
            regions: 10,
            ..s.clone()
        });
        assert_eq!(many.regions[8].name, "华东2");
        assert_eq!(many.regions[9].code, "R10");
        let one = network(&Spec { regions: 1, ..s });
        assert!(one.dealers.iter().all(|d| d.region_code == "R01"));
        assert!(one.moves.is_empty());
    }

    #[test]
    fn dealers_have_sensible_master_data() {
        let s = spec(2000, 24, "2025-12", 20);
        let net = network(&s);
        let mut names = HashSet::new();
        for (i, nd) in net.dealers.iter().enumerate() {
            let d = &nd.dealer;
            assert_eq!(d.code, format!("D{:05}", i + 1));
            crate::domain::network::check_code("dealer", &d.code).unwrap();
            assert!(names.insert(d.name.clone()), "duplicate name {}", d.name);
            assert!(d.name.starts_with(&d.city) && d.name.ends_with("4S店"));
            assert!(d.name.contains(&d.brand));
            // The city belongs to the dealer's first region.
            let region: usize = nd.region_code[1..].parse::<usize>().unwrap() - 1;
            assert!(GEOGRAPHY[region % 8].contains(&(d.province.as_str(), d.city.as_str())));
        }
        assert_eq!(network(&spec(0, 24, "2025-12", 20)).dealers.len(), 0);
    }

    #[test]
    fn openings_closings_and_moves() {
        let s = spec(2000, 24, "2025-12", 20);
        let net = network(&s);
        let first = s.first_month();
        let opening: Vec<&Dealer> = net
            .dealers
            .iter()
            .map(|d| &d.dealer)
            .filter(|d| d.opened > first)
            .collect();
        let closing: Vec<&Dealer> = net
            .dealers
            .iter()
            .map(|d| &d.dealer)
            .filter(|d| d.closed.is_some())
            .collect();
        assert!((30..=95).contains(&opening.len()), "{}", opening.len());
        assert!((8..=40).contains(&closing.len()), "{}", closing.len());
        assert!((20..=65).contains(&net.moves.len()), "{}", net.moves.len());
        for d in &opening {
            assert!(d.opened <= s.end);
        }
        for d in &closing {
            let c = d.closed.unwrap();
            assert!(first <= c && c < s.end && d.opened < first);
        }
        let by_code: HashMap<&str, &NewDealer> = net
            .dealers
            .iter()
            .map(|d| (d.dealer.code.as_str(), d))
            .collect();
        let mut moved = HashSet::new();
        for (code, region, from) in &net.moves {
            let nd = by_code[code.as_str()];
            assert!(moved.insert(code), "{code} moves twice");
            assert_ne!(*region, nd.region_code);
            assert!(net.regions.iter().any(|r| r.code == *region));
            assert!(first < *from && *from <= s.end, "{code} {from}");
            assert!(nd.dealer.opened < *from);
            assert!(nd.dealer.closed.is_none_or(|c| *from <= c));
        }
        // Reports follow opening and closing.
        let openers: HashSet<&str> = opening.iter().map(|d| d.code.as_str()).collect();
        let closers: HashSet<&str> = closing.iter().map(|d| d.code.as_str()).collect();
        let mut seen_open = HashSet::new();
        for mo in months(&s).filter(|mo| *mo < s.end) {
            for r in reports_for_month(&s, &net, mo) {
                let d = &by_code[r.dealer_code.as_str()].dealer;
                assert!(d.is_active(mo), "{} reports in {mo}", d.code);
                if openers.contains(d.code.as_str()) {
                    seen_open.insert(d.code.clone());
                }
                if closers.contains(d.code.as_str()) {
                    assert!(mo <= d.closed.unwrap());
                }
            }
        }
        let openers_before_end = opening.iter().filter(|d| d.opened < s.end).count();
        assert_eq!(seen_open.len(), openers_before_end);
    }

    #[test]
    fn deadline_is_the_end_of_the_deadline_day() {
        let s = spec(1, 1, "2024-03", 0);
        // 2024-04-10T23:59:59.999Z
        assert_eq!(s.deadline_ms(m("2024-03")), 1_712_793_599_999);
        let late = Spec {
            deadline_day: 31,
            ..s
        };
        // Clamped to the 30th of April.
        assert_eq!(
            late.deadline_ms(m("2024-03")),
            month_start_ms(m("2024-05")) - 1
        );
    }
}
