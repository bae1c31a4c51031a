//! What every request passes through between the HTTP layers (request id,
//! trace span, CORS) and its route, in one layer with one allocation per
//! request, in this order:
//!
//! 1. the body limit and time limit of its kind of body (`limits`);
//! 2. fail fast while the database is away (`gate`);
//! 3. the route; then, on the way out,
//! 4. an error completed as a problem (`finalize`);
//! 5. `X-Content-Type-Options: nosniff` everywhere, `Cache-Control:
//!    no-store` on API answers, `Connection: close` once shutting down;
//! 6. the request counted under its route template (`metrics`).
//!
//! These were separate `from_fn` middleware, each boxing its inner service
//! and future and cloning the stack beneath it on every request; one layer
//! does the same work without that (bench/RESULTS.md).

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use futures_util::future::BoxFuture;
use tokio::sync::watch;
use tower::{Layer, Service, ServiceExt};

use crate::db_gate::DbGate;
use crate::metrics::Metrics;
use crate::routes::limits::{self, Limits};
use crate::routes::{finalize, gate};

/// The boundary's settings and shared state.
#[derive(Clone)]
pub struct BoundaryLayer {
    shared: Arc<Shared>,
}

struct Shared {
    limits: Limits,
    gate: DbGate,
    metrics: Arc<Metrics>,
    /// True once the server is shutting down.
    closing: watch::Receiver<bool>,
}

impl BoundaryLayer {
    pub fn new(
        limits: Limits,
        gate: DbGate,
        metrics: Arc<Metrics>,
        closing: watch::Receiver<bool>,
    ) -> Self {
        Self {
            shared: Arc::new(Shared {
                limits,
                gate,
                metrics,
                closing,
            }),
        }
    }
}

impl<S> Layer<S> for BoundaryLayer {
    type Service = Boundary<S>;

    fn layer(&self, inner: S) -> Boundary<S> {
        Boundary {
            inner,
            shared: self.shared.clone(),
        }
    }
}

#[derive(Clone)]
pub struct Boundary<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S> Service<Request> for Boundary<S>
where
    S: Service<Request, Error = Infallible> + Clone + Send + 'static,
    S::Response: IntoResponse,
    S::Future: Send,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // The inner service is driven to readiness in `call` (`oneshot`).
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let inner = self.inner.clone();
        let shared = self.shared.clone();
        Box::pin(async move { Ok(shared.serve(req, inner).await) })
    }
}

impl Shared {
    async fn serve<S>(&self, req: Request, inner: S) -> Response
    where
        S: Service<Request, Error = Infallible>,
        S::Response: IntoResponse,
    {
        let started = Instant::now();
        let method = req.method().clone();
        let route = req.extensions().get::<MatchedPath>().cloned();
        let uri = req.uri().clone();
        let request_id = req.headers().get("x-request-id").cloned();
        let api =
            uri.path().starts_with("/api/") || req.headers().contains_key(header::AUTHORIZATION);

        let res = match self.limits.admit(req) {
            Ok((req, time)) => {
                let route = async {
                    match inner.oneshot(req).await {
                        Ok(res) => res.into_response(),
                        Err(never) => match never {},
                    }
                };
                limits::within(time, gate::guard(&self.gate, uri.path(), route)).await
            }
            Err(refused) => refused.into_response(),
        };

        let mut res = finalize::problem(res, uri.path(), request_id.as_ref());
        let headers = res.headers_mut();
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        // API responses carry personal data and tokens: never cache them.
        if api {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
        // Shutting down: the connection ends after this answer, so a
        // keep-alive client reconnects to an instance still serving.
        if *self.closing.borrow() {
            headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        self.metrics
            .observe_request(method, route, res.status(), started.elapsed());
        res
    }
}
