//! The URL is the view's whole state: links that change some of its query, and setters that
//! push a new history entry (so back and forward work).

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate, use_query_map};
use leptos_router::params::ParamsMap;
use leptos_router::NavigateOptions;

/// The current query as a map, and links that change some of it.
pub fn params_map(q: &ParamsMap) -> BTreeMap<String, String> {
    q.into_iter()
        .map(|(k, v)| (k.to_string(), v.to_owned()))
        .collect()
}

/// `?…` with `changes` applied to `q` (a `None` removes the key).
pub fn href_with(q: &ParamsMap, changes: &[(&str, Option<String>)]) -> String {
    let mut map = params_map(q);
    for (k, v) in changes {
        match v {
            Some(v) => {
                map.insert((*k).to_owned(), v.clone());
            }
            None => {
                map.remove(*k);
            }
        }
    }
    let out: ParamsMap = map.into_iter().collect();
    let s = out.to_query_string();
    if s.is_empty() {
        "?".to_owned()
    } else {
        s
    }
}

/// A function that sets (or, given blank text, removes) one URL parameter: a new history
/// entry, so back and forward work.
pub fn param_setter() -> impl Fn(&'static str, String) + Clone {
    let q = use_query_map();
    let location = use_location();
    let navigate = use_navigate();
    move |key: &'static str, value: String| {
        let value = (!value.trim().is_empty()).then_some(value);
        let query = q.with_untracked(|q| href_with(q, &[(key, value)]));
        let path = location.pathname.get_untracked();
        navigate(&format!("{path}{query}"), NavigateOptions::default());
    }
}
