//! The dealer network: regions, dealers and which region a dealer belongs to each month.

use super::period::Month;

/// A region (大区) of the dealer network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    pub code: String,
    pub name: String,
}

/// A dealer's size tier, used for peer groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SizeTier {
    Small,
    Medium,
    Large,
}

impl SizeTier {
    pub const ALL: [SizeTier; 3] = [SizeTier::Small, SizeTier::Medium, SizeTier::Large];

    pub fn as_str(self) -> &'static str {
        match self {
            SizeTier::Small => "SMALL",
            SizeTier::Medium => "MEDIUM",
            SizeTier::Large => "LARGE",
        }
    }

    pub fn parse(s: &str) -> Option<SizeTier> {
        SizeTier::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// A dealer (4S店 / 特约店): its master data, without its region history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dealer {
    pub code: String,
    pub name: String,
    pub brand: String,
    pub province: String,
    pub city: String,
    pub size_tier: SizeTier,
    /// First month the dealer operates (and reports).
    pub opened: Month,
    /// Last month the dealer operates, once closed.
    pub closed: Option<Month>,
}

impl Dealer {
    /// Whether the dealer operates (and must report) in `m`.
    pub fn is_active(&self, m: Month) -> bool {
        self.opened <= m && self.closed.is_none_or(|c| m <= c)
    }
}

/// From `from` on (until the next assignment), the dealer belongs to `region_code`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionAssignment {
    pub from: Month,
    pub region_code: String,
}

/// The region of a dealer in month `m`, from its assignments (any order).
pub fn region_at(assignments: &[RegionAssignment], m: Month) -> Option<&str> {
    assignments
        .iter()
        .filter(|a| a.from <= m)
        .max_by_key(|a| a.from)
        .map(|a| a.region_code.as_str())
}

/// Checks a region or dealer code: 1–32 of `A-Z 0-9 _ -`, so codes are safe in URLs and logs.
pub fn check_code(what: &str, code: &str) -> Result<(), String> {
    let ok = (1..=32).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{what} `{}` must be 1 to 32 characters of A-Z, 0-9, `_` or `-`",
            super::text::excerpt(code)
        ))
    }
}

/// Longest display name (of a region or a dealer, a brand, a province, a city).
pub const MAX_NAME_CHARS: usize = 200;

/// Checks a display name: not blank, at most 200 characters, nothing unprintable.
pub fn check_name(what: &str, name: &str) -> Result<(), String> {
    super::text::check_text(what, name, MAX_NAME_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Month {
        s.parse().unwrap()
    }

    #[test]
    fn region_history() {
        let h = vec![
            RegionAssignment {
                from: m("2024-06"),
                region_code: "EAST".into(),
            },
            RegionAssignment {
                from: m("2020-01"),
                region_code: "NORTH".into(),
            },
        ];
        assert_eq!(region_at(&h, m("2019-12")), None);
        assert_eq!(region_at(&h, m("2024-05")), Some("NORTH"));
        assert_eq!(region_at(&h, m("2024-06")), Some("EAST"));
        assert_eq!(region_at(&h, m("2030-01")), Some("EAST"));
    }

    #[test]
    fn activity() {
        let mut d = Dealer {
            code: "D1".into(),
            name: "x".into(),
            brand: "B".into(),
            province: "p".into(),
            city: "c".into(),
            size_tier: SizeTier::Small,
            opened: m("2023-01"),
            closed: None,
        };
        assert!(!d.is_active(m("2022-12")));
        assert!(d.is_active(m("2023-01")));
        d.closed = Some(m("2024-01"));
        assert!(d.is_active(m("2024-01")));
        assert!(!d.is_active(m("2024-02")));
    }

    #[test]
    fn codes_and_names() {
        assert!(check_code("dealer code", "D-0001_A").is_ok());
        for bad in ["", "d1", "D 1", "D1;DROP", &"X".repeat(33)] {
            assert!(check_code("dealer code", bad).is_err(), "{bad}");
        }
        assert!(check_name("name", "华东 Motors").is_ok());
        assert!(check_name("name", "   ").is_err());
        assert!(check_name("name", "D1\0").is_err());
        assert!(
            check_code("dealer code", &"\0".repeat(100_000))
                .unwrap_err()
                .len()
                < 200
        );
    }
}
