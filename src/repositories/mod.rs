//! Every SeaORM query, one file per resource; entity <-> domain conversion.
//! Functions take `&impl ConnectionTrait` (or `&impl Conn` where they read
//! through `fetch`) so a service passes the pool or its transaction, and
//! return the ORM's `DbErr`.

pub mod attachments;
pub mod audit;
pub mod equipment;
pub mod login_throttles;
pub mod plans;
pub mod refresh_tokens;
pub mod reports;
pub mod results;
pub mod schedules;
pub mod server_secrets;
pub mod sites;
pub mod stats;
pub mod users;

use sea_orm::sqlx::{self, Postgres, Sqlite};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseConnectionType, DatabaseTransaction, DbBackend,
    DbErr, QueryResult, QueryTrait, Statement,
};

/// What the repositories read through: the pool or a service's transaction.
pub trait Conn: ConnectionTrait + Sync {
    /// The pool, when this is it.
    fn pool(&self) -> Option<&DatabaseConnection>;
}

impl Conn for DatabaseConnection {
    fn pool(&self) -> Option<&DatabaseConnection> {
        Some(self)
    }
}

impl Conn for DatabaseTransaction {
    fn pool(&self) -> Option<&DatabaseConnection> {
        None
    }
}

/// The rows of a statement. On the pool it runs on SeaORM's sqlx driver for
/// the backend (the same code `ConnectionTrait` ends in, metrics included),
/// without the trait's boxed future of ~15 KB per statement, which was the
/// largest allocation and copy of the hot reads (bench/RESULTS.md).
pub(crate) async fn rows(conn: &impl Conn, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
    match conn.pool().map(|db| &db.inner) {
        Some(DatabaseConnectionType::SqlxPostgresPoolConnection(pool)) => {
            pool.query_all(stmt).await
        }
        Some(DatabaseConnectionType::SqlxSqlitePoolConnection(pool)) => pool.query_all(stmt).await,
        _ => conn.query_all_raw(stmt).await,
    }
}

/// A statement of fixed shape, rendered to SQL once per backend: each use
/// binds its own values into the kept text instead of building the query
/// again (the select's column list and quoted names were the hot reads'
/// most frequent allocations).
pub(crate) struct Shaped {
    /// PostgreSQL's and SQLite's.
    sql: [std::sync::OnceLock<String>; 2],
}

impl Shaped {
    pub(crate) const fn new() -> Self {
        Self {
            sql: [const { std::sync::OnceLock::new() }; 2],
        }
    }

    /// The statement for `values`. `build` makes the query for them; it
    /// runs on the first use for each backend, and on every use in debug
    /// builds, which check that the query binds exactly `values`, in order.
    pub(crate) fn statement<Q: QueryTrait>(
        &self,
        backend: DbBackend,
        build: impl Fn() -> Q,
        values: Vec<sea_orm::Value>,
    ) -> Statement {
        let slot = match backend {
            DbBackend::Postgres => &self.sql[0],
            DbBackend::Sqlite => &self.sql[1],
            _ => return build().build(backend),
        };
        let sql = slot.get_or_init(|| build().build(backend).sql);
        if cfg!(debug_assertions) {
            let fresh = build().build(backend);
            debug_assert_eq!(&fresh.sql, sql, "the statement changed its shape");
            let bound = fresh.values.map(|v| v.0).unwrap_or_default();
            debug_assert_eq!(bound, values, "{sql}");
        }
        Statement::from_sql_and_values(backend, sql.as_str(), values)
    }
}

/// Writes gathered by the repositories and run together by the service, in
/// the transaction that decided them, in the order they were added.
///
/// On SQLite they go to the connection's thread as one multi-statement
/// call (its driver binds each statement's `?` from the shared values in
/// order), so a transaction of six writes makes one round trip instead of
/// six. Every round trip hands the request's task and SQLite's thread to
/// each other, and while a transaction holds SQLite's one writer that is
/// time no other write can use: the submit's transaction went from nine
/// round trips to four (bench/RESULTS.md). On PostgreSQL, whose extended
/// protocol carries one statement per message, they run one after another.
/// Either way the first failing statement fails the run, and the caller's
/// transaction, which it drops, rolls back the ones before.
pub struct Writes {
    backend: DbBackend,
    stmts: Vec<Statement>,
}

