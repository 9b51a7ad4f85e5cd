//! Relay pagination over an ordered list, by position: the items strictly between the
//! `after` and `before` positions, the first or the last `n` of them.

/// Which end of the window a page is taken from, and how many items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Take {
    First(usize),
    Last(usize),
}

/// A page asked of a list: positions (0-based) it must lie strictly between, and its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub after: Option<usize>,
    pub before: Option<usize>,
    pub take: Take,
}

/// The page of a list of `len` items: positions `lo..hi`, and whether items lie before and
/// after it (within the list, whatever the window's bounds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    pub lo: usize,
    pub hi: usize,
    pub has_previous: bool,
    pub has_next: bool,
}

impl Window {
    /// The first `n` items.
    pub fn first(n: usize) -> Window {
        Window {
            after: None,
            before: None,
            take: Take::First(n),
        }
    }

    /// The page of a list of `len` items.
    pub fn bounds(&self, len: usize) -> Bounds {
        let start = self.after.map_or(0, |a| a.saturating_add(1)).min(len);
        let end = self.before.map_or(len, |b| b.min(len)).max(start);
        let (lo, hi) = match self.take {
            Take::First(n) => (start, end.min(start.saturating_add(n))),
            Take::Last(n) => (end.saturating_sub(n).max(start), end),
        };
        Bounds {
            lo,
            hi,
            has_previous: lo > 0,
            has_next: hi < len,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(
        after: Option<usize>,
        before: Option<usize>,
        take: Take,
        len: usize,
    ) -> (usize, usize, bool, bool) {
        let b = Window {
            after,
            before,
            take,
        }
        .bounds(len);
        (b.lo, b.hi, b.has_previous, b.has_next)
    }

    #[test]
    fn forward_and_backward_pages() {
        assert_eq!(page(None, None, Take::First(3), 10), (0, 3, false, true));
        assert_eq!(page(Some(2), None, Take::First(3), 10), (3, 6, true, true));
        assert_eq!(
            page(Some(8), None, Take::First(3), 10),
            (9, 10, true, false)
        );
        assert_eq!(page(None, None, Take::Last(3), 10), (7, 10, true, false));
        assert_eq!(page(None, Some(7), Take::Last(3), 10), (4, 7, true, true));
        assert_eq!(page(None, Some(2), Take::Last(3), 10), (0, 2, false, true));
        // Both bounds: the items between them.
        assert_eq!(
            page(Some(1), Some(5), Take::First(10), 10),
            (2, 5, true, true)
        );
        assert_eq!(
            page(Some(1), Some(5), Take::Last(2), 10),
            (3, 5, true, true)
        );
        // Bounds past the end, crossed bounds, an empty list.
        assert_eq!(
            page(Some(20), None, Take::First(3), 10),
            (10, 10, true, false)
        );
        assert_eq!(
            page(Some(5), Some(3), Take::First(3), 10),
            (6, 6, true, true)
        );
        assert_eq!(page(None, None, Take::Last(3), 0), (0, 0, false, false));
    }

    #[test]
    fn walking_backward_visits_every_item_once() {
        let len = 23;
        let mut seen = Vec::new();
        let mut before = None;
        loop {
            let b = Window {
                after: None,
                before,
                take: Take::Last(5),
            }
            .bounds(len);
            seen.splice(0..0, b.lo..b.hi);
            if !b.has_previous {
                break;
            }
            before = Some(b.lo);
        }
        assert_eq!(seen, (0..len).collect::<Vec<_>>());
    }
}
