//! Token lists: filters, sorts with keyset pagination, and one token.
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    sea_query::{Alias, Expr, ExprTrait, Func, LikeExpr, Query, SelectStatement, UnionType},
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, Order,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};

use super::super::settings::{self, TokenSettings};
use super::super::{accounts, any_contains, audit, like_pattern, lower, search_text};
use super::changes::find_visible;
use super::rules::view;
use crate::model::audit::AuditQuery;
use crate::model::token::{
    number, parse_number, DayCount, StatusFilter, TokenDetail, TokenSort, TokenView, USAGE_DAYS,
};
use crate::server::authz::Sight;
use crate::server::entity::{access_token, token_usage_day, user};
use crate::server::error::{Result, ServiceError};

pub const LIST_LIMIT_MAX: u64 = 200;

/// The owner id a "user" filter means; an unknown username matches no token (an empty list,
/// not an error).
#[tracing::instrument(skip_all)]
pub async fn owner_filter(
    db: &impl ConnectionTrait,
    username: Option<&str>,
) -> Result<Option<i64>> {
    match username.map(str::trim).filter(|u| !u.is_empty()) {
        None => Ok(None),
        Some(username) => Ok(Some(
            accounts::find_by_username(db, username)
                .await?
                .map_or(-1, |u| u.id),
        )),
    }
}

/// Which tokens a list shows.
#[derive(Clone, Debug, Default)]
pub struct TokenQuery {
    pub owner_id: Option<i64>,
    /// Part of the owner's username or display name.
    pub owner_text: Option<String>,
    pub status: Option<StatusFilter>,
    pub text: Option<String>,
    pub limit: Option<u64>,
    pub sort: TokenSort,
    /// `next_cursor` of the previous page, for the same sort.
    pub cursor: Option<String>,
}

pub struct TokenPage {
    pub items: Vec<TokenView>,
    pub next_cursor: Option<String>,
}

/// Stands for "never expires" in the expiry order. Not `NaiveDate::MAX`: SQLite stores dates
/// as text, and that one is written with a sign ("+262142-12-31") that sorts first.
pub const NEVER: NaiveDate = match NaiveDate::from_ymd_opt(9999, 12, 31) {
    Some(day) => day,
    None => panic!("9999-12-31 is a date"),
};

/// The sort keys' stand-ins for "never", written into the query as literals: an expression
/// index serves only the same expression, and the indexes (migration 10) spell these.
const NEVER_LITERAL: &str = "'9999-12-31'";
const NEVER_USED_LITERAL: &str = "'1970-01-01T00:00:00+00:00'";

/// The order a `sort` parameter names; empty is the default.
pub fn sort(text: &str) -> Result<TokenSort> {
    TokenSort::parse(text).ok_or_else(|| {
        ServiceError::validation("sort", "sort must be created, expires or last_used")
    })
}

/// Each order is a keyset on (value, id), so every page costs the same however deep it is.
trait Keyset: Sized {
    fn ascending(self) -> bool;
    fn key(self) -> Option<Expr>;
    fn cursor(self, token: &access_token::Model) -> String;
    fn after(self, cursor: &str) -> Option<Condition>;
}

impl Keyset for TokenSort {
    fn ascending(self) -> bool {
        self == Self::Expires
    }

