//! Custom scalars: `Month` (`YYYY-MM`) and `Decimal` (exact, as a string).

use std::str::FromStr;

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};

use crate::domain::Month;

/// A calendar month, written `YYYY-MM`.
#[Scalar(name = "Month")]
impl ScalarType for Month {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => s
                .parse()
                .map_err(|e: crate::domain::period::MonthParseError| {
                    InputValueError::custom(e.to_string())
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
            Value::String(s) => s.trim().to_string(),
            // A JSON number prints as its shortest round-trip form, i.e. as the client wrote it.
            Value::Number(n) => n.to_string(),
            _ => return Err(InputValueError::expected_type(value)),
        };
        rust_decimal::Decimal::from_str(&text)
            .or_else(|_| rust_decimal::Decimal::from_scientific(&text))
            .map(Decimal)
            .map_err(|_| InputValueError::custom(format!("`{text}` is not a decimal number")))
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
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
        assert!(d(Value::String("12,5".into())).is_err());
        assert!(d(Value::Boolean(true)).is_err());
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
