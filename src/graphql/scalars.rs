//! Custom scalars: `Month` (`YYYY-MM`) and `Decimal` (exact, as a string).

use std::str::FromStr;

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};

use crate::domain::text::excerpt;
use crate::domain::Month;

/// A calendar month, written `YYYY-MM`.
#[Scalar(name = "Month")]
impl ScalarType for Month {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => s.parse().map_err(|_| {
                InputValueError::custom(format!(
                    "`{}` is not a month: expected YYYY-MM with a year in 1900..=9999",
                    excerpt(s)
                ))
            }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.to_string())
    }
}

/// An exact decimal number. Written as a string (`"1234.50"`) or, for convenience, a JSON
/// number; returned as a string so that no client reads money through binary floating point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal(pub rust_decimal::Decimal);

#[Scalar(name = "Decimal")]
impl ScalarType for Decimal {
    fn parse(value: Value) -> InputValueResult<Self> {
        let text = match &value {
            Value::String(s) => s.clone(),
            // A JSON number prints as its shortest round-trip form, i.e. as the client wrote it.
            Value::Number(n) => n.to_string(),
            _ => return Err(InputValueError::expected_type(value)),
        };
        parse_plain_decimal(&text).map(Decimal).ok_or_else(|| {
            InputValueError::custom(format!(
                "`{}` is not a decimal in plain form: digits with an optional `.` and decimals and an optional leading `-`, as 123, 123.4 or -5.25",
                excerpt(&text)
            ))
        })
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

/// Most characters of a decimal as written (28 significant digits, a sign and a point).
const MAX_DECIMAL_LEN: usize = 32;

/// `123`, `123.4`, `-0.25`: one plain form, nothing else (no exponent, sign `+`, `_`,
/// spaces or thousands separators), so a value is read one way only. The places as written
/// are kept (`1.230` has three).
pub fn parse_plain_decimal(s: &str) -> Option<rust_decimal::Decimal> {
    if s.is_empty() || s.len() > MAX_DECIMAL_LEN {
        return None;
    }
    let digits = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let all_digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(int) || frac.is_some_and(|f| !all_digits(f)) {
        return None;
    }
    rust_decimal::Decimal::from_str(s).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_parse_exactly() {
        let d = |v: Value| <Decimal as ScalarType>::parse(v).map(|d| d.0.to_string());
        assert_eq!(d(Value::String("1234.50".into())).unwrap(), "1234.50");
        assert_eq!(
            d(Value::Number(serde_json::Number::from_f64(0.1).unwrap())).unwrap(),
            "0.1"
        );
        assert_eq!(d(Value::Number(7.into())).unwrap(), "7");
        assert_eq!(d(Value::String("-5.25".into())).unwrap(), "-5.25");
        // the places as written are kept: the field's rule judges them
        assert_eq!(d(Value::String("1.230".into())).unwrap(), "1.230");
        for bad in [
            "12,5",
            "1_000",
            "1.5e2",
            "+5",
            " 5",
            "5 ",
            "",
            ".5",
            "5.",
            "-",
            "0x10",
            "1e400",
            "NaN",
            "１２",
            "99999999999999999999999999999999999",
        ] {
            assert!(d(Value::String(bad.into())).is_err(), "{bad:?}");
        }
        assert!(d(Value::Number(serde_json::Number::from_f64(1e300).unwrap())).is_err());
        assert!(d(Value::Boolean(true)).is_err());
        let long = "9".repeat(10_000);
        let err = <Decimal as ScalarType>::parse(Value::String(long)).unwrap_err();
        assert!(err.into_server_error(Default::default()).message.len() < 300);
    }

    #[test]
    fn months_parse() {
        assert!(<Month as ScalarType>::parse(Value::String("2024-13".into())).is_err());
        assert_eq!(
            <Month as ScalarType>::parse(Value::String("2024-12".into()))
                .unwrap()
                .to_string(),
            "2024-12"
        );
    }
}
