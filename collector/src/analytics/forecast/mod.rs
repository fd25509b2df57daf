//! Forecasts of a feature's daily peak concurrency, and the chance it runs out. Several
//! models are backtested from rolling origins ([`backtest`]), the one that did best is
//! fitted to the whole history ([`models`]), its 95 % band is calibrated by the backtests'
//! errors, and its simulated futures give the probability that the daily peak reaches the
//! issued count within 30 and 90 days ([`risk`]). Pure: numbers in, numbers out; the site
//! runs it in wasm over the published daily peaks.

pub mod backtest;
pub mod models;
pub mod risk;

use chrono::{NaiveDate, TimeDelta};
use serde::Serialize;

pub use backtest::{Backtest, MIN_DAYS, Z95};
pub use models::{filter, fit_ets, initial_state, Kind, Model, Params, State, SEASON};
pub use risk::Risk;

/// Days forecast.
pub const HORIZON: usize = 90;
/// A feature is projected short when the chance its daily peak reaches the issued count
/// within [`HORIZON`] days is at least this.
pub const SHORTAGE_PROBABILITY: f64 = 0.5;

/// One forecast day: the mean and the calibrated 95 % band (never below zero).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Point {
    pub day: NaiveDate,
    pub mean: f64,
    pub low: f64,
    pub high: f64,
}

/// A feature's forecast, or why there is none.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Outlook {
    /// Not enough history to fit and check a model.
    TooShort { days: usize, needed: usize },
    Ready {
        points: Vec<Point>,
        backtest: Box<Backtest>,
        /// The model the backtest chose.
        model: Kind,
        params: Option<Params>,
        risk: Risk,
    },
}

/// Daily peaks (day, peak) with gaps → one value per day from the first to the last,
/// a missing day taking the day before's value.
pub fn daily(points: &[(NaiveDate, f64)]) -> (Option<NaiveDate>, Vec<f64>) {
    let Some(&(first, _)) = points.first() else {
        return (None, Vec::new());
    };
    let mut out: Vec<f64> = Vec::new();
    for &(day, v) in points {
        let index = (day - first).num_days();
        if index < 0 {
            continue;
        }
        let index = index as usize;
        while out.len() < index {
            let last = out.last().copied().unwrap_or(v);
            out.push(last);
        }
        if out.len() == index {
            out.push(v);
        } else if let Some(x) = out.get_mut(index) {
            *x = x.max(v);
        }
    }
    (Some(first), out)
}

/// Forecast the [`HORIZON`] days after the history `peaks` (daily, from `first`) with the
/// model its backtest chose, against `issued` licenses; `seed` fixes the simulations.
pub fn outlook(first: NaiveDate, peaks: &[f64], issued: f64, seed: u64) -> Outlook {
    let too_short = Outlook::TooShort {
        days: peaks.len(),
        needed: MIN_DAYS,
    };
    let Some((model, backtest)) = backtest::run(peaks, issued, seed) else {
        return too_short;
    };
    let Some(fitted) = models::fit(model, peaks, HORIZON) else {
        return too_short;
    };
    let start = first + TimeDelta::days(peaks.len() as i64);
    let q = backtest.multiplier;
    let points = fitted
        .means(HORIZON)
        .into_iter()
        .zip(fitted.spreads(HORIZON))
        .enumerate()
        .map(|(k, (mean, spread))| Point {
            day: start + TimeDelta::days(k as i64),
            mean: mean.max(0.0),
            low: (mean - q * spread).max(0.0),
            high: (mean + q * spread).max(0.0),
        })
        .collect();
    let risk = Risk::from_paths(
        &risk::paths(&fitted, q / Z95, issued, HORIZON, seed),
        issued,
    );
    Outlook::Ready {
        points,
        backtest: Box::new(backtest),
        model,
        params: fitted.params(),
        risk,
    }
}

/// One modelled series: a server's feature, its daily peaks and its outlook.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeriesOutlook {
    pub server: String,
    pub feature: String,
    pub first: NaiveDate,
    pub peaks: Vec<f64>,
    pub issued: f64,
    pub outlook: Outlook,
}

