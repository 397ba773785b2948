//! Raw SQL, for the few statements SeaORM's builder cannot express well
//! (windowed pages, unions). Placeholders are `$1`, `$2`...: both PostgreSQL
//! and SQLite accept them.

use sea_orm::{ConnectionTrait, Statement, Value};

/// A statement under construction: SQL text and its bound values.
pub(crate) struct Sql {
    text: String,
    values: Vec<Value>,
}

impl Sql {
    pub(crate) fn new() -> Self {
        Self {
            text: String::with_capacity(1024),
            values: Vec::new(),
        }
    }

    /// Binds a value and returns its placeholder.
    pub(crate) fn bind(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        format!("${}", self.values.len())
    }

    pub(crate) fn push(&mut self, s: &str) {
        self.text.push_str(s);
    }

    pub(crate) fn statement<C: ConnectionTrait>(self, db: &C) -> Statement {
        Statement::from_sql_and_values(db.get_database_backend(), self.text, self.values)
    }
}
