//! Calendar months and the periods built from them.

use std::fmt;
use std::str::FromStr;

/// A calendar month (`YYYY-MM`), stored as a month index so that offsets are plain arithmetic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month(i32);

/// Why a `YYYY-MM` string is not a month.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a month: expected YYYY-MM with a year in 1900..=9999 and a month in 01..=12")]
pub struct MonthParseError(pub String);

impl Month {
    /// The first month there is (1900-01).
    pub const MIN: Month = Month(1900 * 12);
    /// The last month there is (9999-12).
    pub const MAX: Month = Month(9999 * 12 + 11);

    /// The month of `year` and `month` (1..=12), if valid.
    pub fn new(year: i32, month: u32) -> Option<Month> {
        ((1900..=9999).contains(&year) && (1..=12).contains(&month))
            .then(|| Month(year * 12 + month as i32 - 1))
    }

    /// The month index used in storage (`year * 12 + month - 1`).
    pub fn index(self) -> i32 {
        self.0
    }

    /// The month of a storage index, if in range.
    pub fn from_index(index: i32) -> Option<Month> {
        Month::new(index.div_euclid(12), index.rem_euclid(12) as u32 + 1)
    }

    pub fn year(self) -> i32 {
        self.0.div_euclid(12)
    }

    /// Month of the year, 1..=12.
    pub fn month(self) -> u32 {
        self.0.rem_euclid(12) as u32 + 1
    }

    /// The month `n` months later (earlier when negative).
    pub fn plus(self, n: i32) -> Month {
        Month(self.0 + n)
    }

    /// Months from `other` to `self` (`self - other`).
    pub fn since(self, other: Month) -> i32 {
        self.0 - other.0
    }

    /// The month containing a date.
    pub fn of_date(date: chrono::NaiveDate) -> Month {
        use chrono::Datelike;
        Month(date.year() * 12 + date.month0() as i32)
    }

    /// The first day of the month.
    pub fn first_day(self) -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(self.year(), self.month(), 1).expect("valid month")
    }

    /// Number of days in the month.
    pub fn days(self) -> u32 {
        (self.plus(1).first_day() - self.first_day()).num_days() as u32
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year(), self.month())
    }
}

/// As `YYYY-MM` text (JSON records that keep months).
impl serde::Serialize for Month {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Month {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Month, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl FromStr for Month {
    type Err = MonthParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || MonthParseError(s.to_string());
        let (y, m) = s.split_once('-').ok_or_else(err)?;
        if y.len() != 4 || m.len() != 2 || !y.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        Month::new(y.parse().map_err(|_| err())?, m.parse().map_err(|_| err())?).ok_or_else(err)
    }
}

/// An inclusive range of months.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthRange {
    pub from: Month,
    pub to: Month,
}

impl MonthRange {
    /// The range, if `from <= to`.
    pub fn new(from: Month, to: Month) -> Option<MonthRange> {
        (from <= to).then_some(MonthRange { from, to })
    }

    pub fn len(self) -> usize {
        (self.to.since(self.from) + 1) as usize
    }

    pub fn is_empty(self) -> bool {
        false
    }

    pub fn contains(self, m: Month) -> bool {
        self.from <= m && m <= self.to
    }

    pub fn months(self) -> impl Iterator<Item = Month> {
        (self.from.0..=self.to.0).map(Month)
    }
}

/// How a reporting period is built from its anchor month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeriodKind {
    /// The anchor month.
    Month,
    /// The calendar quarter containing the anchor month.
    Quarter,
    /// January to the anchor month.
    YearToDate,
    /// The 12 months ending with the anchor month.
    Rolling12,
    /// The anchor month to an explicit last month.
    Range,
}

/// A reporting period: an inclusive month range and how it was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub kind: PeriodKind,
    pub range: MonthRange,
}

/// Longest period accepted (10 years).
pub const MAX_PERIOD_MONTHS: usize = 120;

impl Period {
    /// Builds a period; `to` is needed (only) for a range.
    pub fn new(kind: PeriodKind, month: Month, to: Option<Month>) -> Result<Period, String> {
        let range = match kind {
            PeriodKind::Month => MonthRange {
                from: month,
                to: month,
            },
            PeriodKind::Quarter => {
                let first = month.plus(-(((month.month() - 1) % 3) as i32));
                MonthRange {
                    from: first,
                    to: first.plus(2),
                }
            }
            PeriodKind::YearToDate => MonthRange {
                from: month.plus(-((month.month() - 1) as i32)),
                to: month,
            },
            PeriodKind::Rolling12 => MonthRange {
                from: month.plus(-11),
                to: month,
            },
            PeriodKind::Range => {
                let to = to.ok_or("a RANGE period needs `to`")?;
                MonthRange::new(month, to)
                    .ok_or_else(|| format!("`to` ({to}) is before `month` ({month})"))?
            }
        };
        if kind != PeriodKind::Range && to.is_some() {
            return Err("`to` is only for a RANGE period".into());
        }
        if range.len() > MAX_PERIOD_MONTHS {
            return Err(format!(
                "a period may span at most {MAX_PERIOD_MONTHS} months"
            ));
        }
        Ok(Period { kind, range })
    }

