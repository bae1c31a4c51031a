//! gemba: the factory inspection backend. See ARCHITECTURE.md for the layers.

pub mod cli;
pub mod config;
pub mod db;
pub mod db_gate;
pub mod demo;
pub mod domain;
pub mod entities;
pub mod error;
pub mod export;
pub mod jobs;
pub mod metrics;
pub mod migrations;
pub mod openapi;
pub mod repositories;
pub mod routes;
pub mod security;
pub mod services;
pub mod shutdown;
pub mod startup;
pub mod state;
pub mod storage;
pub mod telemetry;