    /// The sorted value, with nulls mapped so that they come last.
    fn key(self) -> Option<Expr> {
        let coalesce = |column: access_token::Column, stand_in: &'static str| -> Expr {
            Func::coalesce([
                Expr::col((access_token::Entity, column)),
                Expr::cust(stand_in),
            ])
            .into()
        };
        match self {
            Self::Created => None,
            Self::Expires => Some(coalesce(access_token::Column::ExpiresAt, NEVER_LITERAL)),
            Self::LastUsed => Some(coalesce(
                access_token::Column::LastUsedAt,
                NEVER_USED_LITERAL,
            )),
        }
    }

    /// The cursor after `token`: its sorted value and its id.
    fn cursor(self, token: &access_token::Model) -> String {
        match self {
            Self::Created => token.id.to_string(),
            Self::Expires => format!("{}_{}", token.expires_at.unwrap_or(NEVER), token.id),
            Self::LastUsed => format!(
                "{}_{}",
                token
                    .last_used_at
                    .and_then(|at| at.timestamp_nanos_opt())
                    .unwrap_or(0),
                token.id
            ),
        }
    }

    /// The keyset condition "after the cursor", or None when the cursor is not one of ours.
    fn after(self, cursor: &str) -> Option<Condition> {
        let id_column = Expr::col((access_token::Entity, access_token::Column::Id));
        let (value, id) = match self {
            Self::Created => (None, cursor.parse::<i64>().ok()?),
            _ => {
                let (value, id) = cursor.split_once('_')?;
                let value = match self {
                    Self::Expires => Expr::val(value.parse::<NaiveDate>().ok()?),
                    _ => Expr::val(DateTime::from_timestamp_nanos(value.parse().ok()?)),
                };
                (Some(value), id.parse::<i64>().ok()?)
            }
        };
        // (key, id) beyond (value, id) as one row value, which PostgreSQL seeks its index
        // to; SQLite seeks an expression index only on the key alone, so that bound is added.
        let beyond = |left: Expr, right: Expr| {
            if self.ascending() {
                left.gt(right)
            } else {
                left.lt(right)
            }
        };
        let not_before = |left: Expr, right: Expr| {
            if self.ascending() {
                left.gte(right)
            } else {
                left.lte(right)
            }
        };
        Some(match (self.key(), value) {
            (Some(key), Some(value)) => Condition::all()
                .add(not_before(key.clone(), value.clone()))
                .add(beyond(
                    Expr::tuple([key, id_column]),
                    Expr::tuple([value, Expr::val(id)]),
                )),
            _ => Condition::all().add(beyond(id_column, Expr::val(id))),
        })
    }
}

/// What `query` matches, as one condition over the token and its owner; `None` when
/// nothing can match (an effective token while API tokens are off).
async fn matching(
    db: &impl ConnectionTrait,
    query: &TokenQuery,
    policy: &TokenSettings,
    today: NaiveDate,
) -> Result<Option<Condition>> {
    let tokens_enabled = policy.api_tokens_enabled;
    let idle_since = policy.idle_since(today);
    let mut all = Condition::all();
    if let Some(owner) = query.owner_id {
        all = all.add(access_token::Column::OwnerId.eq(owner));
    }
    if let Some(text) = trimmed(query.owner_text.as_deref()) {
        // A subquery over the users, so the owner index serves the match whatever the order.
        let owners = Query::select()
            .column(user::Column::Id)
            .from(user::Entity)
            .cond_where(any_contains(
                [
                    Expr::col(user::Column::Username),
                    Expr::col(user::Column::DisplayName),
                ],
                search_text(text, "user")?,
            ))
            .to_owned();
        all = all.add(access_token::Column::OwnerId.in_subquery(owners));
    }
    if let Some(text) = trimmed(query.text.as_deref()) {
        // With one owner's tokens only, that owner's index already narrows the list to a
        // few: counting candidates among everyone's would only cost.
        let indexed = query.owner_id.is_none();
        all = all.add(text_match(db, search_text(text, "q")?, indexed).await?);
    }
    let Some(status) = query.status else {
        return Ok(Some(all));
    };
    let not_revoked = || access_token::Column::RevokedAt.is_null();
    let not_expired = || {
        Condition::any()
            .add(access_token::Column::ExpiresAt.is_null())
            .add(access_token::Column::ExpiresAt.gte(today))
    };
    let usable = || {
        Condition::any()
            .add(user::Column::ActiveUntil.is_null())
            .add(user::Column::ActiveUntil.gte(today))
    };
    let now = Utc::now();
    let not_suspended = || not_suspended(now);
    let effective = || {
        Condition::all()
            .add(not_revoked())
            .add(not_expired())
            .add(not_suspended())
            .add(user::Column::Locked.eq(false))
            .add(usable())
    };
    let soon = today + chrono::Duration::days(StatusFilter::SOON_DAYS);
    let condition = match status {
        StatusFilter::Effective | StatusFilter::ExpiringSoon if !tokens_enabled => return Ok(None),
        StatusFilter::Effective => effective(),
        StatusFilter::ExpiringSoon => effective().add(access_token::Column::ExpiresAt.lte(soon)),
        StatusFilter::Expired => Condition::all()
            .add(not_revoked())
            .add(access_token::Column::ExpiresAt.lt(today)),
        StatusFilter::Revoked => {
            Condition::all().add(access_token::Column::RevokedAt.is_not_null())
        }
        StatusFilter::Suspended => Condition::all()
            .add(not_revoked())
            .add(not_expired())
            .add(not_suspended().not()),
        StatusFilter::OwnerLocked => Condition::all()
            .add(not_revoked())
            .add(not_expired())
            .add(not_suspended())
            .add(user::Column::Locked.eq(true)),
        StatusFilter::OwnerInactive => Condition::all()
            .add(not_revoked())
            .add(not_expired())
            .add(not_suspended())
            .add(user::Column::Locked.eq(false))
            .add(usable().not()),
        StatusFilter::NotEffective if !tokens_enabled => Condition::all(),
        StatusFilter::NotEffective => effective().not(),
        StatusFilter::Idle => match idle_since {
            Some(since) if tokens_enabled => effective().add(unused_since(since)),
            _ => return Ok(None),
        },
    };
    Ok(Some(all.add(condition)))
}

