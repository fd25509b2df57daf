//! The Rust end of the DuckDB-Wasm bridge (`app/js/bridge.js`): the only place the app
//! calls JavaScript. SQL goes out with bound parameters; typed rows come back.

use chrono::NaiveDate;
use js_sys::{Array, Function, Promise, Reflect};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

fn message(err: JsValue) -> String {
    err.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| err.as_string())
        .unwrap_or_else(|| format!("{err:?}"))
}

async fn call(name: &str, args: &[JsValue]) -> Result<JsValue, String> {
    let missing = || "the DuckDB bridge (vendor/bridge.js) did not load".to_owned();
    let bridge = Reflect::get(&js_sys::global(), &JsValue::from_str("lmscopeBridge"))
        .ok()
        .filter(|b| b.is_object())
        .ok_or_else(missing)?;
    let function: Function = Reflect::get(&bridge, &JsValue::from_str(name))
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or_else(missing)?;
    let promise: Promise = function
        .apply(&bridge, &args.iter().collect::<Array>())
        .map_err(message)?
        .dyn_into()
        .map_err(|_| format!("bridge.{name} did not return a promise"))?;
    JsFuture::from(promise).await.map_err(message)
}

/// Attach the published data read-only: `{"files": [...], "snapshot": ...}` from the
/// manifest, as JSON.
pub async fn open(files_json: &str) -> Result<(), String> {
    call("open", &[JsValue::from_str(files_json)])
        .await
        .map(|_| ())
}

/// Replace the open data by a newer publish's files (the same JSON as [`open`]). New
/// queries wait for the swap; on failure the data open before stays open.
pub async fn reopen(files_json: &str) -> Result<(), String> {
    call("reopen", &[JsValue::from_str(files_json)])
        .await
        .map(|_| ())
}

/// Wait `ms` milliseconds (a browser timer).
pub async fn sleep(ms: i32) {
    let promise = Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// Keep `main` at least as tall as it is now for `ms` milliseconds: views redrawn in place
/// (a newer publish) then never shorten the page under the reader, so the scroll stays.
pub fn hold_height(ms: u64) {
    let Some(main) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector("main").ok().flatten())
    else {
        return;
    };
    let _ = main.set_attribute("style", &format!("min-height: {}px", main.client_height()));
    leptos::prelude::set_timeout(
        move || {
            let _ = main.remove_attribute("style");
        },
        std::time::Duration::from_millis(ms),
    );
}

/// Whether the page is hidden (a background tab, a minimised window).
pub fn page_hidden() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| d.hidden())
}

#[derive(Deserialize)]
struct QueryResult {
    rows: Vec<Vec<Value>>,
}

/// Which published files a query reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reads {
    /// The snapshot's tables only (the latest state and the org: the first view's), which
    /// the snapshot or else the current file holds: no month is attached for them.
    Snapshot,
    /// Rows in the days `[from, to]` (UTC) only: the monthly files that meet them.
    Days(NaiveDate, NaiveDate),
    /// Anything.
    All,
}

/// Run `sql` with `?` placeholders bound to `params`; each row deserializes into `T`
/// (a tuple or tuple struct, one field per column). Every published file is attached first.
pub async fn query<T: DeserializeOwned>(sql: &str, params: &[Value]) -> Result<Vec<T>, String> {
    run_query(sql, params, Reads::All).await
}

/// [`query`] for SQL that reads only rows of the days `[from, to]`: sessions overlapping
/// them, and the hours, days, events and queue of those days (never a state set before, as
/// `feature_usage` holds). Only the monthly files that meet the days are attached, so a
/// 30-day view of years of data fetches a month or two.
pub async fn query_days<T: DeserializeOwned>(
    sql: &str,
    params: &[Value],
    (from, to): (NaiveDate, NaiveDate),
) -> Result<Vec<T>, String> {
    run_query(sql, params, Reads::Days(from, to)).await
}

/// [`query`] over the snapshot's tables only (the first view): runs without waiting for
/// the other files.
pub async fn query_early<T: DeserializeOwned>(
    sql: &str,
    params: &[Value],
) -> Result<Vec<T>, String> {
    run_query(sql, params, Reads::Snapshot).await
}

