//! `lmscope report forecast` and `lmscope report chargeback`: figures from a published file.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use chrono::NaiveDate;

/// `lmscope report forecast`: every modelled series' outlook and backtest, as CSV, and a
/// summary of the backtest on standard error.
pub(crate) fn forecast_report(
    data: &Path,
    filters: &lmscope::analytics::filters::Filters,
) -> Result<ExitCode> {
    use lmscope::analytics::forecast::Outlook;
    let (db, path) = lmscope::publish::files::open(data)?;
    let (sql, params) = lmscope::analytics::page_sql::daily_peaks(filters);
    let params: Vec<String> = params
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_owned())
        .collect();
    let refs: Vec<&dyn duckdb::ToSql> = params.iter().map(|p| p as &dyn duckdb::ToSql).collect();
    let rows = lmscope::publish::files::rows(&db, &sql, &refs)
        .with_context(|| format!("{path}: daily peaks"))?;
    println!("server,feature,days,issued,forecast_peak,upper_bound,shortage,mae,mape_pct,in_band_pct,week_before_mae");
    let field = lmscope::analytics::chargeback::csv_field;
    let (mut mapes, mut better, mut scored) = (Vec::new(), 0, 0);
    for s in lmscope::analytics::forecast::outlooks(&rows) {
        let head = format!(
            "{},{},{},{:.0}",
            field(&s.server),
            field(&s.feature),
            s.peaks.len(),
            s.issued
        );
        let (peak, high) = s.peak_and_high().unwrap_or_default();
        match &s.outlook {
            Outlook::TooShort { .. } => println!("{head},,,too short,,,,"),
            Outlook::Ready {
                backtest, shortage, ..
            } => {
                println!(
                    "{head},{peak:.1},{high:.1},{},{:.2},{},{:.1},{:.2}",
                    shortage.map(|d| d.to_string()).unwrap_or_default(),
                    backtest.mae,
                    backtest.mape.map(|m| format!("{m:.1}")).unwrap_or_default(),
                    backtest.coverage,
                    backtest.naive_mae
                );
                mapes.extend(backtest.mape);
                scored += 1;
                if backtest.mae < backtest.naive_mae {
                    better += 1;
                }
            }
        }
    }
    mapes.sort_by(f64::total_cmp);
    if let Some(median) = mapes.get(mapes.len() / 2) {
        eprintln!(
            "backtest over the last 28 days: median MAPE {median:.1} % across {scored} series; \
             the model beats \"same weekday a week before\" on {better} of {scored}"
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn chargeback(
    data: &Path,
    (from, to): (NaiveDate, NaiveDate),
    by: lmscope::analytics::chargeback::By,
    format: &str,
) -> Result<ExitCode> {
    use lmscope::analytics::chargeback as cb;
    if !matches!(format, "csv" | "json") {
        bail!("--format `{format}`: use csv or json");
    }
    let (db, path) = lmscope::publish::files::open(data)?;
    let [a, b] = cb::params(from, to);
    let usage = lmscope::publish::files::rows(&db, &cb::usage_sql(by), &[&a, &b])
        .with_context(|| format!("{path}: usage"))?;
    let bill = lmscope::publish::files::rows(&db, &cb::bill_sql(), &[&a, &b])
        .with_context(|| format!("{path}: license bill"))?;
    let statement = cb::statement(by, from, to, &usage, &bill);
    if format == "json" {
        println!("{}", statement.to_json());
    } else {
        print!("{}", statement.to_csv());
    }
    Ok(ExitCode::SUCCESS)
}