/// Not suspended at `now`, as `rules::suspension` reads it: never suspended, or its time
/// has come (an indefinite suspension has none). Written without a NULL comparison, so that
/// its negation selects exactly the suspended tokens.
pub(super) fn not_suspended(now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(access_token::Column::SuspendedAt.is_null())
        .add(
            Condition::all()
                .add(access_token::Column::SuspendedUntil.is_not_null())
                .add(access_token::Column::SuspendedUntil.lte(now)),
        )
}

/// Neither used nor issued since `since`: a secret issued (or regenerated) lately is not
/// idle, whatever its token's past.
pub(super) fn unused_since(since: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(access_token::Column::IssuedAt.lt(since))
        .add(
            Condition::any()
                .add(access_token::Column::LastUsedAt.is_null())
                .add(access_token::Column::LastUsedAt.lt(since)),
        )
}

/// Below this many candidates a search reads them by the name index and sorts them; from
/// this many on, it scans in the list's own order instead, where a word this common fills a
/// page within the first rows. Either way the result is the same.
const INDEXED_SEARCH_MAX: u64 = 20_000;

/// What `q` matches: part of the token's name or of its owner's username, or its number.
async fn text_match(db: &impl ConnectionTrait, text: &str, indexed: bool) -> Result<Condition> {
    let contains = any_contains(
        [
            Expr::col((access_token::Entity, access_token::Column::Name)),
            Expr::col((user::Entity, user::Column::Username)),
        ],
        text,
    );
    let candidates = if indexed {
        candidates(db, text, like_pattern(text)).await?
    } else {
        None
    };
    let mut matches = Condition::any().add(match candidates {
        Some(candidates) if few(db, candidates.clone()).await? => Condition::all()
            .add(
                Expr::col((access_token::Entity, access_token::Column::Id)).in_subquery(candidates),
            )
            .add(contains),
        _ => contains,
    });
    if let Some(id) = parse_number(text) {
        matches = matches.add(access_token::Column::Id.eq(id));
    }
    Ok(matches)
}

/// The ids of the tokens whose name may contain `text`, read through the name index
/// (migration 21), and of the tokens of owners whose username contains it: every match and
/// perhaps a few more (SQLite's index folds case beyond ASCII), so the list still applies
/// its own `LIKE`. None when no index can serve the text: a trigram needs three characters,
/// and a PostgreSQL without `pg_trgm` has no index (the probe would read every token).
async fn candidates(
    db: &impl ConnectionTrait,
    text: &str,
    pattern: LikeExpr,
) -> Result<Option<SelectStatement>> {
    if text.chars().count() < 3 {
        return Ok(None);
    }
    let mut by_name = match db.get_database_backend() {
        DbBackend::Postgres => {
            if !name_index_exists(db).await? {
                return Ok(None);
            }
            Query::select()
                .column(access_token::Column::Id)
                .from(access_token::Entity)
                .and_where(lower(Expr::col(access_token::Column::Name)).like(pattern.clone()))
                .to_owned()
        }
        // A phrase of the trigram tokenizer matches where it occurs as a substring; the
        // tokenizer folds case itself, the lowercase keeps the phrase the LIKE's own text.
        _ => Query::select()
            .expr(Expr::cust("rowid"))
            .from(Alias::new("access_token_names"))
            .and_where(Expr::cust_with_values(
                "access_token_names MATCH ?",
                [format!("\"{}\"", text.to_lowercase().replace('"', "\"\""))],
            ))
            .to_owned(),
    };
    let owners = Query::select()
        .column(user::Column::Id)
        .from(user::Entity)
        .and_where(lower(Expr::col(user::Column::Username)).like(pattern))
        .to_owned();
    let by_owner = Query::select()
        .column(access_token::Column::Id)
        .from(access_token::Entity)
        .and_where(access_token::Column::OwnerId.in_subquery(owners))
        .to_owned();
    Ok(Some(by_name.union(UnionType::All, by_owner).to_owned()))
}

