//! A cell's text read as a number: leniently where the reading is unambiguous (spaces
//! around it, full-width digits as Chinese input methods type them, thousands separators
//! in groups of three), refused with the reason otherwise; and a workbook cell as text.

use std::str::FromStr;

use rust_decimal::Decimal;

/// The number in `text`; `None` for an empty cell.
pub fn number(text: &str) -> Result<Option<Decimal>, String> {
    let normal: String = text
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            '．' => '.',
            '，' => ',',
            '－' | '−' => '-',
            '＋' => '+',
            c => c,
        })
        .collect();
    let s = normal.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if s.is_empty() {
        return Ok(None);
    }
    let (sign, digits) = match s.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", s.strip_prefix('+').unwrap_or(s)),
    };
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let int = if int.contains(',') {
        let groups: Vec<&str> = int.split(',').collect();
        let well_grouped =
            (1..=3).contains(&groups[0].len()) && groups[1..].iter().all(|g| g.len() == 3);
        if !well_grouped {
            return Err(format!(
                "`{}` is not a number: a comma is read only as a thousands separator (1,234.50)",
                excerpt(text)
            ));
        }
        groups.concat()
    } else {
        int.to_string()
    };
    let int = if int.is_empty() && frac.is_some() {
        "0".to_string()
    } else {
        int
    };
    let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    let frac_ok = frac.is_none_or(|f| !f.is_empty() && all_digits(f));
    if int.is_empty() || !all_digits(&int) || !frac_ok {
        return Err(format!("`{}` is not a number", excerpt(text)));
    }
    let canonical = match frac {
        Some(f) => format!("{sign}{int}.{f}"),
        None => format!("{sign}{int}"),
    };
    Decimal::from_str(&canonical)
        .map(Some)
        .map_err(|_| format!("`{}` is too large a number", excerpt(text)))
}

/// A workbook cell as a CSV would hold it: numbers as the shortest text that reads back as
/// the same double (what was typed), a date as its month (Excel turns a typed `2024-05`
/// into a date).
pub fn workbook_text(d: &calamine::Data) -> String {
    use calamine::Data;
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => dt
            .as_datetime()
            .map_or_else(|| dt.to_string(), |d| d.format("%Y-%m").to_string()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// The number in a workbook cell: as [`number`] reads its text; a true/false value, an
/// error or a date is none.
pub fn workbook_number(d: &calamine::Data) -> Result<Option<Decimal>, String> {
    use calamine::Data;
    match d {
        Data::Bool(_) => Err("a true/false value, not a number".into()),
        Data::Error(e) => Err(format!("the cell holds an error ({e:?})")),
        Data::DateTime(_) | Data::DateTimeIso(_) | Data::DurationIso(_) => {
            Err("a date or time, not a number".into())
        }
        other => number(&workbook_text(other)),
    }
}

fn excerpt(text: &str) -> String {
    crate::domain::text::excerpt(text.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Result<Option<String>, String> {
        number(s).map(|d| d.map(|d| d.to_string()))
    }

    #[test]
    fn plain_and_lenient_readings() {
        assert_eq!(n(""), Ok(None));
        assert_eq!(n("   "), Ok(None));
        assert_eq!(n("12"), Ok(Some("12".into())));
        assert_eq!(n(" 12.50 "), Ok(Some("12.50".into())));
        assert_eq!(n("1,234.50"), Ok(Some("1234.50".into())));
        assert_eq!(n("1,234,567"), Ok(Some("1234567".into())));
        assert_eq!(n("１２３４．５"), Ok(Some("1234.5".into())));
        assert_eq!(n("１，２３４"), Ok(Some("1234".into())));
        assert_eq!(n("\u{3000}42\u{3000}"), Ok(Some("42".into())));
        assert_eq!(n("-3.5"), Ok(Some("-3.5".into())));
        assert_eq!(n("－3.5"), Ok(Some("-3.5".into())));
        assert_eq!(n("+7"), Ok(Some("7".into())));
        assert_eq!(n(".5"), Ok(Some("0.5".into())));
    }

    #[test]
    fn ambiguous_or_broken_text_is_refused() {
        for bad in [
            "1,23", "12,3456", ",123", "1.2.3", "12a", "1e5", "12%", "abc", ".", "5.", "--1",
            "1,234,56", "¥12",
        ] {
            assert!(n(bad).is_err(), "{bad}");
        }
        assert!(n("99999999999999999999999999999999999").is_err());
    }
}
