//! Logging: console (human-readable, stderr) and daily-rolling JSON-lines
//! files at once, one filter (`GEMBA_LOG`), and the per-request span.

use std::io::IsTerminal;
use std::time::Duration;

use anyhow::Context;
use axum::extract::{MatchedPath, Request};
use axum::response::Response;
use tracing::Span;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, fmt};

use crate::config::Settings;

/// Installs the global subscriber. Keep the guard alive: dropping it flushes
/// the file writer.
pub fn init(settings: &Settings) -> anyhow::Result<WorkerGuard> {
    let filter = EnvFilter::try_new(&settings.log)
        .with_context(|| format!("GEMBA_LOG: invalid filter `{}`", settings.log))?;
    std::fs::create_dir_all(&settings.log_dir).with_context(|| {
        format!(
            "GEMBA_LOG_DIR: cannot create {}",
            settings.log_dir.display()
        )
    })?;
    let appender = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix("gemba")
        .filename_suffix("log")
        .max_log_files(settings.log_retention)
        .build(&settings.log_dir)
        .with_context(|| {
            format!(
                "GEMBA_LOG_DIR: cannot write to {}",
                settings.log_dir.display()
            )
        })?;
    // The default queue preallocates 128k lines (4 MiB); 16k lines still
    // absorb any burst the file cannot take at once.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(16_384)
        .finish(appender);
    tracing_subscriber::registry()
        .with(filter)
        .with(
            fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(std::io::stderr().is_terminal())
                .with_target(true),
        )
        .with(
            fmt::layer()
                .json()
                .with_current_span(true)
                .with_span_list(false)
                .with_writer(writer),
        )
        .try_init()
        .context("a global logger is already installed")?;
    Ok(guard)
}

/// The span every request runs in.
pub fn request_span(req: &Request) -> Span {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("-", |m| m.as_str());
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!(
        target: "gemba::http",
        "request",
        request_id = %request_id,
        method = %req.method(),
        route = %route,
        status = tracing::field::Empty,
        latency_ms = tracing::field::Empty,
    )
}

/// One line per answered request.
pub fn on_response(res: &Response, latency: Duration, span: &Span) {
    let status = res.status().as_u16();
    let latency_ms = latency.as_secs_f64() * 1000.0;
    span.record("status", status);
    span.record("latency_ms", latency_ms);
    if res.status().is_server_error() {
        tracing::warn!(target: "gemba::http", status, latency_ms, "request answered");
    } else {
        tracing::info!(target: "gemba::http", status, latency_ms, "request answered");
    }
}
