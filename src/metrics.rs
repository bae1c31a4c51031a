//! Prometheus metrics: requests by route and status, a latency histogram,
//! the database pool's connections in use and idle, background jobs by
//! state and their durations, and storage errors.

use std::fmt::Write as _;
use std::time::Duration;

use axum::extract::MatchedPath;
use axum::http::{Method, StatusCode};
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use sea_orm::DatabaseConnection;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: MethodLabel,
    route: RouteLabel,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: MethodLabel,
    route: RouteLabel,
}

/// A request's method as a label, without copying it per request.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct MethodLabel(Method);

impl EncodeLabelValue for MethodLabel {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> std::fmt::Result {
        encoder.write_str(self.0.as_str())
    }
}

/// The route template a request matched (`unmatched` for none), shared
/// with the router rather than copied per request.
#[derive(Clone, Debug)]
struct RouteLabel(Option<MatchedPath>);

impl RouteLabel {
    fn as_str(&self) -> &str {
        self.0.as_ref().map_or("unmatched", MatchedPath::as_str)
    }
}

impl PartialEq for RouteLabel {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for RouteLabel {}

impl std::hash::Hash for RouteLabel {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl EncodeLabelValue for RouteLabel {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> std::fmt::Result {
        encoder.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobLabels {
    kind: String,
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    kind: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation: String,
}

pub struct Metrics {
    jobs: Family<JobLabels, Gauge>,
    job_seconds: Family<OutcomeLabels, Histogram>,
    storage_errors: Family<OperationLabels, Counter>,
    registry: Registry,
    db_statements: Counter,
    db_statement_seconds: Histogram,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    pool_in_use: Gauge,
    pool_idle: Gauge,
    database_up: Gauge,
}

fn latency_histogram() -> Histogram {
    // 1 ms .. ~16 s
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

fn job_histogram() -> Histogram {
    // 10 ms .. ~5.5 min
    Histogram::new(exponential_buckets(0.01, 2.0, 16))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("gemba");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(
            latency_histogram as fn() -> Histogram,
        );
        let db_statements = Counter::default();
        let db_statement_seconds = Histogram::new(exponential_buckets(0.0001, 2.0, 16));
        registry.register(
            "db_statements",
            "Calls to the database (SQLite takes a transaction's writes in one)",
            db_statements.clone(),
        );
        registry.register(
            "db_statement_duration_seconds",
            "Time SQL statements took",
            db_statement_seconds.clone(),
        );
        let pool_in_use = Gauge::default();
        let pool_idle = Gauge::default();
        registry.register("http_requests", "HTTP requests answered", requests.clone());
        registry.register(
            "http_request_duration_seconds",
            "Time to answer HTTP requests",
            latency.clone(),
        );
        registry.register(
            "db_pool_connections_in_use",
            "Database connections checked out of the pool",
            pool_in_use.clone(),
        );
        registry.register(
            "db_pool_connections_idle",
            "Idle database connections in the pool",
            pool_idle.clone(),
        );
        let database_up = Gauge::default();
        registry.register(
            "database_up",
            "1 while the database answers the watcher's probe, 0 while it is away",
            database_up.clone(),
        );
        let jobs = Family::<JobLabels, Gauge>::default();
        let job_seconds = Family::<OutcomeLabels, Histogram>::new_with_constructor(
            job_histogram as fn() -> Histogram,
        );
        let storage_errors = Family::<OperationLabels, Counter>::default();
        registry.register("jobs", "Background jobs by kind and state", jobs.clone());
        registry.register(
            "job_duration_seconds",
            "Time background jobs took, by kind and outcome",
            job_seconds.clone(),
        );
        registry.register(
            "storage_errors",
            "Object storage operations that failed",
            storage_errors.clone(),
        );
        Self {
            jobs,
            job_seconds,
            storage_errors,
            registry,
            db_statements,
            db_statement_seconds,
            requests,
            latency,
            pool_in_use,
            pool_idle,
            database_up,
        }
    }
}

impl Metrics {
    /// Called by the database layer after every SQL statement.
    pub fn observe_statement(&self, elapsed: std::time::Duration) {
        self.db_statements.inc();
        self.db_statement_seconds.observe(elapsed.as_secs_f64());
    }

    /// A storage operation failed.
    pub fn storage_error(&self, operation: &str) {
        self.storage_errors
            .get_or_create(&OperationLabels {
                operation: operation.to_owned(),
            })
            .inc();
    }

    /// A job attempt ended (`succeeded`, `retried` or `failed`).
    pub fn job_finished(&self, kind: &str, outcome: &str, elapsed: std::time::Duration) {
        self.job_seconds
            .get_or_create(&OutcomeLabels {
                kind: kind.to_owned(),
                outcome: outcome.to_owned(),
            })
            .observe(elapsed.as_secs_f64());
    }

    /// The jobs in the database by kind and state, read at scrape time.
    pub fn set_job_counts(&self, counts: &[(String, String, i64)]) {
        self.jobs.clear();
        for (kind, state, n) in counts {
            self.jobs
                .get_or_create(&JobLabels {
                    kind: kind.clone(),
                    state: state.clone(),
                })
                .set(*n);
        }
    }

    /// SQL statements executed so far by this process.
    pub fn db_statements(&self) -> u64 {
        self.db_statements.get()
    }

    /// The text exposition, with the pool and database gauges read now.
    pub fn render(&self, db: &DatabaseConnection, database_up: bool) -> String {
        self.database_up.set(i64::from(database_up));
        let (size, idle) = pool_stats(db);
        self.pool_in_use.set(i64::from(size.saturating_sub(idle)));
        self.pool_idle.set(i64::from(idle));
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

fn pool_stats(db: &DatabaseConnection) -> (u32, u32) {
    match db.get_database_backend() {
        sea_orm::DatabaseBackend::Sqlite => {
            let p = db.get_sqlite_connection_pool();
            (p.size(), p.num_idle() as u32)
        }
        sea_orm::DatabaseBackend::Postgres => {
            let p = db.get_postgres_connection_pool();
            (p.size(), p.num_idle() as u32)
        }
        _ => (0, 0),
    }
}

impl Metrics {
    /// Counts an answered request under its route template, with the time
    /// it took.
    pub fn observe_request(
        &self,
        method: Method,
        route: Option<MatchedPath>,
        status: StatusCode,
        elapsed: Duration,
    ) {
        let route = RouteLabels {
            method: MethodLabel(method),
            route: RouteLabel(route),
        };
        self.latency
            .get_or_create(&route)
            .observe(elapsed.as_secs_f64());
        self.requests
            .get_or_create(&RequestLabels {
                method: route.method,
                route: route.route,
                status: status.as_u16(),
            })
            .inc();
    }
}
