//! What a request may cost, decided before it runs, and an `extensions.code` on every
//! error: parse and validation errors included (named as GraphQL servers conventionally
//! name them), messages cut to a short excerpt.

use std::collections::HashMap;

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Request, Response, ServerError, Value};

use super::MsiSchema;

/// Most fields (aliases counted, fragments expanded) at the top of a request: each root
/// field is a separate question (a ranking, a scorecard, a fact page).
pub const MAX_ROOT_FIELDS: usize = 32;
/// Most fields in a whole request, fragments expanded.
pub const MAX_FIELDS: usize = 2_000;
/// Largest cost of a request, in units of about one fact row of work (see the
/// `complexity` of each field: a fact page costs its page size, a scorecard 2,000, a
/// ranking 500 plus its page).
pub const MAX_COMPLEXITY: usize = 25_000;
/// Deepest selection.
pub const MAX_DEPTH: usize = 16;
/// Longest error message returned (the rest is cut: inputs are never echoed whole).
const MAX_MESSAGE_CHARS: usize = 300;

/// Fields of a selection set, fragments expanded (each fragment counted once per spread,
/// memoised, so that nested spreads cannot blow the count up in time either).
fn count(
    set: &SelectionSet,
    doc: &ExecutableDocument,
    memo: &mut HashMap<String, usize>,
    visiting: &mut Vec<String>,
) -> usize {
    let mut n: usize = 0;
    for item in &set.items {
        let add = match &item.node {
            Selection::Field(f) => {
                1usize.saturating_add(count(&f.node.selection_set.node, doc, memo, visiting))
            }
            Selection::InlineFragment(f) => count(&f.node.selection_set.node, doc, memo, visiting),
            Selection::FragmentSpread(s) => {
                let name = s.node.fragment_name.node.to_string();
                match memo.get(&name) {
                    Some(&k) => k,
                    // A cycle is validation's to report; it counts nothing here.
                    None if visiting.contains(&name) => 0,
                    None => {
                        let k = match doc.fragments.get(s.node.fragment_name.node.as_str()) {
                            Some(frag) => {
                                visiting.push(name.clone());
                                let k = count(&frag.node.selection_set.node, doc, memo, visiting);
                                visiting.pop();
                                k
                            }
                            None => 0,
                        };
                        memo.insert(name, k);
                        k
                    }
                }
            }
        };
        n = n.saturating_add(add);
    }
    n
}

/// Root fields (one level, fragments expanded; memoised like [`count`]).
fn roots(
    set: &SelectionSet,
    doc: &ExecutableDocument,
    memo: &mut HashMap<String, usize>,
    visiting: &mut Vec<String>,
) -> usize {
    let mut n: usize = 0;
    for item in &set.items {
        let add = match &item.node {
            Selection::Field(_) => 1,
            Selection::InlineFragment(f) => roots(&f.node.selection_set.node, doc, memo, visiting),
            Selection::FragmentSpread(s) => {
                let name = s.node.fragment_name.node.to_string();
                match memo.get(&name) {
                    Some(&k) => k,
                    None if visiting.contains(&name) => 0,
                    None => {
                        let k = match doc.fragments.get(s.node.fragment_name.node.as_str()) {
                            Some(frag) => {
                                visiting.push(name.clone());
                                let k = roots(&frag.node.selection_set.node, doc, memo, visiting);
                                visiting.pop();
                                k
                            }
                            None => 0,
                        };
                        memo.insert(name, k);
                        k
                    }
                }
            }
        };
        n = n.saturating_add(add);
    }
    n
}

/// A limit error: `code`, the limit and what the request had.
fn over(code: &str, what: &str, limit: usize, got: usize) -> ServerError {
    let mut e = ServerError::new(
        format!("the request has {got} {what}; at most {limit} are allowed (split it)"),
        None,
    );
    let ext = e.extensions.get_or_insert_with(Default::default);
    ext.set("code", code);
    ext.set("limit", limit as u64);
    ext.set("actual", got.min(u32::MAX as usize) as u64);
    e
}

/// Sets `code` unless the error has one, and cuts the message.
fn coded(mut e: ServerError, code: &str) -> ServerError {
    if e.message.chars().count() > MAX_MESSAGE_CHARS {
        e.message = format!(
            "{}…",
            e.message
                .chars()
                .take(MAX_MESSAGE_CHARS)
                .collect::<String>()
        );
    }
    let ext = e.extensions.get_or_insert_with(Default::default);
    if ext.get("code").is_none() {
        ext.set("code", code);
    }
    e
}

