//! Persisted queries, as GraphQL clients expect them:
//!
//! - **Automatic Persisted Queries** (Apollo's protocol): a client sends only the SHA-256 of
//!   its document (`extensions.persistedQuery.sha256Hash`); if this replica does not know
//!   it, the answer is `PersistedQueryNotFound` and the client sends the document once with
//!   its hash, which is checked and remembered (bounded, least recently used out).
//! - **An allow-list** for production (`MSI_ALLOW_LIST`): only the operations of a
//!   persisted query manifest run, sent by hash or in full; nothing else, not even
//!   introspection.

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::path::Path;
use std::sync::{Arc, Mutex};

use async_graphql::{Request, ServerError, Value};
use lru::LruCache;
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// A document's SHA-256.
type Hash = [u8; 32];

/// Documents remembered by APQ, at most (each at most [`MAX_LEARNED_BYTES`]).
const MAX_LEARNED: usize = 2_048;
/// Largest document APQ remembers (a longer one runs, but is not remembered).
const MAX_LEARNED_BYTES: usize = 16 * 1024;

/// The operations of a persisted query manifest, by the SHA-256 of their text.
#[derive(Clone)]
pub struct AllowList(Arc<HashMap<Hash, Arc<str>>>);

impl std::fmt::Debug for AllowList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AllowList({} operations)", self.0.len())
    }
}

/// Apollo's persisted query manifest (`apollo-persisted-query-manifest`, version 1).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    format: String,
    version: u32,
    operations: Vec<ManifestOperation>,
}

#[derive(Deserialize)]
struct ManifestOperation {
    id: String,
    name: Option<String>,
    body: String,
}

impl AllowList {
    /// Reads a manifest file (a command-line value parser: a bad file stops the start).
    pub fn load(path: &str) -> Result<AllowList, String> {
        let text = std::fs::read_to_string(Path::new(path))
            .map_err(|e| format!("cannot read the allow-list {path}: {e}"))?;
        AllowList::parse(&text).map_err(|e| format!("the allow-list {path}: {e}"))
    }

