//! One integration test binary. Every storage-touching test runs on SQLite and on PostgreSQL
//! (a fresh database per test on the local server, dropped afterwards).
mod helpers;
mod instances;
mod slow_clients;
mod smtp;

mod accessibility;
mod api;
mod attachments;
mod bad_input;
mod browser;
mod campaigns;
mod credentials;
mod email;
mod faults;
mod guidance;
mod operations;
mod privacy;
mod publication;
mod receipts;
mod redaction;
mod search;
mod staff;
mod storage;
mod surge;
mod triage;
mod web_form;