/// A validation error's code: the cost limits, a value not of the argument's type, or
/// any other violation of the schema.
fn validation_code(e: &ServerError) -> (&'static str, Option<usize>) {
    let m = e.message.as_str();
    if m.starts_with("Query is too complex") {
        ("QUERY_TOO_COMPLEX", Some(MAX_COMPLEXITY))
    } else if m.starts_with("Query is nested too deep") {
        ("QUERY_TOO_DEEP", Some(MAX_DEPTH))
    } else if m.starts_with("Invalid value for argument") || m.contains("Failed to parse") {
        ("BAD_USER_INPUT", None)
    } else {
        ("GRAPHQL_VALIDATION_FAILED", None)
    }
}

/// Runs `request` on `schema` within the limits, every error coded.
///
/// Done around `execute` rather than as a schema extension: with any extension
/// registered, async-graphql takes a slower path for every field it resolves (a
/// registry lookup and an extension chain per field), which on a page of a few thousand
/// objects cost more than the answer itself.
pub async fn execute(schema: &MsiSchema, mut request: Request) -> Response {
    // Parsed once: `execute` takes the document from the request.
    let doc = match request.parsed_query() {
        Ok(doc) => doc,
        Err(e) => return Response::from_errors(vec![coded(e, "GRAPHQL_PARSE_FAILED")]),
    };
    // Before validation, whose cost grows with the square of a selection's fields.
    let (mut memo, mut root_memo) = (HashMap::new(), HashMap::new());
    let (mut fields, mut root) = (0usize, 0usize);
    for (_, op) in doc.operations.iter() {
        let set = &op.node.selection_set.node;
        root = root.saturating_add(roots(set, doc, &mut root_memo, &mut Vec::new()));
        fields = fields.saturating_add(count(set, doc, &mut memo, &mut Vec::new()));
    }
    if root > MAX_ROOT_FIELDS {
        return Response::from_errors(vec![over(
            "TOO_MANY_ROOT_FIELDS",
            "root fields (aliases included)",
            MAX_ROOT_FIELDS,
            root,
        )]);
    }
    if fields > MAX_FIELDS {
        return Response::from_errors(vec![over(
            "TOO_MANY_FIELDS",
            "fields (fragments expanded)",
            MAX_FIELDS,
            fields,
        )]);
    }
    let mut response = schema.execute(request).await;
    // An error with no path on an answer with no data was raised before execution (the
    // schema's rules); resolvers code their own errors (one mapping, `error::to_gql`),
    // so what else is left comes from coercing the request's values.
    let before_execution = response.data == Value::Null;
    response.errors = std::mem::take(&mut response.errors)
        .into_iter()
        .map(|e| {
            if before_execution && e.path.is_empty() {
                let (code, limit) = validation_code(&e);
                let mut e = coded(e, code);
                if let Some(limit) = limit {
                    e.extensions
                        .get_or_insert_with(Default::default)
                        .set("limit", limit as u64);
                }
                e
            } else {
                coded(e, "BAD_USER_INPUT")
            }
        })
        .collect();
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(q: &str) -> ExecutableDocument {
        async_graphql::parser::parse_query(q).unwrap()
    }

    fn counts(q: &str) -> (usize, usize) {
        let d = doc(q);
        let (mut memo, mut root_memo) = (HashMap::new(), HashMap::new());
        let mut out = (0, 0);
        for (_, op) in d.operations.iter() {
            out.0 += roots(
                &op.node.selection_set.node,
                &d,
                &mut root_memo,
                &mut Vec::new(),
            );
            out.1 += count(&op.node.selection_set.node, &d, &mut memo, &mut Vec::new());
        }
        out
    }

    #[test]
    fn fields_are_counted_with_aliases_and_fragments() {
        assert_eq!(counts("{ a b { c d } }"), (2, 4));
        assert_eq!(counts("{ x: a y: a z: a }"), (3, 3));
        assert_eq!(counts("{ ...F } fragment F on Query { a b { c } }"), (2, 3));
        assert_eq!(counts("{ ... on Query { a b } }"), (2, 2));
        // Nested spreads are counted in full, without expanding them in time.
        let mut q = String::from("{ ...F0 } fragment F19 on Query { a b }");
        for i in 0..19 {
            q.push_str(&format!(
                " fragment F{i} on Query {{ ...F{} ...F{} }}",
                i + 1,
                i + 1
            ));
        }
        assert_eq!(counts(&q), (2 << 19, 2 << 19));
        // A cycle counts nothing (validation reports it).
        assert_eq!(counts("{ ...A } fragment A on Query { a ...A }").1, 1);
    }
}