/// Whether migration 21 could create the trigram index on this PostgreSQL.
async fn name_index_exists(db: &impl ConnectionTrait) -> Result<bool> {
    let exists = Query::select()
        .expr_as(
            Expr::cust(
                "EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = 'idx_access_tokens_name_trgm')",
            ),
            Alias::new("present"),
        )
        .to_owned();
    Ok(match db.query_one(&exists).await? {
        Some(row) => row.try_get("", "present")?,
        None => false,
    })
}

/// Whether `candidates` holds fewer than [`INDEXED_SEARCH_MAX`] rows, counting no further.
async fn few(db: &impl ConnectionTrait, candidates: SelectStatement) -> Result<bool> {
    let rows = Query::select()
        .expr(Expr::val(1))
        .from_subquery(candidates, Alias::new("candidates"))
        .to_owned();
    Ok(count_at_most(db, rows, INDEXED_SEARCH_MAX).await? < INDEXED_SEARCH_MAX)
}

/// How many rows `select` gives, counting up to `max` and no further.
async fn count_at_most(
    db: &impl ConnectionTrait,
    mut select: SelectStatement,
    max: u64,
) -> Result<u64> {
    let count = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
        .from_subquery(select.limit(max).to_owned(), Alias::new("first"))
        .to_owned();
    let n: i64 = match db.query_one(&count).await? {
        Some(row) => row.try_get("", "n")?,
        None => 0,
    };
    Ok(u64::try_from(n).unwrap_or(0))
}

fn trimmed(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|t| !t.is_empty())
}

/// The owner restriction `sight` imposes on any query.
fn within(sight: Sight<'_>, query: TokenQuery) -> TokenQuery {
    if sight.anyone() {
        return query;
    }
    TokenQuery {
        owner_id: Some(sight.grant().account().user.id),
        ..query
    }
}

/// One page in the query's order, by keyset pagination: no page scans the ones before it.
/// A request that reaches only its own tokens lists only those, whatever owner it asks for.
#[tracing::instrument(skip_all)]
pub async fn list(
    db: &DatabaseConnection,
    sight: impl Into<Sight<'_>>,
    query: TokenQuery,
) -> Result<TokenPage> {
    let query = within(sight.into(), query);
    let policy = settings::load(db).await?;
    let today = Utc::now().date_naive();
    let limit = query.limit.unwrap_or(50).clamp(1, LIST_LIMIT_MAX);
    let sort = query.sort;
    let after = match query.cursor.as_deref().filter(|c| !c.is_empty()) {
        None => None,
        Some(cursor) => Some(sort.after(cursor).ok_or_else(|| ServiceError::Validation {
            field: "cursor",
            message: "The cursor is not valid".into(),
        })?),
    };
    let Some(matches) = matching(db, &query, &policy, today).await? else {
        return Ok(TokenPage {
            items: Vec::new(),
            next_cursor: None,
        });
    };
    let order = if sort.ascending() {
        Order::Asc
    } else {
        Order::Desc
    };
    let mut select = access_token::Entity::find().find_also_related(user::Entity);
    if let Some(key) = sort.key() {
        select = select.order_by(key, order.clone());
    }
    let mut select = select
        .order_by(access_token::Column::Id, order)
        .filter(matches)
        .limit(limit + 1);
    if let Some(after) = after {
        select = select.filter(after);
    }
    let mut rows = select.all(db).await?;
    let next_cursor = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|(token, _)| sort.cursor(token))
    } else {
        None
    };
    let items = rows
        .iter()
        .filter_map(|(token, owner)| owner.as_ref().map(|o| view(token, o, &policy, today)))
        .collect();
    Ok(TokenPage { items, next_cursor })
}

/// How many tokens the query's filters match in all (its cursor and limit aside).
#[tracing::instrument(skip_all)]
pub async fn count(
    db: &DatabaseConnection,
    sight: impl Into<Sight<'_>>,
    query: TokenQuery,
) -> Result<u64> {
    counted(db, sight.into(), query, None).await
}

