//! Relay pagination: opaque cursors and the window a page request asks for.
//!
//! Every list is ordered by a row id (entity id, relation id, or for
//! `Entity.related` the first relation id to each related entity), so a cursor
//! is that id and pages are keyset ranges: stable under concurrent inserts and
//! cheap at any depth. A relation list with an `orderBy` is ordered by its
//! sort key and then the row id; its cursors hold both (and the order they
//! belong to), so a page starts right after the row the cursor was taken
//! from even when that row has changed or gone since.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::domain::read::{OrderTerm, SortKind, order_signature, sort_parts};
use crate::error::{AppError, AppResult};

/// A position in a list: the sort key of one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cursor(pub i64);

impl Cursor {
    /// The opaque string form.
    pub fn encode(self) -> String {
        URL_SAFE_NO_PAD.encode(format!("cursor:{}", self.0))
    }

    /// Parses a cursor; `BAD_USER_INPUT` when it is not one of ours.
    pub fn decode(raw: &str) -> AppResult<Self> {
        let malformed = || AppError::bad_input(format!("malformed cursor {raw:?}"));
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| malformed())?;
        let text = String::from_utf8(bytes).map_err(|_| malformed())?;
        let key = text.strip_prefix("cursor:").ok_or_else(malformed)?;
        key.parse::<i64>().map(Cursor).map_err(|_| malformed())
    }

    /// The cursor of row `id` with sort key `sort` in a list ordered by
    /// `order`: the id alone for a list by id.
    pub fn keyed(order: &[OrderTerm], sort: &SortKey, id: i64) -> String {
        if order.is_empty() {
            return Cursor(id).encode();
        }
        let values: Vec<serde_json::Value> = sort
            .0
            .iter()
            .map(|v| match v {
                SortValue::Int(n) => serde_json::Value::from(*n),
                SortValue::Text(t) => serde_json::Value::from(t.as_str()),
                SortValue::Time(t) => {
                    serde_json::Value::from(t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
                }
            })
            .collect();
        let body = serde_json::json!([order_signature(order), id, values]);
        URL_SAFE_NO_PAD.encode(format!("order:{body}"))
    }

    /// Parses a cursor of a list ordered by `order`: the row id and its
    /// sort key. `BAD_USER_INPUT` when it is not one of ours, or was taken
    /// from a list in another order.
    pub fn decode_keyed(raw: &str, order: &[OrderTerm]) -> AppResult<(i64, SortKey)> {
        if order.is_empty() {
            return Ok((Self::decode(raw)?.0, SortKey::default()));
        }
        let malformed = || AppError::bad_input(format!("malformed cursor {raw:?}"));
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| malformed())?;
        let text = String::from_utf8(bytes).map_err(|_| malformed())?;
        let Some(body) = text.strip_prefix("order:") else {
            return Err(AppError::bad_input(format!(
                "cursor {raw:?} is not from a list in this order ({})",
                order_signature(order)
            )));
        };
        let (sig, id, values): (String, i64, Vec<serde_json::Value>) =
            serde_json::from_str(body).map_err(|_| malformed())?;
        if sig != order_signature(order) {
            return Err(AppError::bad_input(format!(
                "cursor {raw:?} is from a list in another order ({sig}, not {})",
                order_signature(order)
            )));
        }
        let parts = sort_parts(order);
        if parts.len() != values.len() {
            return Err(malformed());
        }
        let key = parts
            .iter()
            .zip(values)
            .map(|((part, _), v)| match (part.kind(), v) {
                (SortKind::Int, serde_json::Value::Number(n)) => n.as_i64().map(SortValue::Int),
                (SortKind::Text, serde_json::Value::String(s)) => Some(SortValue::Text(s)),
                (SortKind::Time, serde_json::Value::String(s)) => {
                    chrono::DateTime::parse_from_rfc3339(&s)
                        .ok()
                        .map(|t| SortValue::Time(t.with_timezone(&chrono::Utc)))
                }
                _ => None,
            })
            .collect::<Option<Vec<_>>>()
            .ok_or_else(malformed)?;
        Ok((id, SortKey(key.into())))
    }
}

/// One value of a sort key (see [`crate::domain::SortPart`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SortValue {
    /// An integer column.
    Int(i64),
    /// A text column.
    Text(String),
    /// A time column.
    Time(chrono::DateTime<chrono::Utc>),
}

/// A row's sort key in an ordered list: one value per sort column (empty
/// in a list by id).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct SortKey(pub Box<[SortValue]>);

/// The pagination arguments of a connection field, as the client sent them.
#[derive(Debug, Clone, Default)]
pub struct PageArgs {
    /// At most this many rows from the start of the range.
    pub first: Option<i32>,
    /// Only rows after this cursor.
    pub after: Option<String>,
    /// At most this many rows from the end of the range.
    pub last: Option<i32>,
    /// Only rows before this cursor.
    pub before: Option<String>,
}

/// A validated page request: which keys, how many, from which end.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageWindow {
    /// Only keys greater than this (in an ordered list: rows after this
    /// row id with `after_key`).
    pub after: Option<i64>,
    /// Only keys less than this (in an ordered list: with `before_key`).
    pub before: Option<i64>,
    /// The sort key of the `after` row in an ordered list (empty otherwise).
    pub after_key: SortKey,
    /// The sort key of the `before` row in an ordered list.
    pub before_key: SortKey,
    /// How many rows the page holds at most.
    pub limit: u64,
    /// Take the rows from the end of the range (`last`) instead of the start.
    pub from_end: bool,
}

