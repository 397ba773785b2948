//! Raw SQL, for the few statements SeaORM's builder cannot express well
//! (windowed pages, unions). Placeholders are `$1`, `$2`...: both PostgreSQL
//! and SQLite accept them.
//!
//! Lists of ids are one array parameter on PostgreSQL (`id = ANY($1)`), so a
//! statement's text does not depend on how many ids it is given: the server
//! plans it once per connection, and the driver's prepared-statement cache
//! holds one entry instead of one per list length. SQLite has no arrays and
//! gets `id IN ($1, $2, ...)`.

use sea_orm::sea_query::{ArrayType, Expr};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseBackend, Statement, Value};

/// `column IN ids`, in the form that suits the connection's engine (see the
/// module docs).
pub(crate) fn id_in<C: ConnectionTrait, Col: ColumnTrait>(
    db: &C,
    column: Col,
    ids: &[i64],
) -> Expr {
    match db.get_database_backend() {
        DatabaseBackend::Postgres if !ids.is_empty() => column.eq_any(ids.iter().copied()),
        _ => column.is_in(ids.iter().copied()),
    }
}

/// A statement under construction: SQL text and its bound values.
pub(crate) struct Sql {
    backend: DatabaseBackend,
    text: String,
    values: Vec<Value>,
}

impl Sql {
    /// An empty statement for the engine behind `db`.
    pub(crate) fn new<C: ConnectionTrait>(db: &C) -> Self {
        Self {
            backend: db.get_database_backend(),
            text: String::with_capacity(1024),
            values: Vec::new(),
        }
    }

    /// Binds `ids` and returns the condition `column IN ids` (see the module
    /// docs). An empty list matches nothing.
    pub(crate) fn bind_ids(&mut self, column: &str, ids: &[i64]) -> String {
        if ids.is_empty() {
            return "FALSE".to_owned();
        }
        if self.backend == DatabaseBackend::Postgres {
            let array = ids.iter().map(|id| Value::BigInt(Some(*id))).collect();
            let p = self.bind(Value::Array(ArrayType::BigInt, Some(Box::new(array))));
            return format!("{column} = ANY({p})");
        }
        let list = ids
            .iter()
            .map(|id| self.bind(*id))
            .collect::<Vec<_>>()
            .join(", ");
        format!("{column} IN ({list})")
    }

    /// Binds a value and returns its placeholder.
    pub(crate) fn bind(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        format!("${}", self.values.len())
    }

    /// The engine the statement is for.
    pub(crate) fn backend(&self) -> DatabaseBackend {
        self.backend
    }

    pub(crate) fn push(&mut self, s: &str) {
        self.text.push_str(s);
    }

    pub(crate) fn statement(self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text, self.values)
    }
}
