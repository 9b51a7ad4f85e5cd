//! Relay pagination arguments (`first`/`after`, `last`/`before`), checked once for every
//! connection, and `totalCount`.

use async_graphql::SimpleObject;

use super::error::to_gql;
use crate::app::AppError;
use crate::domain::paging::{Take, Window};

/// What a connection's page arguments say: which end, how many, and the cursors.
pub struct PageArgs {
    pub take: Take,
    pub after: Option<String>,
    pub before: Option<String>,
}

impl PageArgs {
    /// Checks `first` or `last` (one of them; `first` = `default` when neither) against
    /// 1..=`max`.
    pub fn new(
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        default: usize,
        max: usize,
    ) -> async_graphql::Result<PageArgs> {
        let size = |field: &str, n: i32| {
            if (1..=max as i32).contains(&n) {
                Ok(n as usize)
            } else {
                Err(to_gql(AppError::invalid(
                    field,
                    format!("must be between 1 and {max}, got {n}"),
                )))
            }
        };
        let take = match (first, last) {
            (Some(_), Some(_)) => {
                return Err(to_gql(AppError::invalid(
                    "last",
                    "give `first` (with `after`) or `last` (with `before`), not both",
                )))
            }
            (Some(n), None) => Take::First(size("first", n)?),
            (None, Some(n)) => Take::Last(size("last", n)?),
            (None, None) => Take::First(default),
        };
        Ok(PageArgs {
            take,
            after,
            before,
        })
    }

    /// The most items the page holds.
    pub fn size(&self) -> usize {
        match self.take {
            Take::First(n) | Take::Last(n) => n,
        }
    }

    /// The window over positions, the cursors being positions (`offset` cursors).
    pub fn by_position(&self) -> async_graphql::Result<Window> {
        let parse = |field: &str, c: &Option<String>| {
            c.as_deref()
                .map(|c| {
                    c.parse::<usize>().map_err(|_| {
                        to_gql(AppError::invalid(
                            field,
                            "not a cursor returned by this list",
                        ))
                    })
                })
                .transpose()
        };
        Ok(Window {
            after: parse("after", &self.after)?,
            before: parse("before", &self.before)?,
            take: self.take,
        })
    }

    /// The window over a list in key order, the cursors being keys that `valid` accepts
    /// (a key need not be in the list: the page starts after it, or ends before it).
    pub fn by_key(
        &self,
        keys: &[&str],
        valid: impl Fn(&str) -> bool,
    ) -> async_graphql::Result<Window> {
        let key = |field: &str, c: &Option<String>| match c.as_deref() {
            Some(k) if !valid(k) => Err(to_gql(AppError::invalid(
                field,
                "not a cursor returned by this list",
            ))),
            other => Ok(other.map(str::to_string)),
        };
        let after = key("after", &self.after)?.and_then(|k| {
            let start = keys.partition_point(|x| *x <= k.as_str());
            start.checked_sub(1)
        });
        let before =
            key("before", &self.before)?.map(|k| keys.partition_point(|x| *x < k.as_str()));
        Ok(Window {
            after,
            before,
            take: self.take,
        })
    }
}

/// The total a connection's list holds, whatever the page.
#[derive(SimpleObject)]
pub struct Total {
    /// Items in the whole list (all pages).
    pub total_count: i32,
}
