//! Endpoints, their primary tokens, endpoint tokens and assignments as clients see them,
//! and the forms and filters of the endpoint pages.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The methods an endpoint answers, each with its own primary token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    Post,
    Get,
    Delete,
}

impl Method {
    pub const ALL: [Method; 3] = [Method::Post, Method::Get, Method::Delete];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Post => "POST",
            Self::Get => "GET",
            Self::Delete => "DELETE",
        }
    }

    /// `post`, `GET`... to a method; anything else names nothing.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(text))
    }

    pub fn allowed_by(self, assignment: &Assignment) -> bool {
        match self {
            Self::Post => assignment.post,
            Self::Get => assignment.get,
            Self::Delete => assignment.delete,
        }
    }

    /// The assignment's switch for this method.
    pub fn flag(self, assignment: &mut Assignment) -> &mut bool {
        match self {
            Self::Post => &mut assignment.post,
            Self::Get => &mut assignment.get,
            Self::Delete => &mut assignment.delete,
        }
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether an endpoint takes tokens.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum AuthType {
    #[default]
    None,
    Token,
}

impl AuthType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Token => "token",
        }
    }

    /// `none` or `token`, in any case.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "none" => Some(Self::None),
            "token" => Some(Self::Token),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EndpointView {
    pub id: i64,
    pub name: String,
    /// The slug in `/api/v1/endpoints/{path}/records`.
    pub path: String,
    pub description: String,
    pub auth_type: AuthType,
    pub allow_deleting: bool,
    /// POST and GET while the type is `token`, and DELETE while deleting is allowed.
    pub primaries: Vec<PrimaryView>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PrimaryView {
    pub method: Method,
    pub hint: String,
    pub generated_at: DateTime<Utc>,
    /// Its value was shown to someone, who may be using it: replacing it is asked first.
    pub issued: bool,
    /// Until when the value its last regeneration replaced still works; null when none does.
    #[serde(default)]
    pub previous_valid_until: Option<DateTime<Utc>>,
}

/// A secondary token: one per client application.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EndpointTokenView {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub hint: String,
    /// The on/off switch: a disabled token is refused and stays in the list.
    pub enabled: bool,
    /// Inactive tokens are refused too and listed only with "Show inactive".
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Until when the value its last regeneration replaced still works; null when none does.
    #[serde(default)]
    pub previous_valid_until: Option<DateTime<Utc>>,
    /// CIDR ranges it may be used from; empty for anywhere.
    #[serde(default)]
    pub allowed_ips: Vec<String>,
    /// What a call from outside `allowed_ips` gets.
    #[serde(default)]
    pub ip_policy: crate::model::token::IpPolicy,
}

/// What an endpoint token may do on one endpoint.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Assignment {
    pub post: bool,
    pub get: bool,
    pub delete: bool,
    /// The assignment's own switch.
    pub enabled: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AssignmentView {
    pub endpoint_id: i64,
    pub endpoint_path: String,
    pub endpoint_token_id: i64,
    pub endpoint_token_name: String,
    #[serde(flatten)]
    pub assignment: Assignment,
}

/// A fresh secret: the only time it is shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct IssuedEndpointToken {
    pub endpoint_token: EndpointTokenView,
    pub secret: String,
}

/// A stored JSON record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RecordView {
    pub id: i64,
    pub received_at: DateTime<Utc>,
    /// `POST primary`, the endpoint token's name, or `anonymous`.
    pub token: String,
    pub data: serde_json::Value,
}

/// One call to an endpoint, as the data viewer shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RequestView {
    pub id: i64,
    pub received_at: DateTime<Utc>,
    pub method: String,
    /// `POST primary`, an endpoint token's name, a user token as `AT-000012 (alice)`,
    /// `anonymous` or `unknown token`.
    pub token: String,
    pub endpoint_token_id: Option<i64>,
    pub status: u16,
    pub size: i64,
    pub ip: Option<String>,
    /// The record a POST stored, if any.
    pub record_id: Option<i64>,
    /// How many calls this line stands for: refused calls from one address with the same
    /// answer are counted on one line per minute.
    pub calls: u32,
}

/// The General tab and "+ Endpoint".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointForm {
    pub name: String,
    pub path: String,
    pub description: String,
    /// `none` or `token`.
    pub auth_type: String,
    pub allow_deleting: bool,
}

/// The "Token settings" dialog: a new endpoint token when `id` is `None`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointTokenForm {
    pub id: Option<i64>,
    pub name: String,
    pub description: String,
    pub enabled: bool,
    /// The id of a value drafted with `draft_endpoint_secret`; `None` keeps the current
    /// value. A new token needs one.
    pub draft: Option<String>,
    /// With a draft: seconds the replaced value keeps working (0: it stops at once).
    #[serde(default)]
    pub grace_seconds: i64,
    /// For an existing token, when edited: where it may be used from (empty for anywhere),
    /// and what a call from elsewhere gets. `None` leaves them as they are, so a dialog
    /// opened before another change cannot put back what it showed.
    #[serde(default)]
    pub allowed_ips: Option<Vec<String>>,
    #[serde(default)]
    pub ip_policy: Option<crate::model::token::IpPolicy>,
}

/// A value drawn by the server for the "Token settings" dialog. Save sends back only `id`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointDraft {
    pub id: String,
    pub secret: String,
}

/// The time span the data viewer shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrafficRange {
    Hour,
    #[default]
    Day,
    Week,
    All,
    /// The `from` and `to` dates.
    Custom,
}

impl TrafficRange {
    pub const ALL: [TrafficRange; 5] = [Self::Hour, Self::Day, Self::Week, Self::All, Self::Custom];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hour => "hour",
            Self::Day => "day",
            Self::Week => "week",
            Self::All => "all",
            Self::Custom => "custom",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Hour => "Last hour",
            Self::Day => "Last 24 hours",
            Self::Week => "Last 7 days",
            Self::All => "All time",
            Self::Custom => "Dates…",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// How far back a preset reaches; `None` for all time and custom dates.
    pub fn span(self) -> Option<chrono::Duration> {
        match self {
            Self::Hour => Some(chrono::Duration::hours(1)),
            Self::Day => Some(chrono::Duration::days(1)),
            Self::Week => Some(chrono::Duration::days(7)),
            Self::All | Self::Custom => None,
        }
    }
}

/// What the data viewer shows for a filter.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrafficFilter {
    /// Sender names; empty means all.
    pub tokens: Vec<String>,
    pub range: TrafficRange,
    /// `YYYY-MM-DD`, inclusive, with the custom range; empty means open.
    pub from: String,
    pub to: String,
    /// `next_cursor` of the previous page of calls.
    pub cursor: Option<String>,
}

/// The data viewer's content: a page of calls, every sender seen, and the chart.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Traffic {
    pub requests: Vec<RequestView>,
    pub next_cursor: Option<String>,
    pub senders: Vec<String>,
    pub chart: Chart,
}

/// Calls per sender over time: `counts[i]` calls in the bucket starting at `buckets[i]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chart {
    pub buckets: Vec<DateTime<Utc>>,
    pub series: Vec<Series>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Series {
    pub token: String,
    /// Calls answered below 400, and the others, per bucket.
    pub accepted: Vec<u32>,
    pub refused: Vec<u32>,
}
