//! Access tokens: what a token may be (rules), which ones a list shows (listing), and how
//! they change (changes). The REST API, the CLI and the pages all come through here.
pub mod allowlist;
mod changes;
mod forms;
mod import;
mod kill_switch;
mod listing;
mod rules;

pub use crate::model::token::{Reason, TokenSort};
pub use changes::{
    create, create_by_operator, delete, regenerate, revoke, update, Owner, Rotation,
};
pub use forms::{all_of, create_from_form, form_defaults, generate};
pub use import::ImportedSecret;
pub use kill_switch::{count_revocable_idle, revoke_all, revoke_idle, Sweep, IDLE_POLICY};
pub use listing::{
    count, count_up_to, detail, get, list, owner_filter, requests_per_day, sort, TokenPage,
    TokenQuery, LIST_LIMIT_MAX, NEVER,
};
pub use rules::{
    current_settings, effective_scopes, either_digest, generated_token, life_cycle, overlap_until,
    running_overlap, view, Expiry, NewToken, DESCRIPTION_MAX, IDENTIFIER_MAX, NAME_MAX,
};
