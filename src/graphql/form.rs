//! The MSI form's layout under the schema's names, for a page that builds the form (the
//! dashboard): one source, the field and total tables of the domain.

use serde_json::{json, Value};

use super::report::camel;
use crate::domain::fields::english;
use crate::domain::report::TOTALS;
use crate::domain::{Section, FIELDS};

/// `{"sections": [{key, zh, en, fields: [[field, kind, 中文, English]]}], "totals":
/// [[total, kind, 中文, English, [parts]]]}`, in form order; names as `ReportInput` and
/// `ReportTotals` spell them, kinds as `FieldKind` is named.
pub fn form_layout() -> Value {
    let sections: Vec<Value> = Section::ALL
        .iter()
        .map(|&s| {
            let fields: Vec<Value> = FIELDS
                .iter()
                .filter(|d| d.section == s)
                .map(|d| json!([camel(d.name), format!("{:?}", d.kind), d.zh, english(d.name)]))
                .collect();
            json!({ "key": camel(s.name()), "zh": s.zh(), "en": english(s.name()), "fields": fields })
        })
        .collect();
    let totals: Vec<Value> = TOTALS
        .iter()
        .map(|t| {
            let parts: Vec<String> = t.parts.iter().map(|f| camel(f.name())).collect();
            json!([
                camel(t.name),
                format!("{:?}", t.kind),
                t.zh,
                english(t.name),
                parts
            ])
        })
        .collect();
    json!({ "sections": sections, "totals": totals })
}
