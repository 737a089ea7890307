//! pubcom: public-comment intake. See README.md for what it does and how to run it.
pub mod app;
pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub mod export;
pub mod files;
pub mod i18n;
pub mod mail;
pub mod markdown;
pub mod metrics;
pub mod password;
pub mod startup;
pub mod telemetry;
pub mod uploads;
pub mod web;
pub mod worker;
