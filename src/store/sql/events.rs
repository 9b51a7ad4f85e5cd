//! Submission events across replicas: `pg_notify` on PostgreSQL, nothing on SQLite.

use futures_util::StreamExt;
use sqlx::postgres::PgListener;

use super::*;
use crate::domain::events::SubmissionEvent;

/// Largest payload sent in one notification (PostgreSQL's limit is 8,000 bytes).
const MAX_PAYLOAD: usize = 7_000;

/// The channel of a schema: `msi_events_<schema>`, cut to an identifier's 63 bytes.
pub(super) fn channel_of(schema: &str) -> String {
    let clean: String = schema
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    let mut channel = format!("msi_events_{clean}");
    channel.truncate(63);
    channel
}

/// The events as JSON arrays of at most [`MAX_PAYLOAD`] bytes each.
fn payloads(events: &[SubmissionEvent]) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut size = 2;
    for e in events {
        let text = serde_json::to_string(e).expect("events serialise");
        if !current.is_empty() && size + text.len() + 1 > MAX_PAYLOAD {
            out.push(format!("[{}]", current.join(",")));
            current.clear();
            size = 2;
        }
        size += text.len() + 1;
        current.push(text);
    }
    if !current.is_empty() {
        out.push(format!("[{}]", current.join(",")));
    }
    out
}

#[async_trait]
impl EventStore for SqliteStore {
    async fn notify_events(&self, _events: &[SubmissionEvent]) -> StoreResult<bool> {
        Ok(false)
    }

    async fn listen_events(&self) -> StoreResult<Option<EventStream>> {
        Ok(None)
    }
}

#[async_trait]
impl EventStore for PgStore {
    async fn notify_events(&self, events: &[SubmissionEvent]) -> StoreResult<bool> {
        for payload in payloads(events) {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(&self.events_channel)
                .bind(payload)
                .execute(&self.pool)
                .await?;
        }
        Ok(true)
    }

    async fn listen_events(&self) -> StoreResult<Option<EventStream>> {
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener.listen(&self.events_channel).await?;
        let stream = listener
            .into_stream()
            .filter_map(|n| async move {
                match n {
                    Ok(n) => match serde_json::from_str::<Vec<SubmissionEvent>>(n.payload()) {
                        Ok(events) => Some(futures_util::stream::iter(events)),
                        Err(e) => {
                            tracing::warn!(error = %e, "a submission event could not be read");
                            None
                        }
                    },
                    Err(e) => {
                        tracing::warn!(error = %e, "listening for submission events: reconnecting");
                        None
                    }
                }
            })
            .flatten();
        Ok(Some(Box::pin(stream)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::events::SubmissionKind;

    #[test]
    fn payloads_stay_under_the_limit_and_keep_every_event() {
        let events: Vec<SubmissionEvent> = (0..500)
            .map(|i| SubmissionEvent {
                kind: SubmissionKind::Submitted,
                dealer_code: format!("D{i:05}"),
                region_code: Some("R01".into()),
                month: "2026-10".parse().unwrap(),
                revision: 1,
                at_ms: i,
            })
            .collect();
        let out = payloads(&events);
        assert!(out.len() > 1);
        let mut back = Vec::new();
        for p in &out {
            assert!(p.len() <= MAX_PAYLOAD, "{}", p.len());
            back.extend(serde_json::from_str::<Vec<SubmissionEvent>>(p).unwrap());
        }
        assert_eq!(back, events);
        assert_eq!(channel_of("t_Ab-1"), "msi_events_t_ab_1");
    }
}
