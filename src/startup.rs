//! Building the application: database, state, middleware stack, listener;
//! and serving it until a shutdown signal, draining in-flight requests.

use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa_swagger_ui::SwaggerUi;

use crate::config::Settings;
use crate::domain::user::EmailPolicy;
use crate::metrics::Metrics;
use crate::routes::boundary::BoundaryLayer;
use crate::routes::finalize::not_found;
use crate::routes::limits::Limits;
use crate::security::{Passwords, Tokens, initial_secret};
use crate::state::AppState;
use crate::storage::Storage;
use crate::{db, shutdown, telemetry};

/// A built, bound, not yet serving gemba.
pub struct Application {
    listener: TcpListener,
    router: Router,
    /// Turned true at the shutdown signal; the router reads it.
    closing: watch::Sender<bool>,
    pub state: AppState,
}

impl Application {
    /// Connects to the database, migrates it, and binds the listener.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let state = build_state(settings).await?;
        let closing = watch::Sender::new(false);
        let router = router(state.clone(), closing.subscribe());
        let listener = TcpListener::bind(state.settings.bind)
            .await
            .with_context(|| format!("GEMBA_BIND: cannot listen on {}", state.settings.bind))?;
        Ok(Self {
            listener,
            router,
            closing,
            state,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or(self.state.settings.bind)
    }

    /// Serves until `shutdown` completes. Then new connections are refused,
    /// in-flight requests finish, and background work (scheduler, jobs)
    /// stops at its next safe point, all within the drain timeout; past it
    /// the process exits anyway (a cut job is taken over after its lease).
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let state = self.state;
        let (stop_tx, stop) = watch::channel(false);
        let scheduler = state.settings.scheduler_interval.map(|every| {
            crate::services::generation::spawn_scheduler(state.clone(), every, stop.clone())
        });
        let jobs = crate::jobs::spawn(state.clone());
        let (stop_watcher, watcher_stop) = watch::channel(false);
        let probe = db::connect_probe(&state.settings).await?;
        let watcher = state.db_gate.spawn_watcher(probe, watcher_stop);

        // At the signal: close the socket and end connections after their
        // answer; a moment later close the idle ones and drain.
        let drain = state.settings.drain_timeout;
        let closing_tx = self.closing;
        let signalled = closing_tx.subscribe();
        let (graceful_tx, mut graceful) = watch::channel(false);
        tokio::spawn(async move {
            shutdown.await;
            closing_tx.send_replace(true);
            tokio::time::sleep(shutdown::LAME_DUCK.min(drain / 2)).await;
            graceful_tx.send_replace(true);
        });
        let listener = shutdown::ClosingListener::new(self.listener, signalled.clone())
            .context("the listening socket")?
            .tap_io(|_| {});
        let serve = axum::serve(
            listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = graceful.wait_for(|s| *s).await;
        })
        .into_future();
        tokio::pin!(serve);
        let mut signalled = signalled;
        tokio::select! {
            served = &mut serve => served.context("serving HTTP")?,
            _ = signalled.wait_for(|s| *s) => {}
        }

        let started = std::time::Instant::now();
        let background = async {
            let _ = stop_tx.send(true);
            jobs.stop().await;
            if let Some(s) = scheduler {
                s.await.ok();
            }
        };
        let drained = tokio::time::timeout(drain, async {
            let (served, ()) = tokio::join!(&mut serve, background);
            served
        })
        .await;
        match drained {
            Ok(served) => {
                served.context("serving HTTP")?;
                tracing::info!(
                    drain_ms = started.elapsed().as_millis() as u64,
                    "drained: every in-flight request answered, background work stopped"
                );
            }
            Err(_) => tracing::warn!(
                drain_timeout_secs = drain.as_secs(),
                "drain timeout: exiting with requests or jobs still running"
            ),
        }
        let _ = stop_watcher.send(true);
        watcher.await.ok();
        state.writer.clone().close().await.ok();
        state.db.clone().close().await.ok();
        Ok(())
    }
}

/// Everything a handler needs, ready: database migrated, keys loaded.
pub async fn build_state(settings: Settings) -> anyhow::Result<AppState> {
    let mut db = db::connect(&settings).await?;
    db::migrate(&db).await?;
    let metrics = Arc::new(Metrics::default());
    let mut writer = db::connect_writer(&settings, &db).await?;
    for conn in [&mut db, &mut writer] {
        let observer = metrics.clone();
        conn.set_metric_callback(move |info| observer.observe_statement(info.elapsed));
    }
    // Every instance on one database signs with the same key: the
    // configured one, or the one kept in the database (made on first start).
    let secret = match &settings.jwt_secret {
        Some(s) => s.expose().as_bytes().to_vec(),
        None => {
            let candidate = initial_secret(&settings.data_dir)?;
            crate::repositories::server_secrets::get_or_insert(&db, "jwt", &candidate)
                .await
                .context("reading the token signing key")?
                .into_bytes()
        }
    };
    let storage = Storage::open(&settings.storage, metrics.clone())?;
    Ok(AppState::new(crate::state::Shared {
        db,
        writer,
        db_gate: crate::db_gate::DbGate::default(),
        passwords: Passwords::new(settings.hash_concurrency),
        tokens: Arc::new(Tokens::new(
            &secret,
            settings.access_token_ttl,
            settings.refresh_token_ttl,
        )),
        email_policy: Arc::new(EmailPolicy {
            allowed: settings.email_allowed_domains.clone(),
            denied: settings.email_denied_domains.clone(),
        }),
        metrics,
        storage,
        settings: Arc::new(settings),
    }))
}

/// The routes and the middleware stack, outermost first. `closing` turns
/// true when the server starts shutting down.
pub fn router(state: AppState, closing: watch::Receiver<bool>) -> Router {
    let settings = state.settings.clone();
    let (api, openapi) = crate::openapi::router_and_document();
    let request_id = HeaderName::from_static("x-request-id");
    let stack = ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(telemetry::request_span)
                .on_response(telemetry::on_response)
                .on_failure(()),
        )
        .layer(PropagateRequestIdLayer::new(request_id))
        .layer(cors(&settings))
        .layer(BoundaryLayer::new(
            Limits::from(settings.as_ref()),
            state.db_gate.clone(),
            state.metrics.clone(),
            closing,
        ))
        .layer(CatchPanicLayer::new())
        .layer(DefaultBodyLimit::disable());
    api.merge(SwaggerUi::new("/docs").url("/openapi.json", openapi))
        .fallback(not_found)
        .with_state(state)
        .layer(stack)
}

fn cors(settings: &Settings) -> CorsLayer {
    let origins: Vec<HeaderValue> = settings
        .cors_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            HeaderName::from_static("idempotency-key"),
            HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([
            header::LOCATION,
            header::ETAG,
            header::RETRY_AFTER,
            HeaderName::from_static("x-request-id"),
        ])
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}
