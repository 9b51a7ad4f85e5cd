//! Report contents as the write scenarios read them back and send them again.

use std::collections::BTreeMap;

use anyhow::anyhow;
use msi_hub::domain::{Month, FIELDS};
use msi_hub::graphql::report::field_path;
use serde_json::{json, Map, Value};

use crate::client::Gql;

/// The selection of every report field, by section.
pub fn values_selection() -> anyhow::Result<String> {
    let mut sections: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for def in FIELDS {
        let path = field_path(def.name);
        let (s, f) = path
            .split_once('.')
            .ok_or_else(|| anyhow!("no section for field {}", def.name))?;
        sections.entry(s.into()).or_default().push(f.into());
    }
    Ok(sections
        .iter()
        .map(|(s, fs)| format!("{s} {{ {} }}", fs.join(" ")))
        .collect::<Vec<_>>()
        .join(" "))
}

/// A `section.field` path as two strings.
pub fn split_path(name: &str) -> (String, String) {
    let p = field_path(name);
    let (s, f) = p.split_once('.').unwrap_or(("", &p));
    (s.to_string(), f.to_string())
}

/// The `ReportInput` of a report's `values` (empty fields left out).
fn input_of(values: &Value) -> Value {
    let mut input = Map::new();
    if let Some(sections) = values.as_object() {
        for (s, fields) in sections {
            let kept: Map<String, Value> = fields
                .as_object()
                .map(|f| {
                    f.iter()
                        .filter(|(_, v)| !v.is_null())
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect()
                })
                .unwrap_or_default();
            input.insert(s.clone(), Value::Object(kept));
        }
    }
    Value::Object(input)
}

pub fn int_at(input: &Value, (s, f): &(String, String)) -> Option<i64> {
    input[s][f].as_i64()
}

/// A dealer's report of a month: revision and complete input.
pub async fn read_report(
    gql: &Gql,
    admin: &str,
    code: &str,
    month: Month,
    selection: &str,
) -> anyhow::Result<Option<(i64, Value)>> {
    let q = format!(
        "query($d: String!, $m: Month!) {{ report(dealerCode: $d, month: $m) {{ revision status values {{ {selection} }} }} }}"
    );
    let d = gql
        .ok(admin, &q, json!({ "d": code, "m": month.to_string() }))
        .await?;
    let r = &d["report"];
    if r.is_null() || r["status"] == "DRAFT" {
        return Ok(None);
    }
    let rev = r["revision"]
        .as_i64()
        .ok_or_else(|| anyhow!("report without revision: {r}"))?;
    Ok(Some((rev, input_of(&r["values"]))))
}
