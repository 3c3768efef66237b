//! Integration tests: the real router over a real database, each test run against a fresh
//! SQLite file and a fresh PostgreSQL database.
mod helpers;

// The server's allocator, so that what the tests measure of memory is what the server does.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod accounts;
mod allowlist;
mod audit_log;
mod cli;
mod endpoints;
mod expiry;
mod front_door;
mod groups;
mod health;
mod import;
mod input;
mod instances;
mod kill_switches;
mod leaks;
mod migrations;
mod openapi;
mod pages;
mod rate_limits;
mod receiver;
mod rotation;
mod scanners;
mod scope_use;
mod sessions;
mod sign_in;
mod slow_clients;
mod suspension;
mod token_api;
mod token_search;
mod trust;
mod usage_days;
mod user_records;
mod webhooks;
