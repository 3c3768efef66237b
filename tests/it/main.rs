//! Integration tests: the real router over a real database, each test run against a fresh
//! SQLite file and a fresh PostgreSQL database.
mod helpers;

mod accounts;
mod cli;
mod endpoints;
mod health;
mod instances;
mod migrations;
mod pages;
mod sign_in;
mod token_api;
mod trust;