impl Writes {
    /// Writes for `conn`'s backend.
    pub fn new(conn: &impl ConnectionTrait) -> Self {
        Self {
            backend: conn.get_database_backend(),
            stmts: Vec::new(),
        }
    }

    pub fn push(&mut self, q: &impl sea_orm::StatementBuilder) {
        self.stmts.push(self.backend.build(q));
    }

    /// Runs with `conn` the writes `add` gathers, for a change that has no
    /// other writes to join.
    pub async fn run_now(
        conn: &impl ConnectionTrait,
        add: impl FnOnce(&mut Writes),
    ) -> Result<(), DbErr> {
        let mut writes = Self::new(conn);
        add(&mut writes);
        writes.run(conn).await
    }

    /// Runs the writes with `conn` (the caller's transaction).
    pub async fn run(self, conn: &impl ConnectionTrait) -> Result<(), DbErr> {
        if self.backend != DbBackend::Sqlite || self.stmts.len() < 2 {
            for stmt in self.stmts {
                conn.execute_raw(stmt).await?;
            }
            return Ok(());
        }
        let mut sql = String::new();
        let mut values = Vec::new();
        for stmt in self.stmts {
            sql.push_str(&stmt.sql);
            sql.push_str(";\n");
            values.extend(stmt.values.map(|v| v.0).unwrap_or_default());
        }
        conn.execute_raw(Statement::from_sql_and_values(self.backend, sql, values))
            .await?;
        Ok(())
    }
}

/// A query's statement for the connection's backend.
pub(crate) fn statement(conn: &impl Conn, query: &impl QueryTrait) -> Statement {
    query.build(conn.get_database_backend())
}

/// A value both backends' drivers decode from a column of a row borrowed
/// for `'r` (`&'r str` borrows the row's bytes).
pub(crate) trait Col<'r>:
    sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres> + sqlx::Decode<'r, Sqlite> + sqlx::Type<Sqlite>
{
}

impl<'r, T> Col<'r> for T where
    T: sqlx::Decode<'r, Postgres>
        + sqlx::Type<Postgres>
        + sqlx::Decode<'r, Sqlite>
        + sqlx::Type<Sqlite>
{
}

/// The columns of one row, read in the order the statement selects them,
/// straight from the driver's row: no lookup of each column by name, and a
/// NULL is a `None` rather than an error whose message is formatted and
/// dropped (SeaORM's `FromQueryResult` did both for every column of every
/// row, a fifth of `GET /schedules`; bench/RESULTS.md). Debug builds (the
/// tests) check each column's name and the driver's type compatibility;
/// release builds trust the statement the repository wrote.
pub(crate) struct Cols<'r> {
    row: &'r QueryResult,
    at: usize,
}

impl<'r> Cols<'r> {
    /// The next column, which the statement names `name`.
    pub(crate) fn next<T: Col<'r>>(&mut self, name: &str) -> Result<T, DbErr> {
        let i = self.at;
        self.at += 1;
        if let Some(row) = self.row.try_as_pg_row() {
            column(row, i, name)
        } else if let Some(row) = self.row.try_as_sqlite_row() {
            column(row, i, name)
        } else {
            Err(DbErr::Custom(format!(
                "{name}: not a PostgreSQL or SQLite row"
            )))
        }
    }

    /// The row of another table joined with `LEFT JOIN`, whose `columns`
    /// columns come next, its key (`id`) first: read by `read`, or `None`
    /// (its columns passed over) when no row matched.
    pub(crate) fn joined<T>(
        &mut self,
        columns: usize,
        read: impl FnOnce(&mut Self) -> Result<T, DbErr>,
    ) -> Result<Option<T>, DbErr> {
        let at = self.at;
        if self.next::<Option<i64>>("id")?.is_none() {
            self.at = at + columns;
            return Ok(None);
        }
        self.at = at;
        read(self).map(Some)
    }
}

