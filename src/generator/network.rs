//! The network: regions, dealers placed in them with their master data, and the dealers
//! that open, close or move to another region inside the window.

use std::collections::HashMap;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::names::{dealer_code, region_code, region_name, BRANDS, GEOGRAPHY, NAME_QUALIFIERS};
use super::rng::{stream, Stream};
use super::Spec;
use crate::domain::network::{Dealer, Region, SizeTier};
use crate::domain::period::Month;
use crate::store::NewDealer;

/// Dealers opening inside the window.
const OPENING_SHARE: f64 = 0.03;
/// Dealers closing inside the window.
const CLOSING_SHARE: f64 = 0.01;
/// Dealers moving to another region once.
const MOVE_SHARE: f64 = 0.02;

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

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::generator::tests::spec;
    use crate::generator::{months, reports_for_month};

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
}
