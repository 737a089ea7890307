//! pubcom: public-comment intake. See README.md for what it does and how to run it.
pub mod accounts;
pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub mod generate;
pub mod i18n;
pub mod intake;
pub mod mail;
pub mod markdown;
pub mod metrics;
pub mod password;
pub mod startup;
pub mod telemetry;
pub mod web;
pub mod worker;
pub mod writer;
