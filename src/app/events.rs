//! Submission events, live: every stored revision is announced to this replica's
//! subscribers, and through PostgreSQL to every other replica's; each subscriber receives
//! what it may see of them.

use std::sync::{Arc, OnceLock};

use futures_util::{Stream, StreamExt};
use tokio::sync::{broadcast, mpsc, oneshot};

use super::{App, AppResult};
use crate::auth::{Principal, Scope};
use crate::domain::events::{SubmissionEvent, SubmissionKind};
use crate::domain::network::region_at;
use crate::store::{ReportRecord, Store};

/// Events a slow subscriber may fall behind by before it misses some.
const BACKLOG: usize = 4_096;

/// This replica's subscribers, and the events on their way to them.
pub struct EventBus {
    sender: broadcast::Sender<Arc<SubmissionEvent>>,
    /// Events to send, in the order they were stored: a task sends them (through the
    /// database, or here) after the write has answered, so that a writer does not wait for
    /// the notice of its own write.
    outbox: OnceLock<mpsc::UnboundedSender<Outgoing>>,
}

/// What the sending task is given.
enum Outgoing {
    Events(Vec<SubmissionEvent>),
    /// Answered once everything queued before it is sent.
    Sent(oneshot::Sender<()>),
}

impl Default for EventBus {
    fn default() -> Self {
        EventBus {
            sender: broadcast::channel(BACKLOG).0,
            outbox: OnceLock::new(),
        }
    }
}

impl EventBus {
    fn deliver(sender: &broadcast::Sender<Arc<SubmissionEvent>>, events: Vec<SubmissionEvent>) {
        for e in events {
            // No subscriber: nobody to tell.
            let _ = sender.send(Arc::new(e));
        }
    }

    /// Queues events for the sending task (started on first use), which sends them one
    /// batch after the other.
    fn send(&self, store: &Arc<dyn Store>, events: Vec<SubmissionEvent>) {
        let outbox = self.outbox.get_or_init(|| {
            let (tx, mut rx) = mpsc::unbounded_channel::<Outgoing>();
            let (store, sender) = (store.clone(), self.sender.clone());
            tokio::spawn(async move {
                while let Some(next) = rx.recv().await {
                    let events = match next {
                        Outgoing::Events(events) => events,
                        Outgoing::Sent(done) => {
                            let _ = done.send(());
                            continue;
                        }
                    };
                    match store.notify_events(&events).await {
                        Ok(true) => {}
                        Ok(false) => EventBus::deliver(&sender, events),
                        Err(e) => {
                            // The reports are stored: only the live notice is lost.
                            tracing::warn!(error = %e, "submission events could not be sent");
                        }
                    }
                }
            });
            tx
        });
        if outbox.send(Outgoing::Events(events)).is_err() {
            tracing::warn!("submission events could not be queued");
        }
    }

    /// Waits until the events queued so far are sent (a command that stored reports
    /// exits after this).
    async fn sent(&self) {
        let Some(outbox) = self.outbox.get() else {
            return;
        };
        let (done, wait) = oneshot::channel();
        if outbox.send(Outgoing::Sent(done)).is_ok() {
            let _ = wait.await;
        }
    }
}

impl App {
    /// Announces stored revisions: through the database when it carries events to every
    /// replica (PostgreSQL), else to this process's subscribers; queued, in order, for a
    /// task that sends them after the write has answered.
    pub(super) async fn announce(&self, records: &[&ReportRecord]) {
        if records.is_empty() {
            return;
        }
        // The regions from the KPI cache's directory (brought up to date by the write's
        // request); the database only for a dealer it does not hold yet.
        let directory = match self.directory().await {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, "submission events: regions unknown, events not sent");
                return;
            }
        };
        let mut unknown: Vec<String> = records
            .iter()
            .filter(|r| !directory.index.contains_key(&r.dealer_code))
            .map(|r| r.dealer_code.clone())
            .collect();
        unknown.sort_unstable();
        unknown.dedup();
        let histories = match self.store.region_histories(Some(&unknown)).await {
            Ok(h) => h,
            Err(e) => {
                tracing::warn!(error = %e, "submission events: regions unknown, events not sent");
                return;
            }
        };
        let history = |code: &str| match directory.index.get(code) {
            Some(&i) => Some(directory.histories[i].as_slice()),
            None => histories
                .iter()
                .find(|(c, _)| c == code)
                .map(|(_, h)| h.as_slice()),
        };
        let events: Vec<SubmissionEvent> = records
            .iter()
            .map(|r| SubmissionEvent {
                kind: SubmissionKind::of(r.revision, r.late),
                dealer_code: r.dealer_code.clone(),
                region_code: history(&r.dealer_code)
                    .and_then(|h| region_at(h, r.month))
                    .map(str::to_string),
                month: r.month,
                revision: r.revision,
                at_ms: r.updated_at,
            })
            .collect();
        self.events.send(&self.store, events);
    }

    /// Relays the events the database carries (other replicas' and this one's) to this
    /// replica's subscribers, until the returned task is stopped. Nothing to do on SQLite.
    pub async fn relay_events(self: &Arc<Self>) -> AppResult<Option<tokio::task::JoinHandle<()>>> {
        let Some(mut stream) = self.store.listen_events().await? else {
            return Ok(None);
        };
        let app = Arc::downgrade(self);
        Ok(Some(tokio::spawn(async move {
            while let Some(event) = stream.next().await {
                let Some(app) = app.upgrade() else { break };
                EventBus::deliver(&app.events.sender, vec![event]);
            }
        })))
    }

    /// Waits until the submission events of the writes so far are sent: before a command
    /// that stored reports exits, or a server that stops.
    pub async fn events_sent(&self) {
        self.events.sent().await;
    }

    /// Subscriptions to submission events open on this replica.
    pub fn subscribers(&self) -> usize {
        self.events.sender.receiver_count()
    }

    /// The submission events `who` may see from now on, optionally of one region: a dealer
    /// user its own, a regional manager its regions' (the dealer's region in the report's
    /// month), the OEM and BI readers all.
    pub fn submission_events(
        &self,
        who: &Principal,
        region: Option<String>,
    ) -> AppResult<impl Stream<Item = Arc<SubmissionEvent>> + Send + 'static> {
        // The same scope as the submission status list, refused the same way.
        let filter = super::status_filter(who, region)?;
        let scope = who.scope();
        let receiver = self.events.sender.subscribe();
        let stream = tokio_stream_of(receiver).filter(move |e| {
            let in_regions = filter
                .regions
                .as_ref()
                .is_none_or(|rs| e.region_code.as_ref().is_some_and(|r| rs.contains(r)));
            let own = match &scope {
                Scope::Dealer(d) => *d == e.dealer_code,
                _ => true,
            };
            std::future::ready(in_regions && own)
        });
        Ok(stream)
    }
}

/// A broadcast receiver as a stream; a subscriber that fell behind skips what it missed
/// (and the log says so).
fn tokio_stream_of(
    receiver: broadcast::Receiver<Arc<SubmissionEvent>>,
) -> impl Stream<Item = Arc<SubmissionEvent>> + Send + 'static {
    futures_util::stream::unfold(receiver, |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(e) => return Some((e, rx)),
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(missed = n, "a subscriber fell behind and missed events");
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    })
}
