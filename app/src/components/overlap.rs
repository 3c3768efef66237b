//! How long a replaced secret keeps working: the choice every rotation offers (access
//! tokens, endpoint primaries, endpoint tokens).
use leptos::prelude::*;

/// How long a rotation lets the old secret work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overlap {
    None,
    Hour,
    Day,
    Week,
}

impl Overlap {
    /// A rotation: the old secret always keeps working a while.
    pub const CHOICES: [Overlap; 3] = [Overlap::Hour, Overlap::Day, Overlap::Week];
    /// A regeneration: at once (today's behaviour) or with an overlap.
    pub const ANY: [Overlap; 4] = [Overlap::None, Overlap::Hour, Overlap::Day, Overlap::Week];

    pub fn seconds(self) -> i64 {
        match self {
            Self::None => 0,
            Self::Hour => 3_600,
            Self::Day => 86_400,
            Self::Week => 604_800,
        }
    }

    pub fn from_seconds(seconds: i64) -> Self {
        [Self::Hour, Self::Day, Self::Week]
            .into_iter()
            .find(|o| o.seconds() == seconds)
            .unwrap_or(Self::None)
    }

    pub fn key(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Hour => "hour",
            Self::Day => "day",
            Self::Week => "week",
        }
    }

    pub fn parse(key: &str) -> Self {
        Self::ANY
            .into_iter()
            .find(|o| o.key() == key)
            .unwrap_or(Self::None)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::None => "no time: it stops at once",
            Self::Hour => "1 hour",
            Self::Day => "24 hours",
            Self::Week => "7 days",
        }
    }
}

/// "<label>: [1 hour | 24 hours | 7 days]", starting at what `overlap` holds.
#[component]
pub fn OverlapSelect(
    id: &'static str,
    label: &'static str,
    overlap: RwSignal<Overlap>,
    choices: &'static [Overlap],
) -> impl IntoView {
    let initial = overlap.get_untracked();
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <select id=id on:change=move |ev| overlap.set(Overlap::parse(&event_target_value(&ev)))>
                {choices.iter().map(|&o| view! {
                    <option value=o.key() selected=o == initial>{o.label()}</option>
                }).collect_view()}
            </select>
        </div>
    }
}