/// Like [`count`], but stops at `max` + 1: enough to say "more than `max`" without reading
/// every match.
#[tracing::instrument(skip_all)]
pub async fn count_up_to(
    db: &DatabaseConnection,
    sight: impl Into<Sight<'_>>,
    query: TokenQuery,
    max: u64,
) -> Result<u64> {
    counted(db, sight.into(), query, Some(max + 1)).await
}

async fn counted(
    db: &DatabaseConnection,
    sight: Sight<'_>,
    query: TokenQuery,
    max: Option<u64>,
) -> Result<u64> {
    let query = within(sight, query);
    let policy = settings::load(db).await?;
    let Some(matches) = matching(db, &query, &policy, Utc::now().date_naive()).await? else {
        return Ok(0);
    };
    let select = access_token::Entity::find()
        .inner_join(user::Entity)
        .filter(matches);
    match max {
        None => Ok(select.count(db).await?),
        Some(max) => {
            let rows = select.select_only().expr(Expr::val(1)).into_query();
            count_at_most(db, rows, max).await
        }
    }
}

/// How many of its audit events a token's page shows.
const TOKEN_EVENTS: u64 = 20;

/// One token with its history, for its page, if `sight` covers it.
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn detail(
    db: &DatabaseConnection,
    sight: impl Into<Sight<'_>>,
    id: i64,
) -> Result<TokenDetail> {
    let sight = sight.into();
    let (token, owner) = find_visible(db, sight, id).await?;
    let issuer = match token.issuer_id {
        Some(issuer) if issuer == owner.id => Some(owner.username.clone()),
        Some(issuer) => user::Entity::find_by_id(issuer)
            .one(db)
            .await?
            .map(|u| u.username),
        None => None,
    };
    let settings = settings::load(db).await?;
    let about = AuditQuery {
        target: number(token.id),
        ..AuditQuery::default()
    };
    let (mut events, _) = audit::events(db, &about, TOKEN_EVENTS).await?;
    if !sight.anyone() {
        // An owner sees what was done to their token, but not from where others did it.
        let me = sight.grant().username();
        for event in &mut events {
            if event.actor.as_deref() != Some(me) {
                event.ip = None;
            }
        }
    }
    Ok(TokenDetail {
        events,
        token: view(&token, &owner, &settings, Utc::now().date_naive()),
        issuer,
        created_by: token.created_by,
        updated_at: token.updated_at,
        updated_by: token.updated_by,
        revoked_by: token.revoked_by,
        has_identifier: token.identifier.is_some(),
        has_pass_code: token.pass_code_hash.is_some(),
        default_rate_limit_per_minute: settings.default_rate_limit_per_minute,
        requests_per_day: calls_per_day(db, token.id, Utc::now().date_naive()).await?,
    })
}

/// A token's calls on each of the [`USAGE_DAYS`] days up to `today`, if `sight` covers it.
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn requests_per_day(
    db: &DatabaseConnection,
    sight: impl Into<Sight<'_>>,
    id: i64,
) -> Result<Vec<DayCount>> {
    let (token, _) = find_visible(db, sight.into(), id).await?;
    calls_per_day(db, token.id, Utc::now().date_naive()).await
}

/// Every day of the window, oldest first, 0 for a day without calls.
async fn calls_per_day(
    db: &impl ConnectionTrait,
    token_id: i64,
    today: NaiveDate,
) -> Result<Vec<DayCount>> {
    let first = today - chrono::Duration::days(USAGE_DAYS - 1);
    let counted: std::collections::HashMap<NaiveDate, i64> = token_usage_day::Entity::find()
        .filter(token_usage_day::Column::TokenId.eq(token_id))
        .filter(token_usage_day::Column::Day.gte(first))
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.day, row.requests))
        .collect();
    Ok(first
        .iter_days()
        .take(USAGE_DAYS as usize)
        .map(|day| DayCount {
            day,
            requests: counted
                .get(&day)
                .map_or(0, |&n| u64::try_from(n).unwrap_or(0)),
        })
        .collect())
}

/// One token, if `sight` covers it.
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn get(
    db: &DatabaseConnection,
    sight: impl Into<Sight<'_>>,
    id: i64,
) -> Result<TokenView> {
    let (token, owner) = find_visible(db, sight.into(), id).await?;
    Ok(view(
        &token,
        &owner,
        &settings::load(db).await?,
        Utc::now().date_naive(),
    ))
}
