//! A page's view state (filters, order, page cursor, tab) kept in its query string, so a
//! reload, Back/Forward and a shared link all show the same view.
use leptos::prelude::*;
use leptos_router::{
    hooks::{use_location, use_navigate, use_query_map},
    NavigateOptions,
};

#[derive(Clone, Copy)]
pub struct UrlState {
    /// The parameters this page owns, in the order they are written.
    keys: &'static [&'static str],
    query: Memo<leptos_router::params::ParamsMap>,
    go: Callback<(String, bool)>,
}

impl UrlState {
    pub fn new(keys: &'static [&'static str]) -> Self {
        let navigate = use_navigate();
        let path = use_location().pathname;
        let go = Callback::new(move |(query, replace): (String, bool)| {
            let path = path.get_untracked();
            let url = if query.is_empty() {
                path
            } else {
                format!("{path}?{query}")
            };
            navigate(
                &url,
                NavigateOptions {
                    replace,
                    scroll: false,
                    ..Default::default()
                },
            );
        });
        Self {
            keys,
            query: use_query_map(),
            go,
        }
    }

    /// One parameter, tracked.
    pub fn get(self, key: &'static str) -> Memo<Option<String>> {
        let query = self.query;
        Memo::new(move |_| query.with(|q| q.get(key).filter(|v| !v.is_empty())))
    }

    /// Whether any parameter but `ignored` is set, e.g. "is the list filtered?".
    pub fn any_set(self, ignored: &'static [&'static str]) -> bool {
        self.query.with(|q| {
            self.keys
                .iter()
                .filter(|key| !ignored.contains(key))
                .any(|key| q.get(key).is_some_and(|v| !v.is_empty()))
        })
    }

    /// A new history entry with `changes` applied (None or empty removes a parameter). Typed
    /// text arrives debounced, so each pause is one entry and Back undoes it.
    pub fn push(self, changes: &[(&'static str, Option<String>)]) {
        self.go.run((self.query_with(changes), false));
    }

    /// Whether the address arrived with the one-time parameter `key` (e.g. `?created=1`):
    /// true from then on, while the address loses it in place, so a reload or a shared link
    /// does not say it again.
    pub fn arrived_with(self, key: &'static str) -> Signal<bool> {
        let value = self.get(key);
        let seen = RwSignal::new(false);
        Effect::new(move |_| {
            if value.get().is_some() {
                seen.set(true);
                // Keeps this page's own parameters only.
                self.go.run((self.query_with(&[]), true));
            }
        });
        Signal::derive(move || seen.get() || value.get().is_some())
    }

    fn query_with(self, changes: &[(&'static str, Option<String>)]) -> String {
        self.query.with_untracked(|q| {
            self.keys
                .iter()
                .filter_map(|&key| {
                    let value = match changes.iter().find(|(k, _)| *k == key) {
                        Some((_, value)) => value.clone(),
                        None => q.get(key),
                    }
                    .filter(|v| !v.is_empty())?;
                    Some(format!("{key}={}", urlencoding::encode(&value)))
                })
                .collect::<Vec<_>>()
                .join("&")
        })
    }

    /// A new filter value: the list starts again at its first page (`cursor` dropped, and
    /// `trail`, the cursors of the pages before, emptied).
    pub fn filter<C: Send + Sync + 'static>(
        self,
        trail: RwSignal<Vec<C>>,
        key: &'static str,
        value: Option<String>,
    ) {
        trail.set(Vec::new());
        self.push(&[(key, value), ("cursor", None)]);
    }

    /// The same for text typed into `key`'s box, once typing pauses.
    pub fn typed_filter<C: Send + Sync + 'static>(
        self,
        trail: RwSignal<Vec<C>>,
        key: &'static str,
    ) -> Callback<String> {
        debounced(TYPING_PAUSE_MS, move |value| {
            self.filter(trail, key, Some(value))
        })
    }

    /// Every parameter of this page removed.
    pub fn clear(self) {
        self.go.run((String::new(), false));
    }
}

/// How long typing must pause before a filter applies.
pub const TYPING_PAUSE_MS: u64 = 300;

/// Calls `run` with the latest value once typing has paused for `delay_ms`. Leaving the page
/// first cancels it: it would navigate with the old page's filters.
pub fn debounced(delay_ms: u64, run: impl Fn(String) + Send + Sync + 'static) -> Callback<String> {
    let run = StoredValue::new(run);
    let pending = StoredValue::new(None::<TimeoutHandle>);
    let cancel = move || {
        if let Some(Some(handle)) = pending.try_get_value() {
            handle.clear();
        }
    };
    on_cleanup(cancel);
    Callback::new(move |value: String| {
        cancel();
        let handle = set_timeout_with_handle(
            move || {
                run.try_with_value(|run| run(value));
            },
            std::time::Duration::from_millis(delay_ms),
        )
        .ok();
        pending.set_value(handle);
    })
}
