//! The README's GraphQL examples, run in the README's order against a fresh demo network on
//! the real clock, as a newcomer runs them after `serve --demo`: each must answer without
//! errors, and not empty. When the demo's window moves past a month the README names, this
//! fails, and the README gets new months.
//!
//! Conventions of the README's ```graphql blocks, read here:
//! - operations are separated at the top level (`{ ... }`, `query ...`, `mutation ...`);
//! - a comment before an operation naming `--role R` (with `--dealer D` or `--regions A,B`),
//!   as `msi-hub token` takes them, runs it with such a token; otherwise as `oem_admin`;
//! - `$input: ReportInput` is a complete report (what `report { values }` returns).

mod common;

use common::TestApp;
use msi_hub::auth::{Principal, Role};
use serde_json::{json, Value};

/// One operation of the README.
struct Example {
    line: usize,
    text: String,
    comment: String,
}

/// Every operation of every ```graphql block, in order.
fn examples(readme: &str) -> Vec<Example> {
    let mut out = Vec::new();
    let mut in_block = false;
    let mut block = String::new();
    let mut block_line = 0;
    for (i, line) in readme.lines().enumerate() {
        if !in_block && line.trim_start().starts_with("```graphql") {
            in_block = true;
            block.clear();
            block_line = i + 2;
            continue;
        }
        if in_block && line.trim_start().starts_with("```") {
            in_block = false;
            out.extend(split(&block, block_line));
            continue;
        }
        if in_block {
            block.push_str(line);
            block.push('\n');
        }
    }
    out
}

/// The top-level operations of a block, each with the comments just before it.
fn split(block: &str, first_line: usize) -> Vec<Example> {
    let mut out = Vec::new();
    let (mut depth, mut line) = (0usize, first_line);
    let mut current = String::new();
    let mut comment = String::new();
    let (mut start_line, mut opened) = (0, false);
    let mut chars = block.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '#' => {
                let mut text = String::from("#");
                while let Some(&n) = chars.peek() {
                    if n == '\n' {
                        break;
                    }
                    text.push(n);
                    chars.next();
                }
                if current.is_empty() {
                    comment.push_str(&text);
                    comment.push('\n');
                }
                continue;
            }
            '"' if !current.is_empty() => {
                current.push(c);
                while let Some(n) = chars.next() {
                    current.push(n);
                    if n == '\\' {
                        if let Some(e) = chars.next() {
                            current.push(e);
                        }
                    } else if n == '"' {
                        break;
                    }
                }
                continue;
            }
            '\n' => line += 1,
            _ => {}
        }
        if current.is_empty() {
            if c.is_whitespace() {
                continue;
            }
            start_line = line;
        }
        current.push(c);
        match c {
            '{' | '(' => {
                depth += 1;
                opened |= c == '{';
            }
            '}' | ')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 && opened && c == '}' {
                    out.push(Example {
                        line: start_line,
                        text: std::mem::take(&mut current),
                        comment: std::mem::take(&mut comment),
                    });
                    opened = false;
                }
            }
            _ => {}
        }
    }
    assert!(
        current.trim().is_empty(),
        "README line {start_line}: an operation does not close: {current}"
    );
    out
}

/// The value of `--flag` in a comment.
fn flag<'a>(comment: &'a str, name: &str) -> Option<&'a str> {
    let at = comment.find(&format!("--{name} "))? + name.len() + 3;
    comment[at..]
        .split(|c: char| c.is_whitespace() || c == ';' || c == ')')
        .next()
}

/// The token an example runs with.
fn token_for(t: &TestApp, comment: &str) -> String {
    let Some(role) = flag(comment, "role") else {
        return t.admin();
    };
    let role = Role::parse(role).unwrap_or_else(|| panic!("unknown role in {comment}"));
    let dealer = flag(comment, "dealer").map(str::to_string);
    let regions = flag(comment, "regions")
        .map(|r| r.split(',').map(str::to_string).collect())
        .unwrap_or_default();
    t.token_for(&Principal {
        sub: format!("readme-{}", role.as_str()),
        role,
        regions,
        dealer,
    })
}

/// Where an answer is empty: a root field null or an empty list, or a page with no
/// `edges` / `nodes`.
fn empty_at(value: &Value, path: &str, root: bool) -> Option<String> {
    match value {
        Value::Null if root => Some(path.to_string()),
        Value::Array(items) if root && items.is_empty() => Some(path.to_string()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| empty_at(v, &format!("{path}[{i}]"), false)),
        Value::Object(fields) => fields.iter().find_map(|(k, v)| {
            let here = format!("{path}.{k}");
            match v {
                Value::Array(items) if (k == "edges" || k == "nodes") && items.is_empty() => {
                    Some(here)
                }
                _ => empty_at(v, &here, false),
            }
        }),
        _ => None,
    }
}

