//! Relay connection pieces shared by every list.

use async_graphql::SimpleObject;

use crate::domain::Cursor;
use crate::domain::page::Page;

/// Where a page sits in its list (Relay `PageInfo`).
#[derive(SimpleObject, Clone, Debug)]
pub struct PageInfo {
    /// More items follow this page. Exact for `first` pages; for `last` pages,
    /// true when a `before` cursor was given.
    pub has_next_page: bool,
    /// More items precede this page. Exact for `last` pages; for `first`
    /// pages, true when an `after` cursor was given.
    pub has_previous_page: bool,
    /// Cursor of the first edge, to page backwards with `before`.
    pub start_cursor: Option<String>,
    /// Cursor of the last edge, to page forwards with `after`.
    pub end_cursor: Option<String>,
}

impl PageInfo {
    /// The page info of `page`, whose items sort by `key`.
    pub fn of<T>(page: &Page<T>, key: impl Fn(&T) -> i64) -> Self {
        Self::with_cursors(page, |t| Cursor(key(t)).encode())
    }

    /// The page info of `page`, whose items' cursors `cursor` gives.
    pub fn with_cursors<T>(page: &Page<T>, cursor: impl Fn(&T) -> String) -> Self {
        Self {
            has_next_page: page.has_next,
            has_previous_page: page.has_previous,
            start_cursor: page.items.first().map(&cursor),
            end_cursor: page.items.last().map(&cursor),
        }
    }
}