    /// An allow-list from a manifest's JSON: every operation's `id` must be the SHA-256 (hex)
    /// of its `body`, which must parse.
    pub fn parse(json: &str) -> Result<AllowList, String> {
        let manifest: Manifest = serde_json::from_str(json).map_err(|e| {
            format!("not a persisted query manifest ({{\"format\": \"apollo-persisted-query-manifest\", \"version\": 1, \"operations\": [{{\"id\", \"name\", \"type\", \"body\"}}]}}): {e}")
        })?;
        if manifest.format != "apollo-persisted-query-manifest" || manifest.version != 1 {
            return Err(format!(
                "format `{}` version {}: only apollo-persisted-query-manifest version 1 is read",
                manifest.format, manifest.version
            ));
        }
        let mut ops = HashMap::new();
        for (i, op) in manifest.operations.into_iter().enumerate() {
            let name = op.name.unwrap_or_else(|| format!("#{}", i + 1));
            let hash = sha256(&op.body);
            if parse_hash(&op.id) != Some(hash) {
                return Err(format!(
                    "operation {name}: `id` must be the SHA-256 of its body in hex ({})",
                    hex(&hash)
                ));
            }
            async_graphql::parser::parse_query(&op.body)
                .map_err(|e| format!("operation {name} does not parse: {e}"))?;
            ops.insert(hash, Arc::from(op.body));
        }
        Ok(AllowList(Arc::new(ops)))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// What a replica knows of persisted queries.
pub struct PersistedQueries {
    learned: Mutex<LruCache<Hash, Arc<str>>>,
    allow_list: Option<AllowList>,
}

impl PersistedQueries {
    pub fn new(allow_list: Option<AllowList>) -> PersistedQueries {
        PersistedQueries {
            learned: Mutex::new(LruCache::new(
                NonZeroUsize::new(MAX_LEARNED).expect("non-zero"),
            )),
            allow_list,
        }
    }

    /// Fills in the document of a request sent by hash, remembers one sent with its hash,
    /// and refuses what the allow-list does not hold. The error is the request's answer.
    ///
    /// Documents learned by APQ are kept per caller (`caller`: the token's subject), so
    /// that no one can tell from a hit or a miss which documents others have sent.
    pub fn resolve(&self, request: &mut Request, caller: &str) -> Result<(), ServerError> {
        let hash = match request.extensions.get("persistedQuery") {
            None => None,
            Some(Value::Object(pq)) => {
                if pq.get("version") != Some(&Value::from(1)) {
                    return Err(refused(
                        "PERSISTED_QUERY_VERSION_NOT_SUPPORTED",
                        "persistedQuery: only version 1 is supported",
                    ));
                }
                match pq.get("sha256Hash") {
                    Some(Value::String(h)) => Some(parse_hash(h).ok_or_else(|| {
                        refused(
                            "BAD_USER_INPUT",
                            "persistedQuery.sha256Hash: 64 hexadecimal digits expected",
                        )
                    })?),
                    _ => {
                        return Err(refused(
                            "BAD_USER_INPUT",
                            "persistedQuery: `sha256Hash` is required",
                        ))
                    }
                }
            }
            Some(_) => {
                return Err(refused(
                    "BAD_USER_INPUT",
                    "extensions.persistedQuery must be an object {version, sha256Hash}",
                ))
            }
        };
        let sent = !request.query.is_empty();
        if let (Some(h), true) = (hash, sent) {
            if sha256(&request.query) != h {
                return Err(refused(
                    "BAD_USER_INPUT",
                    "provided sha does not match query: persistedQuery.sha256Hash must be the SHA-256 of `query`",
                ));
            }
        }
        if let Some(list) = &self.allow_list {
            let h = match (hash, sent) {
                (Some(h), _) => h,
                (None, true) => sha256(&request.query),
                (None, false) => return Ok(()),
            };
            return match list.0.get(&h) {
                Some(body) => {
                    if !sent {
                        request.query = body.to_string();
                    }
                    Ok(())
                }
                None => Err(refused(
                    "PERSISTED_QUERY_NOT_IN_LIST",
                    "this operation is not in the allow-list of this service: only registered operations run here",
                )),
            };
        }
        let Some(h) = hash else { return Ok(()) };
        let h = per_caller(caller, &h);
        let mut learned = self.learned.lock().unwrap_or_else(|p| p.into_inner());
        if sent {
            // Only documents that parse are worth remembering.
            if request.query.len() <= MAX_LEARNED_BYTES && request.parsed_query().is_ok() {
                learned.put(h, Arc::from(request.query.as_str()));
            }
            return Ok(());
        }
        match learned.get(&h) {
            Some(body) => {
                request.query = body.to_string();
                Ok(())
            }
            // The message is the protocol: clients match on it.
            None => Err(refused(
                "PERSISTED_QUERY_NOT_FOUND",
                "PersistedQueryNotFound",
            )),
        }
    }
}

fn refused(code: &str, message: &str) -> ServerError {
    let mut e = ServerError::new(message, None);
    e.extensions
        .get_or_insert_with(Default::default)
        .set("code", code);
    e
}

/// The key of a caller's document.
fn per_caller(caller: &str, hash: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update(caller.as_bytes());
    h.update([0]);
    h.update(hash);
    h.finalize().into()
}

/// The SHA-256 of a document, as APQ hashes it (its exact text).
pub fn sha256(text: &str) -> Hash {
    Sha256::digest(text.as_bytes()).into()
}

fn parse_hash(hex: &str) -> Option<Hash> {
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

fn hex(hash: &Hash) -> String {
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_hash(query: &str, hash: &str) -> Request {
        let mut r = Request::new(query);
        let mut pq = async_graphql::indexmap::IndexMap::new();
        pq.insert(async_graphql::Name::new("version"), Value::from(1));
        pq.insert(
            async_graphql::Name::new("sha256Hash"),
            Value::from(hash.to_string()),
        );
        r.extensions
            .0
            .insert("persistedQuery".into(), Value::Object(pq));
        r
    }

    fn code(e: &ServerError) -> String {
        e.extensions
            .as_ref()
            .and_then(|x| x.get("code"))
            .map(|v| v.to_string())
            .unwrap_or_default()
    }

    const Q: &str = "{ me { sub } }";

    impl PersistedQueries {
        fn resolve_as(&self, r: &mut Request) -> Result<(), ServerError> {
            self.resolve(r, "someone")
        }
    }

    #[test]
    fn one_callers_documents_are_not_anothers() {
        let pq = PersistedQueries::new(None);
        let h = hex(&sha256(Q));
        pq.resolve(&mut with_hash(Q, &h), "alice").unwrap();
        pq.resolve(&mut with_hash("", &h), "alice").unwrap();
        let e = pq.resolve(&mut with_hash("", &h), "bob").unwrap_err();
        assert_eq!(e.message, "PersistedQueryNotFound");
    }

    #[test]
    fn apq_asks_for_the_document_then_remembers_it() {
        let pq = PersistedQueries::new(None);
        let h = hex(&sha256(Q));
        let e = pq.resolve_as(&mut with_hash("", &h)).unwrap_err();
        assert_eq!(e.message, "PersistedQueryNotFound");
        assert_eq!(code(&e), "\"PERSISTED_QUERY_NOT_FOUND\"");
        pq.resolve_as(&mut with_hash(Q, &h)).unwrap();
        let mut r = with_hash("", &h);
        pq.resolve_as(&mut r).unwrap();
        assert_eq!(r.query, Q);
        // A hash that is not the document's is refused, and teaches nothing.
        let other = hex(&sha256("{ regions { code } }"));
        let e = pq.resolve_as(&mut with_hash(Q, &other)).unwrap_err();
        assert!(e.message.contains("does not match"), "{}", e.message);
        assert!(pq.resolve_as(&mut with_hash("", &other)).is_err());
        assert!(pq.resolve_as(&mut with_hash("", "xyz")).is_err());
        // Without persistedQuery, nothing changes.
        let mut plain = Request::new(Q);
        pq.resolve_as(&mut plain).unwrap();
        assert_eq!(plain.query, Q);
    }

    #[test]
    fn an_allow_list_runs_its_operations_only() {
        let h = hex(&sha256(Q));
        let manifest = format!(
            r#"{{"format":"apollo-persisted-query-manifest","version":1,"operations":[{{"id":"{h}","name":"Me","type":"query","body":"{Q}"}}]}}"#
        );
        let list = AllowList::parse(&manifest).unwrap();
        assert_eq!(list.len(), 1);
        let pq = PersistedQueries::new(Some(list));
        pq.resolve_as(&mut Request::new(Q)).unwrap();
        let mut by_hash = with_hash("", &h);
        pq.resolve_as(&mut by_hash).unwrap();
        assert_eq!(by_hash.query, Q);
        let e = pq
            .resolve_as(&mut Request::new("{ regions { code } }"))
            .unwrap_err();
        assert_eq!(code(&e), "\"PERSISTED_QUERY_NOT_IN_LIST\"");
        // APQ cannot add to the list.
        let other = "{ regions { code } }";
        assert!(pq
            .resolve_as(&mut with_hash(other, &hex(&sha256(other))))
            .is_err());
    }

    #[test]
    fn a_manifest_is_checked_when_read() {
        let bad_id = format!(
            r#"{{"format":"apollo-persisted-query-manifest","version":1,"operations":[{{"id":"{}","body":"{Q}"}}]}}"#,
            "0".repeat(64)
        );
        assert!(AllowList::parse(&bad_id)
            .unwrap_err()
            .contains("SHA-256 of its body"));
        let q = "{ me {";
        let no_parse = format!(
            r#"{{"format":"apollo-persisted-query-manifest","version":1,"operations":[{{"id":"{}","body":"{q}"}}]}}"#,
            hex(&sha256(q))
        );
        assert!(AllowList::parse(&no_parse)
            .unwrap_err()
            .contains("does not parse"));
        assert!(AllowList::parse("[]").unwrap_err().contains("manifest"));
    }
}
