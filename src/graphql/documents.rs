//! Parsed documents kept for reuse: clients send the same few operations again and again
//! with other variables, and parsing one (async-graphql's pest grammar) cost more CPU than
//! answering a memoised ranking. Validation still runs on every request: it depends on
//! the variables.

use std::num::NonZeroUsize;
use std::sync::{Mutex, PoisonError};

use async_graphql::parser::types::ExecutableDocument;
use async_graphql::Request;
use lru::LruCache;

/// Documents kept, at most (the least recently used go first).
const MAX_DOCUMENTS: usize = 256;
/// Longest document kept (a longer one is parsed every time): with [`MAX_DOCUMENTS`], a
/// few MiB of parsed documents at worst.
const MAX_DOCUMENT_BYTES: usize = 4 * 1024;

/// The parsed documents of recent requests, by their text.
pub struct ParsedDocuments {
    docs: Mutex<LruCache<String, ExecutableDocument>>,
}

impl Default for ParsedDocuments {
    fn default() -> Self {
        ParsedDocuments {
            docs: Mutex::new(LruCache::new(
                NonZeroUsize::new(MAX_DOCUMENTS).unwrap_or(NonZeroUsize::MIN),
            )),
        }
    }
}

impl ParsedDocuments {
    /// Gives `request` its parsed document: a copy of the one kept for its text, or its own,
    /// parsed now and kept. A document that does not parse is left to the execution, which
    /// reports it.
    pub fn prepare(&self, request: &mut Request) {
        if request.query.len() > MAX_DOCUMENT_BYTES {
            return;
        }
        let kept = self
            .docs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(request.query.as_str())
            .cloned();
        match kept {
            // The execution edits its copy (skipped selections), never the kept one.
            Some(doc) => request.set_parsed_query(doc),
            None => {
                if let Ok(doc) = request.parsed_query() {
                    let doc = doc.clone();
                    self.docs
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .put(request.query.clone(), doc);
                }
            }
        }
    }

    /// Documents kept.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.docs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(query: &str) -> Request {
        Request::new(query)
    }

    #[test]
    fn a_document_is_parsed_once_and_given_again() {
        let docs = ParsedDocuments::default();
        let mut first = request("query A($x: Boolean!) { me @skip(if: $x) { sub } }");
        docs.prepare(&mut first);
        assert_eq!(docs.len(), 1);
        let mut again = request("query A($x: Boolean!) { me @skip(if: $x) { sub } }");
        docs.prepare(&mut again);
        assert_eq!(docs.len(), 1);
        let (a, b) = (first.parsed_query().unwrap(), again.parsed_query().unwrap());
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
    }

    #[test]
    fn what_does_not_parse_or_is_too_long_is_not_kept() {
        let docs = ParsedDocuments::default();
        docs.prepare(&mut request("{ me { sub }"));
        let long = format!("{{ me {{ sub }} }}{}", " ".repeat(MAX_DOCUMENT_BYTES));
        let mut r = request(&long);
        docs.prepare(&mut r);
        assert_eq!(docs.len(), 0);
        // The long one still parses, when the execution asks.
        assert!(r.parsed_query().is_ok());
    }

    #[test]
    fn the_least_recently_used_go_first() {
        let docs = ParsedDocuments::default();
        for i in 0..MAX_DOCUMENTS + 10 {
            docs.prepare(&mut request(&format!("{{ a{i}: me {{ sub }} }}")));
        }
        assert_eq!(docs.len(), MAX_DOCUMENTS);
    }
}