    pub fn month(m: Month) -> Period {
        Period {
            kind: PeriodKind::Month,
            range: MonthRange { from: m, to: m },
        }
    }

    /// The same period shifted by `months`.
    pub fn shifted(self, months: i32) -> Period {
        Period {
            kind: self.kind,
            range: MonthRange {
                from: self.range.from.plus(months),
                to: self.range.to.plus(months),
            },
        }
    }

    /// The period just before, of the same length (the previous month, quarter, 12 months...).
    pub fn previous(self) -> Period {
        self.shifted(-(self.range.len() as i32))
    }

    /// The same period a year earlier.
    pub fn year_before(self) -> Period {
        self.shifted(-12)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let m: Month = "2024-03".parse().unwrap();
        assert_eq!((m.year(), m.month()), (2024, 3));
        assert_eq!(m.to_string(), "2024-03");
        for bad in [
            "2024-13",
            "2024-00",
            "24-03",
            "2024-3",
            "2024/03",
            "abcd-ef",
            "",
            "2024-03-01",
            "0999-01",
        ] {
            assert!(bad.parse::<Month>().is_err(), "{bad}");
        }
    }

    #[test]
    fn arithmetic_crosses_years() {
        let m: Month = "2024-01".parse().unwrap();
        assert_eq!(m.plus(-1).to_string(), "2023-12");
        assert_eq!(m.plus(-7).to_string(), "2023-06");
        assert_eq!(m.plus(12).to_string(), "2025-01");
        assert_eq!(m.since("2023-06".parse().unwrap()), 7);
        assert_eq!(Month::from_index(m.index()), Some(m));
    }

    #[test]
    fn days_in_month() {
        assert_eq!("2024-02".parse::<Month>().unwrap().days(), 29);
        assert_eq!("2023-02".parse::<Month>().unwrap().days(), 28);
        assert_eq!("2023-12".parse::<Month>().unwrap().days(), 31);
    }

    #[test]
    fn periods() {
        let m: Month = "2024-05".parse().unwrap();
        let show = |p: Period| format!("{}..{}", p.range.from, p.range.to);
        assert_eq!(
            show(Period::new(PeriodKind::Month, m, None).unwrap()),
            "2024-05..2024-05"
        );
        assert_eq!(
            show(Period::new(PeriodKind::Quarter, m, None).unwrap()),
            "2024-04..2024-06"
        );
        assert_eq!(
            show(Period::new(PeriodKind::Quarter, "2024-12".parse().unwrap(), None).unwrap()),
            "2024-10..2024-12"
        );
        assert_eq!(
            show(Period::new(PeriodKind::YearToDate, m, None).unwrap()),
            "2024-01..2024-05"
        );
        assert_eq!(
            show(Period::new(PeriodKind::Rolling12, m, None).unwrap()),
            "2023-06..2024-05"
        );
        assert_eq!(
            show(Period::new(PeriodKind::Range, m, Some("2024-08".parse().unwrap())).unwrap()),
            "2024-05..2024-08"
        );
        assert!(Period::new(PeriodKind::Range, m, None).is_err());
        assert!(Period::new(PeriodKind::Range, m, Some("2024-04".parse().unwrap())).is_err());
        assert!(Period::new(PeriodKind::Month, m, Some(m)).is_err());
        assert!(Period::new(PeriodKind::Range, m, Some(m.plus(120))).is_err());
        let q = Period::new(PeriodKind::Quarter, m, None).unwrap();
        assert_eq!(show(q.previous()), "2024-01..2024-03");
        assert_eq!(show(q.year_before()), "2023-04..2023-06");
        assert_eq!(show(Period::month(m).previous()), "2024-04..2024-04");
    }

    #[test]
    fn ranges() {
        let a: Month = "2023-11".parse().unwrap();
        let b: Month = "2024-02".parse().unwrap();
        let r = MonthRange::new(a, b).unwrap();
        assert_eq!(r.len(), 4);
        assert!(r.contains("2024-01".parse().unwrap()));
        assert!(!r.contains("2024-03".parse().unwrap()));
        assert!(MonthRange::new(b, a).is_none());
        assert_eq!(
            r.months().map(|m| m.to_string()).collect::<Vec<_>>(),
            ["2023-11", "2023-12", "2024-01", "2024-02"]
        );
    }
}
