//! A page's tabs: the selected one lives in the query string (`tab=<key>`, none for the
//! first), so a reload, Back and a shared link open the same tab.
use leptos::prelude::*;

use super::url_state::UrlState;

pub trait TabKey: Copy + PartialEq + Send + Sync + 'static {
    /// Every tab, the default first.
    const ALL: &'static [Self];
    fn key(self) -> &'static str;
}

#[derive(Clone, Copy)]
pub struct Tabs<T: TabKey> {
    selected: Memo<T>,
    url: UrlState,
}

impl<T: TabKey> Tabs<T> {
    /// `url` must own the parameter `tab`.
    pub fn new(url: UrlState) -> Self {
        Self::offering(url, |_| true)
    }

    /// Tabs of which some are shown only sometimes: a link or a reload naming a tab that
    /// `offered` refuses opens the first one instead of an empty panel.
    pub fn offering(url: UrlState, offered: impl Fn(T) -> bool + Send + Sync + 'static) -> Self {
        let key = url.get("tab");
        let selected = Memo::new(move |_| {
            key.with(|key| {
                T::ALL
                    .iter()
                    .copied()
                    .find(|t| Some(t.key()) == key.as_deref())
                    .filter(|t| offered(*t))
                    .unwrap_or(T::ALL[0])
            })
        });
        Self { selected, url }
    }

    pub fn get(self) -> T {
        self.selected.get()
    }

    pub fn select(self, tab: T) {
        let key = (tab != T::ALL[0]).then(|| tab.key().to_owned());
        self.url.push(&[("tab", key)]);
    }
}

/// A tab of a role="tablist": selects its panel, and says so to assistive technology.
#[component]
pub fn TabButton<T>(
    tabs: Tabs<T>,
    /// This tab.
    which: T,
    label: &'static str,
    /// The id of the tabpanel it shows.
    panel: &'static str,
) -> impl IntoView
where
    T: TabKey,
{
    view! {
        <button type="button" role="tab" class="tab" aria-controls=panel
            aria-selected=move || (tabs.get() == which).to_string()
            on:click=move |_| tabs.select(which)>{label}</button>
    }
}