impl SeriesOutlook {
    /// The projected shortage as recommendations and the summary take it.
    pub fn as_shortage(&self) -> Option<crate::analytics::recommend::Shortage> {
        let (probability, day) = self.shortage()?;
        let (mean, _) = self.peak_and_high()?;
        let Outlook::Ready { risk, .. } = &self.outlook else {
            return None;
        };
        Some(crate::analytics::recommend::Shortage {
            server: self.server.clone(),
            feature: self.feature.clone(),
            probability,
            p30: risk.p30,
            day,
            mean,
            seats: risk.seats_to_half,
        })
    }

    /// The forecast's highest mean and highest upper bound (`None` when too short).
    pub fn peak_and_high(&self) -> Option<(f64, f64)> {
        match &self.outlook {
            Outlook::Ready { points, .. } => Some((
                points.iter().map(|p| p.mean).fold(0.0, f64::max),
                points.iter().map(|p| p.high).fold(0.0, f64::max),
            )),
            Outlook::TooShort { .. } => None,
        }
    }

    /// The first day forecast.
    pub fn start(&self) -> NaiveDate {
        self.first + TimeDelta::days(self.peaks.len() as i64)
    }

    /// The projected shortage, when the chance of running out within [`HORIZON`] days is at
    /// least [`SHORTAGE_PROBABILITY`]: that chance and the median first day among the
    /// simulations that do.
    pub fn shortage(&self) -> Option<(f64, Option<NaiveDate>)> {
        match &self.outlook {
            Outlook::Ready { risk, .. } if risk.p90 >= SHORTAGE_PROBABILITY => {
                Some((risk.p90, self.first_day_within(HORIZON)))
            }
            _ => None,
        }
    }

    /// The median first day of running out among the simulations that do within `days`.
    pub fn first_day_within(&self, days: usize) -> Option<NaiveDate> {
        match &self.outlook {
            Outlook::Ready { risk, .. } => risk
                .median_first_within(days)
                .map(|d| self.start() + TimeDelta::days(d as i64 - 1)),
            Outlook::TooShort { .. } => None,
        }
    }

    /// What the numbers mean, in one sentence: the chance of running out, and the model
    /// with its backtest score.
    pub fn sentence(&self) -> String {
        match &self.outlook {
            Outlook::TooShort { days, needed } => {
                format!("No forecast: {days} days of history, {needed} needed.")
            }
            Outlook::Ready {
                backtest,
                model,
                risk,
                ..
            } => {
                let end = self.start() + TimeDelta::days(HORIZON as i64 - 1);
                let chance = in_ten(risk.p90);
                let when = match self.shortage() {
                    Some((_, Some(day))) => format!(", most likely first on {day}"),
                    _ => String::new(),
                };
                let mase = backtest.mase.map_or(
                    "no MASE (the naive forecast made no error)".to_owned(),
                    |m| format!("MASE {m:.2}"),
                );
                format!(
                    "{chance} of running out by {end}{when}; model: {}, {mase} over {} backtests.",
                    model.label(),
                    backtest.origins
                )
            }
        }
    }
}

/// How the forecasts did over every series' backtests: the figures that say whether to
/// trust them.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Scorecard {
    /// Series with a forecast.
    pub series: usize,
    /// Of those, the ones whose chosen model beat seasonal naive (MASE below 1).
    pub beat_naive: usize,
    /// Median MASE of the chosen models.
    pub median_mase: Option<f64>,
    /// Held-out days inside the calibrated 95 % band, over all series, percent.
    pub coverage: f64,
    /// Backtest shortage calls (one per series and origin) and their Brier score.
    pub calls: usize,
    pub brier: Option<f64>,
    /// Calls of at least [`SHORTAGE_PROBABILITY`], and how many of them did run out.
    pub warned: usize,
    pub warned_hit: usize,
    /// Calls below it, and how many of them ran out all the same.
    pub quiet: usize,
    pub quiet_hit: usize,
    /// The chosen model of each kind, in [`Kind::ALL`] order.
    pub chosen: Vec<(Kind, usize)>,
    /// Series projected short now.
    pub short: usize,
}