/// `[from, to + 1 day)` in epoch milliseconds, as the bridge takes a span.
fn span_ms(from: NaiveDate, to: NaiveDate) -> JsValue {
    let ms = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .and_utc()
            .timestamp_millis() as f64
    };
    let end = to.succ_opt().unwrap_or(to);
    Array::of2(&JsValue::from_f64(ms(from)), &JsValue::from_f64(ms(end))).into()
}

async fn run_query<T: DeserializeOwned>(
    sql: &str,
    params: &[Value],
    reads: Reads,
) -> Result<Vec<T>, String> {
    let params = serde_json::to_string(params).map_err(|e| e.to_string())?;
    let span = match reads {
        Reads::Days(from, to) => span_ms(from, to),
        Reads::Snapshot | Reads::All => JsValue::NULL,
    };
    let text = call(
        "query",
        &[
            JsValue::from_str(sql),
            JsValue::from_str(&params),
            JsValue::from_bool(reads == Reads::Snapshot),
            span,
        ],
    )
    .await?
    .as_string()
    .ok_or("bridge.query returned no text")?;
    let result: QueryResult =
        serde_json::from_str(&text).map_err(|e| format!("bad query result: {e}"))?;
    typed_rows(result.rows)
}

/// Rows as the bridge gives them (JSON arrays, one value per column) into `T`s.
pub fn typed_rows<T: DeserializeOwned>(rows: Vec<Vec<Value>>) -> Result<Vec<T>, String> {
    rows.into_iter()
        .map(|row| {
            serde_json::from_value(Value::Array(row))
                .map_err(|e| format!("unexpected row shape: {e}"))
        })
        .collect()
}

/// Offer `text` to the user as a file download (CSV export): a Blob URL on a temporary link.
pub fn download(file_name: &str, mime: &str, text: &str) -> Result<(), String> {
    let parts = Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob =
        web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).map_err(message)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(message)?;
    let clicked = click_link(file_name, &url);
    web_sys::Url::revoke_object_url(&url).map_err(message)?;
    clicked
}

/// Offer a canvas's picture as a PNG download (chart export), at its full pixel size.
pub fn download_png(file_name: &str, canvas: &web_sys::HtmlCanvasElement) -> Result<(), String> {
    let url = canvas.to_data_url_with_type("image/png").map_err(message)?;
    click_link(file_name, &url)
}

fn click_link(file_name: &str, url: &str) -> Result<(), String> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let link: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(message)?
        .dyn_into()
        .map_err(|_| "not an anchor".to_owned())?;
    link.set_href(url);
    link.set_download(file_name);
    link.click();
    Ok(())
}

/// Open the browser's print dialog (the executive summary's print button).
pub fn print() {
    if let Some(w) = web_sys::window() {
        if let Err(e) = w.print() {
            leptos::logging::error!("print failed: {}", message(e));
        }
    }
}

/// The value kept in the browser's local storage under `key`, if any.
pub fn stored(key: &str) -> Option<String> {
    web_sys::window()?
        .local_storage()
        .ok()??
        .get_item(key)
        .ok()?
}

/// Keep `value` under `key` in local storage (`None` removes it).
pub fn store(key: &str, value: Option<&str>) -> Result<(), String> {
    let storage = web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .ok_or("this browser keeps no local storage")?;
    match value {
        Some(v) => storage.set_item(key, v),
        None => storage.remove_item(key),
    }
    .map_err(message)
}

/// The browser's IANA time zone (`Europe/Berlin`), if it says.
pub fn time_zone() -> Option<String> {
    let format = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new());
    js_sys::Reflect::get(&format.resolved_options(), &"timeZone".into())
        .ok()?
        .as_string()
}

/// Put `text` on the clipboard (asynchronously; the browser may refuse).
pub fn copy_text(text: &str) -> Result<(), String> {
    let window = web_sys::window().ok_or("no window")?;
    let _ = window.navigator().clipboard().write_text(text);
    Ok(())
}