/// Runs a subscription over WebSocket for a moment: why it was refused, if it was (it
/// has nothing to say until a report arrives).
async fn subscription_refused(t: &TestApp, token: &str, query: &str) -> Option<String> {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::Message;
    let mut req = format!("{}/graphql/ws", t.base.replace("http://", "ws://"))
        .into_client_request()
        .unwrap();
    req.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.ok()?;
    for m in [
        json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } }),
        json!({ "id": "1", "type": "subscribe", "payload": { "query": query } }),
    ] {
        ws.send(Message::Text(m.to_string().into())).await.ok()?;
    }
    let wait = std::time::Duration::from_millis(500);
    while let Ok(Some(Ok(msg))) = tokio::time::timeout(wait, ws.next()).await {
        let Message::Text(text) = msg else {
            return Some(format!("the connection ended: {msg:?}"));
        };
        let v: Value = serde_json::from_str(&text).unwrap();
        match v["type"].as_str() {
            Some("connection_ack") | Some("ping") => continue,
            _ => return Some(format!("answered {v}")),
        }
    }
    None
}

#[tokio::test]
async fn every_graphql_example_of_the_readme_answers_on_the_demo() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let examples = examples(&readme);
    assert!(
        examples.len() >= 40,
        "only {} examples found",
        examples.len()
    );
    // The real clock, as `serve --demo` runs.
    let t = TestApp::spawn_with(|s| s.now = None).await;
    t.app.load_demo(false).await.unwrap();
    let mut failures = Vec::new();
    for ex in &examples {
        assert!(
            !ex.text.contains("..."),
            "README line {}: a placeholder cannot run: {}",
            ex.line,
            ex.text
        );
        let token = token_for(&t, &ex.comment);
        if ex.text.starts_with("subscription") {
            if let Some(p) = subscription_refused(&t, &token, &ex.text).await {
                failures.push(format!(
                    "README line {}: {p}\n  {}",
                    ex.line,
                    ex.text.trim()
                ));
            }
            continue;
        }
        let variables = if ex.text.contains("$input") {
            json!({ "input": common::report_input(&[]) })
        } else {
            json!({})
        };
        let (status, body) = t.post(Some(&token), &ex.text, variables).await;
        let data = &body["data"];
        let problem = if status != 200 || body.get("errors").is_some() {
            Some(format!("HTTP {status}, errors {}", body["errors"]))
        } else if let Some(at) = data
            .as_object()
            .and_then(|roots| roots.iter().find_map(|(k, v)| empty_at(v, k, true)))
        {
            Some(format!("empty at {at}"))
        } else if data.to_string().contains("\"REJECTED\"") {
            Some(format!("a write was rejected: {data}"))
        } else {
            None
        };
        if let Some(p) = problem {
            failures.push(format!(
                "README line {}: {p}\n  {}",
                ex.line,
                ex.text.trim()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} README examples fail on the demo:\n{}",
        failures.len(),
        examples.len(),
        failures.join("\n")
    );
}

#[test]
fn examples_are_split_at_the_top_level() {
    let block = "# who am I\n{ me { sub } }\n\n# as a dealer (token --role dealer --dealer D1)\nmutation { a(x: \"}{\") { b } } # trailing\nquery Q($v: Int) { c(v: $v) { d } }\n";
    let ex = split(block, 1);
    assert_eq!(ex.len(), 3);
    assert_eq!(ex[0].text, "{ me { sub } }");
    assert_eq!(ex[0].line, 2);
    assert_eq!(ex[1].text, "mutation { a(x: \"}{\") { b } }");
    assert_eq!(flag(&ex[1].comment, "role"), Some("dealer"));
    assert_eq!(flag(&ex[1].comment, "dealer"), Some("D1"));
    assert!(ex[2].text.starts_with("query Q($v: Int)"));
    let empty = json!({ "a": { "edges": [] } });
    assert_eq!(empty_at(&empty["a"], "a", true), Some("a.edges".into()));
    assert_eq!(empty_at(&json!([]), "r", true), Some("r".into()));
    assert_eq!(empty_at(&json!({ "x": [] }), "r", true), None);
}
