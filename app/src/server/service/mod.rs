//! Tessera's rules, one place each. Server functions, REST handlers and the CLI call these.
pub mod accounts;
pub mod audit;
pub mod auth;
pub mod endpoints;
pub mod expiry;
pub mod groups;
pub mod leaks;
pub mod limits;
pub mod mail;
pub mod passwords;
pub mod sessions;
pub mod settings;
pub mod token_auth;
pub mod tokens;
pub mod traffic;
pub mod webhooks;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::Condition;

use crate::server::error::{Result, ServiceError};

/// Characters no stored text may hold: control characters and the line and paragraph
/// separators (PostgreSQL refuses NUL; the others break or garble what shows the text), and
/// the bidirectional overrides and isolates, which make a name read as something it is not
/// ("Trojan Source").
pub(crate) fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

/// `value` trimmed, or a message naming `label` when it holds an unsafe character (see
/// [`is_unsafe_char`]) or is longer than `max` characters.
fn trimmed_within(value: &str, field: &'static str, label: &str, max: usize) -> Result<String> {
    let value = value.trim();
    if value.chars().any(is_unsafe_char) {
        return Err(ServiceError::validation(
            field,
            format!("{label} must not contain control or text-direction characters"),
        ));
    }
    if value.chars().count() > max {
        return Err(ServiceError::validation(
            field,
            format!("{label} must be at most {max} characters"),
        ));
    }
    Ok(value.to_owned())
}

/// Like [`trimmed_within`], and not empty.
fn required_within(value: &str, field: &'static str, label: &str, max: usize) -> Result<String> {
    let value = trimmed_within(value, field, label, max)?;
    if value.is_empty() {
        return Err(ServiceError::validation(
            field,
            format!("Enter a {}", label.to_lowercase()),
        ));
    }
    Ok(value)
}

/// `value`, or a message naming `field` when it holds a control character: nothing stored
/// has one (PostgreSQL refuses NUL outright), so such input can only be a probe.
fn without_control<'a>(value: &'a str, field: &'static str) -> Result<&'a str> {
    if value.chars().any(char::is_control) {
        return Err(ServiceError::validation(
            field,
            format!("{field} must not contain control characters"),
        ));
    }
    Ok(value)
}

/// The longest text a search takes: nothing it looks in (names, usernames, numbers) is
/// longer, and a longer pattern only costs the database (SQLite refuses a LIKE pattern past
/// 50,000 bytes).
pub const SEARCH_MAX: usize = 200;

/// `text` trimmed, if a search can take it: no control characters, at most [`SEARCH_MAX`].
fn search_text<'a>(text: &'a str, field: &'static str) -> Result<&'a str> {
    let text = without_control(text.trim(), field)?;
    if text.chars().count() > SEARCH_MAX {
        return Err(ServiceError::validation(
            field,
            format!("{field} must be at most {SEARCH_MAX} characters"),
        ));
    }
    Ok(text)
}

/// A case-insensitive "contains" pattern in which `%`, `_` and `\\` typed by the user match
/// themselves.
pub(crate) fn like_pattern(text: &str) -> LikeExpr {
    let mut escaped = String::with_capacity(text.len() + 2);
    escaped.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped.push('%');
    LikeExpr::new(escaped).escape('\\')
}

/// `lower(column)`, the side of a case-insensitive match that [`like_pattern`] is written for.
pub(crate) fn lower(column: Expr) -> Expr {
    Expr::expr(Func::lower(column))
}

/// Any of `columns` contains `text`, in any case.
pub(crate) fn any_contains(columns: impl IntoIterator<Item = Expr>, text: &str) -> Condition {
    let pattern = like_pattern(text);
    columns.into_iter().fold(Condition::any(), |any, column| {
        any.add(lower(column).like(pattern.clone()))
    })
}

/// The first instant of `day`, in UTC (the zone every stored time is in).
pub fn start_of_day(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(chrono::NaiveTime::MIN).and_utc()
}

/// An optional `YYYY-MM-DD` field: empty is `None`, anything else must be a date.
pub fn optional_date(text: &str, field: &'static str) -> Result<Option<NaiveDate>> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| ServiceError::validation(field, "Enter the date as YYYY-MM-DD"))
}
