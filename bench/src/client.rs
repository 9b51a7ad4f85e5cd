//! The GraphQL client: one shared HTTP connection pool, requests timed to the last byte.

use std::time::{Duration, Instant};

use anyhow::anyhow;
use serde_json::{json, Value};

pub struct Gql {
    pub http: reqwest::Client,
    pub url: String,
}

/// A response's `data`, or why it failed.
pub type Answer = Result<Value, String>;

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n).collect::<String>())
    }
}

impl Gql {
    /// Posts a request; returns the time until the whole body arrived, and its `data`
    /// (HTTP 200 and no `errors`, or an error).
    pub async fn timed(&self, token: &str, query: &str, variables: &Value) -> (Duration, Answer) {
        let start = Instant::now();
        let sent = self
            .http
            .post(&self.url)
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await;
        let (status, body) = match sent {
            Ok(resp) => {
                let status = resp.status();
                match resp.bytes().await {
                    Ok(b) => (status, b),
                    Err(e) => return (start.elapsed(), Err(format!("reading the body: {e}"))),
                }
            }
            Err(e) => return (start.elapsed(), Err(format!("request failed: {e}"))),
        };
        let took = start.elapsed();
        if status != reqwest::StatusCode::OK {
            let text = String::from_utf8_lossy(&body);
            return (took, Err(format!("HTTP {status}: {}", clip(&text, 300))));
        }
        let mut v: Value = match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => return (took, Err(format!("the body is not JSON: {e}"))),
        };
        if let Some(errors) = v.get("errors") {
            return (
                took,
                Err(format!(
                    "GraphQL errors: {}",
                    clip(&errors.to_string(), 400)
                )),
            );
        }
        match v.get_mut("data").map(Value::take) {
            Some(d) if d.is_object() => (took, Ok(d)),
            _ => (took, Err("no `data` in the answer".into())),
        }
    }

    /// A counter of the service's `/metrics` (`None` when it cannot be read).
    pub async fn counter(&self, name: &str) -> Option<f64> {
        let url = self.url.strip_suffix("/graphql")?.to_string() + "/metrics";
        let text = self.http.get(url).send().await.ok()?.text().await.ok()?;
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
    }

    pub async fn ok(&self, token: &str, query: &str, variables: Value) -> anyhow::Result<Value> {
        self.timed(token, query, &variables)
            .await
            .1
            .map_err(|e| anyhow!("{e}\n  query: {}", clip(query, 200)))
    }
}
