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
    println!(
        "server,feature,days,issued,model,mase,backtests,forecast_peak,upper_bound,\
         p_short_30d,p_short_90d,first_short_day,mae,mape_pct,in_band_pct,band_width,\
         naive_mae,meaning"
    );
    let field = lmscope::analytics::chargeback::csv_field;
    let all = lmscope::analytics::forecast::outlooks(&rows);
    for s in &all {
        let head = format!(
            "{},{},{},{:.0}",
            field(&s.server),
            field(&s.feature),
            s.peaks.len(),
            s.issued
        );
        let (peak, high) = s.peak_and_high().unwrap_or_default();
        match &s.outlook {
            Outlook::TooShort { .. } => {
                println!("{head},too short,,,,,,,,,,,,,{}", field(&s.sentence()))
            }
            Outlook::Ready {
                backtest,
                model,
                risk,
                ..
            } => {
                let first = s
                    .shortage()
                    .and_then(|(_, d)| d)
                    .map(|d| d.to_string())
                    .unwrap_or_default();
                let opt = |v: Option<f64>, digits: usize| {
                    v.map(|v| format!("{v:.digits$}")).unwrap_or_default()
                };
                println!(
                    "{head},{},{},{},{peak:.1},{high:.1},{:.3},{:.3},{first},{:.2},{},{:.1},{:.1},{:.2},{}",
                    field(model.label()),
                    opt(backtest.mase, 2),
                    backtest.origins,
                    risk.p30,
                    risk.p90,
                    backtest.mae,
                    opt(backtest.mape, 1),
                    backtest.coverage,
                    backtest.width,
                    backtest.naive_mae,
                    field(&s.sentence()),
                );
            }
        }
    }
    eprintln!(
        "{}",
        lmscope::analytics::forecast::Scorecard::of(&all).text()
    );
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
