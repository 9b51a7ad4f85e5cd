//! A report's values in storage units (counts; fen; hundredths), their JSON form and their
//! display units.

use std::collections::BTreeMap;
use std::fmt;

use rust_decimal::Decimal;

use super::totals::Total;
use crate::domain::fields::{Field, FieldKind, FIELD_COUNT};

/// The raw values of one report, each in its storage unit (counts; fen; hundredths).
///
/// Absent fields are `None`: a draft may be partial, a submitted report is complete
/// except for optional fields.
#[derive(Clone, PartialEq, Eq)]
pub struct Values([Option<i64>; FIELD_COUNT]);

impl Default for Values {
    fn default() -> Self {
        Values([None; FIELD_COUNT])
    }
}

/// A total whose parts do not fit in 64 bits together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TotalOverflow;

impl Values {
    pub fn get(&self, f: Field) -> Option<i64> {
        self.0[f as usize]
    }

    pub fn set(&mut self, f: Field, v: Option<i64>) {
        self.0[f as usize] = v;
    }

    /// Builder-style [`Values::set`].
    pub fn with(mut self, f: Field, v: i64) -> Self {
        self.set(f, Some(v));
        self
    }

    /// The present fields and their stored values.
    pub fn iter(&self) -> impl Iterator<Item = (Field, i64)> + '_ {
        Field::all().filter_map(|f| self.get(f).map(|v| (f, v)))
    }

    /// A computed total, if every part is present.
    pub fn total(&self, t: Total) -> Option<i64> {
        self.checked_total(t).ok().flatten()
    }

    /// A computed total: `None` when a part is missing, `Err` when the sum does not fit.
    pub fn checked_total(&self, t: Total) -> Result<Option<i64>, TotalOverflow> {
        let mut sum: i64 = 0;
        for f in t.def().parts {
            let Some(x) = self.get(*f) else {
                return Ok(None);
            };
            sum = sum.checked_add(x).ok_or(TotalOverflow)?;
        }
        Ok(Some(sum))
    }

    /// Serialises as a JSON object `{field: stored value}` (the storage format).
    pub fn to_json(&self) -> String {
        let map: BTreeMap<&str, i64> = self.iter().map(|(f, v)| (f.name(), v)).collect();
        serde_json::to_string(&map).expect("map of integers serialises")
    }

    /// Reads the storage format; unknown keys are an error (they would be silently lost).
    pub fn from_json(s: &str) -> Result<Values, String> {
        // Straight into the array: the reads of an import parse tens of thousands of reports.
        let mut de = serde_json::Deserializer::from_str(s);
        let v = serde::de::Deserializer::deserialize_map(&mut de, StoredValues)
            .map_err(|e| e.to_string())?;
        de.end().map_err(|e| e.to_string())?;
        Ok(v)
    }
}

/// Reads the storage format's object field by field.
struct StoredValues;

impl<'de> serde::de::Visitor<'de> for StoredValues {
    type Value = Values;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of report fields and integers")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Values, A::Error> {
        let mut v = Values::default();
        while let Some(StoredField(f)) = map.next_key()? {
            v.set(f, Some(map.next_value::<i64>()?));
        }
        Ok(v)
    }
}

/// A key of the storage format: a field's name, read without a copy.
struct StoredField(Field);

impl<'de> serde::Deserialize<'de> for StoredField {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Name;
        impl serde::de::Visitor<'_> for Name {
            type Value = StoredField;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a report field's name")
            }
            fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<StoredField, E> {
                Field::from_name(name)
                    .map(StoredField)
                    .ok_or_else(|| E::custom(format!("unknown report field `{name}` in storage")))
            }
        }
        d.deserialize_str(Name)
    }
}

impl fmt::Debug for Values {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.iter().map(|(k, v)| (k.name(), v)))
            .finish()
    }
}

/// Formats a stored value in its display unit: `123456` fen is `"1234.56"`.
pub fn display_value(kind: FieldKind, stored: i64) -> String {
    match kind {
        FieldKind::Count => stored.to_string(),
        _ => Decimal::new(stored, 2).to_string(),
    }
}

/// The stored value as an exact decimal in display units.
pub fn decimal_value(kind: FieldKind, stored: i64) -> Decimal {
    match kind {
        FieldKind::Count => Decimal::from(stored),
        _ => Decimal::new(stored, 2),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_units() {
        assert_eq!(display_value(FieldKind::Money, 123_456), "1234.56");
        assert_eq!(display_value(FieldKind::Money, 5), "0.05");
        assert_eq!(display_value(FieldKind::Profit, -50_025), "-500.25");
        assert_eq!(display_value(FieldKind::Count, 7), "7");
    }
}