fn column<'r, R, T>(row: &'r R, i: usize, name: &str) -> Result<T, DbErr>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    T: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let value = if cfg!(debug_assertions) {
        use sqlx::Column;
        let named = row.columns().get(i).map(|c| c.name());
        debug_assert_eq!(named, Some(name), "column {i} of the statement");
        row.try_get(i)
    } else {
        row.try_get_unchecked(i)
    };
    value.map_err(|e| DbErr::Type(format!("{name}: {e}")))
}

/// A statement's rows, each read by `read` through [`Cols`].
pub(crate) async fn read_rows<M>(
    conn: &impl Conn,
    stmt: Statement,
    read: impl for<'r> Fn(&mut Cols<'r>) -> Result<M, DbErr>,
) -> Result<Vec<M>, DbErr> {
    rows(conn, stmt)
        .await?
        .iter()
        .map(|row| read(&mut Cols { row, at: 0 }))
        .collect()
}

/// A JSON column's value from a domain value.
pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> Result<serde_json::Value, sea_orm::DbErr> {
    serde_json::to_value(v).map_err(json_err)
}

/// A JSON column read straight into its domain type: sqlx hands the bytes to
/// serde, with no `serde_json::Value` tree built and walked in between.
#[derive(serde::Deserialize)]
#[serde(transparent)]
pub(crate) struct JsonColumn<T>(pub T);

impl<T: serde::de::DeserializeOwned> sea_orm::TryGetableFromJson for JsonColumn<T> {}

/// A JSON column that does not hold what the domain expects.
pub(crate) fn json_err(e: serde_json::Error) -> sea_orm::DbErr {
    sea_orm::DbErr::Json(e.to_string())
}

/// A stored enum name, read strictly: an unknown one is a corrupt row (an
/// error, answered 500 with the cause in the log), never a default.
pub(crate) fn stored<T>(column: &str, raw: &str) -> Result<T, sea_orm::DbErr>
where
    T: std::str::FromStr<Err = crate::domain::field::UnknownValue>,
{
    raw.parse()
        .map_err(|e| sea_orm::DbErr::Type(format!("{column}: {e}")))
}

/// A stored value of a parsed domain type, read strictly.
pub(crate) fn stored_parsed<T: crate::domain::field::Parse>(
    column: &str,
    raw: T::Raw,
) -> Result<T, sea_orm::DbErr> {
    T::parse(raw).map_err(|r| sea_orm::DbErr::Type(format!("{column}: {}", r.message)))
}

/// One keyset page of `q` by id: the rows after `page.after` in `order`
/// (ascending: oldest first; descending: newest first), one more than the
/// limit so `PageRequest::page` can tell whether another page follows.
pub(crate) fn page_by_id<E: sea_orm::EntityTrait>(
    q: sea_orm::Select<E>,
    id: E::Column,
    order: sea_orm::Order,
    page: &crate::domain::page::PageRequest<i64>,
) -> sea_orm::Select<E> {
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
    let q = match (page.after, &order) {
        (None, _) => q,
        (Some(after), sea_orm::Order::Desc) => q.filter(id.lt(after)),
        (Some(after), _) => q.filter(id.gt(after)),
    };
    q.order_by(id, order).limit(page.fetch())
}

/// Applies the changes of `Option` fields to an active model.
macro_rules! set_some {
    ($am:expr, $( $field:ident => $value:expr ),+ $(,)?) => {
        $( if let Some(v) = $value { $am.$field = sea_orm::ActiveValue::Set(v); } )+
    };
}
pub(crate) use set_some;
