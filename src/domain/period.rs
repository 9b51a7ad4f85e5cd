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
