//! HTTP integration tests: each test starts the real application on a random
//! port with its own database (SQLite, or PostgreSQL when
//! `GEMBA_TEST_DATABASE_URL` is set) and talks to it over real HTTP.

#[path = "../common/mod.rs"]
mod common;
mod helpers;

mod attachments;
mod auth;
mod concurrency;
mod errors;
mod faults;
mod health;
mod openapi;
mod plans;
mod reports;
mod results;
mod roles;
mod schedules;
mod scoping;
mod sites;
mod statements;
mod stats;
mod users;