impl Scorecard {
    /// Over every ready outlook of `all`.
    pub fn of(all: &[SeriesOutlook]) -> Self {
        let mut card = Scorecard::default();
        let (mut inside, mut days, mut squared) = (0.0, 0.0, 0.0);
        let mut mases = Vec::new();
        let mut chosen = [0usize; Kind::ALL.len()];
        for s in all {
            let Outlook::Ready {
                backtest, model, ..
            } = &s.outlook
            else {
                continue;
            };
            card.series += 1;
            if let Some(m) = backtest.mase {
                mases.push(m);
                card.beat_naive += usize::from(m < 1.0);
            }
            let n = (backtest.origins * backtest.days) as f64;
            inside += backtest.coverage / 100.0 * n;
            days += n;
            for (p, hit) in &backtest.calls {
                card.calls += 1;
                squared += (p - f64::from(u8::from(*hit))).powi(2);
                if *p >= SHORTAGE_PROBABILITY {
                    card.warned += 1;
                    card.warned_hit += usize::from(*hit);
                } else {
                    card.quiet += 1;
                    card.quiet_hit += usize::from(*hit);
                }
            }
            if let Some(i) = Kind::ALL.iter().position(|k| k == model) {
                chosen[i] += 1;
            }
            card.short += usize::from(s.shortage().is_some());
        }
        mases.sort_by(f64::total_cmp);
        card.median_mase = mases.get(mases.len() / 2).copied();
        card.coverage = if days > 0.0 {
            100.0 * inside / days
        } else {
            0.0
        };
        card.brier = (card.calls > 0).then(|| squared / card.calls as f64);
        card.chosen = Kind::ALL.iter().copied().zip(chosen).collect();
        card
    }

    /// The card in two sentences, for the page and the CLI.
    pub fn text(&self) -> String {
        let models: Vec<String> = self
            .chosen
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(k, n)| format!("{} {n}", k.label()))
            .collect();
        format!(
            "Backtests ({} days after each of up to {} origins, {} days apart): the chosen model \
             beats seasonal naive (MASE < 1) on {} of {} series (median MASE {}; chosen: {}); \
             the calibrated 95 % band held {:.1} % of held-out days. Shortage calls: {} of {} \
             warnings (chance ≥ {:.0} %) ran out within {} days, {} of {} others did; Brier \
             score {}.",
            backtest::DAYS,
            backtest::ORIGINS,
            backtest::STEP,
            self.beat_naive,
            self.series,
            self.median_mase
                .map_or("–".to_owned(), |m| format!("{m:.2}")),
            models.join(", "),
            self.coverage,
            self.warned_hit,
            self.warned,
            100.0 * SHORTAGE_PROBABILITY,
            backtest::DAYS,
            self.quiet_hit,
            self.quiet,
            self.brier.map_or("–".to_owned(), |b| format!("{b:.3}")),
        )
    }
}

/// A probability as "N in 10 chance", with "under 1 in 10" and "almost certain" at the ends.
pub fn in_ten(p: f64) -> String {
    let tenths = (p * 10.0).round() as u32;
    if p >= 0.995 {
        "Almost certain".to_owned()
    } else if tenths >= 10 {
        "Over 9 in 10 chance".to_owned()
    } else if tenths == 0 {
        if p == 0.0 {
            "No simulated chance".to_owned()
        } else {
            "Under 1 in 10 chance".to_owned()
        }
    } else {
        format!("{tenths} in 10 chance")
    }
}

/// The outlook of every series in rows of `views::daily_peaks` (server, feature, day,
/// peak, issued), in server and feature order; the issued count is the latest day's.
pub fn outlooks(rows: &[Vec<serde_json::Value>]) -> Vec<SeriesOutlook> {
    let mut by: crate::analytics::alerts::Series<(NaiveDate, f64, f64)> =
        std::collections::BTreeMap::new();
    for r in rows {
        let text = |i: usize| r.get(i).and_then(|v| v.as_str()).map(str::to_owned);
        let num = |i: usize| r.get(i).and_then(serde_json::Value::as_f64);
        if let (Some(server), Some(feature), Some(day), Some(peak), Some(issued)) =
            (text(0), text(1), text(2), num(3), num(4))
        {
            if let Ok(day) = day.parse::<NaiveDate>() {
                by.entry((server, feature))
                    .or_default()
                    .push((day, peak, issued));
            }
        }
    }
    by.into_iter()
        .filter_map(|((server, feature), rows)| {
            let issued = rows.last().map_or(0.0, |r| r.2);
            let points: Vec<(NaiveDate, f64)> = rows.iter().map(|r| (r.0, r.1)).collect();
            let (first, peaks) = daily(&points);
            let first = first?;
            let outlook = outlook(first, &peaks, issued, risk::seed(&server, &feature));
            Some(SeriesOutlook {
                server,
                feature,
                first,
                peaks,
                issued,
                outlook,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests;