impl PageWindow {
    /// The first `limit` rows, from the start.
    pub fn first(limit: u64) -> Self {
        Self {
            after: None,
            before: None,
            after_key: SortKey::default(),
            before_key: SortKey::default(),
            limit,
            from_end: false,
        }
    }
}

impl PageArgs {
    /// Validates the arguments. Without `first` or `last` a page holds
    /// `default_size` rows; neither may exceed `max_size`. Giving both `first`
    /// and `last` is refused, as the Relay specification discourages it and
    /// its meaning surprises.
    pub fn window(&self, default_size: u64, max_size: u64) -> AppResult<PageWindow> {
        self.window_in(default_size, max_size, &[])
    }

    /// As [`PageArgs::window`], for a list ordered by `order`: its cursors
    /// must be of that order (see [`Cursor::decode_keyed`]).
    pub fn window_in(
        &self,
        default_size: u64,
        max_size: u64,
        order: &[OrderTerm],
    ) -> AppResult<PageWindow> {
        let size = |name: &str, n: i32| -> AppResult<u64> {
            if n < 0 {
                return Err(AppError::bad_input(format!("{name} must not be negative")));
            }
            let n = n as u64;
            if n > max_size {
                return Err(AppError::bad_input(format!(
                    "{name} must be at most {max_size}"
                )));
            }
            Ok(n)
        };
        let (limit, from_end) = match (self.first, self.last) {
            (Some(_), Some(_)) => {
                return Err(AppError::bad_input(
                    "pass either first (with after) or last (with before), not both",
                ));
            }
            (Some(n), None) => (size("first", n)?, false),
            (None, Some(n)) => (size("last", n)?, true),
            (None, None) => (default_size.min(max_size), false),
        };
        let decode = |raw: &Option<String>| {
            raw.as_deref()
                .map(|r| Cursor::decode_keyed(r, order))
                .transpose()
                .map(Option::unzip)
        };
        let (after, after_key) = decode(&self.after)?;
        let (before, before_key) = decode(&self.before)?;
        Ok(PageWindow {
            after,
            before,
            after_key: after_key.unwrap_or_default(),
            before_key: before_key.unwrap_or_default(),
            limit,
            from_end,
        })
    }
}

/// One page of rows, in list order, with what lies beyond it.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The rows, ascending by key.
    pub items: Vec<T>,
    /// More rows follow the last one (in the requested range).
    pub has_next: bool,
    /// More rows precede the first one (in the requested range).
    pub has_previous: bool,
    /// How many rows the whole list holds, when it was counted together with
    /// the page (the store does so when asked and no cursor is given).
    pub total: Option<u64>,
}

impl<T> Page<T> {
    /// A page with no rows and nothing beyond it.
    pub fn empty() -> Self {
        Page {
            items: Vec::new(),
            has_next: false,
            has_previous: false,
            total: None,
        }
    }

    /// Builds a page from rows fetched in window order (ascending keys for
    /// `first`, descending for `last`), at most `limit + 1` of them: the extra
    /// row only says that there is more.
    ///
    /// On forward pages `has_previous` is true when an `after` cursor was given
    /// (and symmetrically `has_next` on backward pages with `before`), as the
    /// Relay specification allows: the rows beyond a cursor are not read.
    pub fn from_window(mut rows: Vec<T>, window: &PageWindow) -> Self {
        let more = rows.len() as u64 > window.limit;
        rows.truncate(window.limit as usize);
        if window.from_end {
            rows.reverse();
            Page {
                items: rows,
                has_next: window.before.is_some(),
                has_previous: more,
                total: None,
            }
        } else {
            Page {
                items: rows,
                has_next: more,
                has_previous: window.after.is_some(),
                total: None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(first: Option<i32>, last: Option<i32>) -> PageArgs {
        PageArgs {
            first,
            last,
            ..Default::default()
        }
    }

    #[test]
    fn a_cursor_round_trips() {
        assert_eq!(Cursor::decode(&Cursor(7).encode()).unwrap(), Cursor(7));
    }

    #[test]
    fn malformed_cursors_are_bad_input() {
        for raw in ["", "x", "Y3Vyc29yOng", "Zm9vOjE"] {
            assert_eq!(Cursor::decode(raw).unwrap_err().code(), "BAD_USER_INPUT");
        }
    }

    #[test]
    fn first_and_last_together_are_refused() {
        assert!(args(Some(1), Some(1)).window(10, 100).is_err());
    }

    #[test]
    fn negative_or_oversized_pages_are_refused() {
        assert!(args(Some(-1), None).window(10, 100).is_err());
        assert!(args(None, Some(101)).window(10, 100).is_err());
        assert_eq!(args(Some(100), None).window(10, 100).unwrap().limit, 100);
    }

    #[test]
    fn without_first_or_last_the_default_size_applies() {
        let w = args(None, None).window(10, 100).unwrap();
        assert_eq!((w.limit, w.from_end), (10, false));
    }

    #[test]
    fn a_backward_window_is_reversed_into_list_order() {
        let w = args(None, Some(2)).window(10, 100).unwrap();
        let page = Page::from_window(vec![9, 8, 7], &w);
        assert_eq!(page.items, vec![8, 9]);
        assert!(page.has_previous);
        assert!(!page.has_next);
    }

    #[test]
    fn a_forward_window_reports_more_rows() {
        let w = args(Some(2), None).window(10, 100).unwrap();
        let page = Page::from_window(vec![1, 2, 3], &w);
        assert_eq!(page.items, vec![1, 2]);
        assert!(page.has_next);
        let page = Page::from_window(vec![1, 2], &w);
        assert!(!page.has_next);
    }
}
