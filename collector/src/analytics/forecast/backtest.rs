//! Rolling-origin backtests: each candidate model is fitted on the history up to several
//! cut-offs (origins) and scored on the [`DAYS`] after each. The scores choose the model
//! (lowest mean absolute error; MASE scales it by the seasonal naive forecast's error on
//! the same days, so below 1 means better than "the same weekday a week before"), calibrate
//! its 95 % band (split-conformal: the band's width multiplier is the 95th percentile of the
//! errors in units of the model's own standard deviation), and check both: the coverage and
//! the shortage probabilities are scored at each origin with the multiplier learned from
//! the other origins only.

use serde::Serialize;

use super::models::{fit, Fitted, Kind, MIN_FIT};
use super::risk::{paths, reaches, within};

/// Days forecast and scored after each origin.
pub const DAYS: usize = 30;
/// Origins at most, [`STEP`] days apart, the last [`DAYS`] before the end.
pub const ORIGINS: usize = 6;
/// Days between origins.
pub const STEP: usize = 14;
/// Origins at least: calibrating on one and checking on another needs two.
pub const MIN_ORIGINS: usize = 2;
/// Days of history a series needs: the first origin's fit, and the backtests.
pub const MIN_DAYS: usize = MIN_FIT + DAYS + (MIN_ORIGINS - 1) * STEP;
/// The interval's nominal coverage.
pub const LEVEL: f64 = 0.95;

/// The origins (history lengths) of a series of `n` days, oldest first.
pub fn origins(n: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut next = n.checked_sub(DAYS);
    while let Some(o) = next.filter(|o| *o >= MIN_FIT && out.len() < ORIGINS) {
        out.push(o);
        next = o.checked_sub(STEP);
    }
    out.reverse();
    out
}

/// A candidate's score over all origins.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    pub kind: Kind,
    /// Mean absolute error, licenses.
    pub mae: f64,
    /// `mae` over the seasonal naive forecast's on the same days; `None` when that made none.
    pub mase: Option<f64>,
}

/// The chosen model's backtest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Backtest {
    pub origins: usize,
    /// Days scored after each origin.
    pub days: usize,
    /// Mean absolute error, licenses.
    pub mae: f64,
    /// Mean absolute percentage error over days with use, percent.
    pub mape: Option<f64>,
    /// The seasonal naive forecast's mean absolute error on the same days.
    pub naive_mae: f64,
    pub mase: Option<f64>,
    /// Share of held-out days inside the calibrated 95 % band, percent (each origin's band
    /// calibrated on the other origins).
    pub coverage: f64,
    /// The band's mean width on those days, licenses.
    pub width: f64,
    /// The band's half-width in units of the model's standard deviation, from all origins.
    pub multiplier: f64,
    /// Each origin's probability of running out within [`DAYS`] and whether it did.
    pub calls: Vec<(f64, bool)>,
    /// Every candidate's score, in [`Kind::ALL`] order.
    pub candidates: Vec<Candidate>,
}

/// One model's forecast from one origin.
struct Run {
    fitted: Fitted,
    means: Vec<f64>,
    spreads: Vec<f64>,
}

/// The conformal quantile of `scores`: the ⌈(m + 1) · 95 %⌉-th smallest of m.
fn quantile(mut scores: Vec<f64>) -> f64 {
    if scores.is_empty() {
        return 0.0;
    }
    scores.sort_by(f64::total_cmp);
    let m = scores.len();
    let rank = ((m + 1) as f64 * LEVEL).ceil() as usize;
    scores[rank.clamp(1, m) - 1]
}

/// |error| in units of the forecast's standard deviation (0 when both are 0).
fn score(error: f64, spread: f64) -> f64 {
    if spread > 0.0 {
        error.abs() / spread
    } else if error == 0.0 {
        0.0
    } else {
        f64::MAX
    }
}

/// The normal 97.5 % quantile: a multiplier of this size is the model's own 95 % band.
pub const Z95: f64 = 1.959_963_984_540_054;

/// Backtest every candidate on `y`, choose one, calibrate its band and score its shortage
/// probabilities against `issued`. `None` when `y` is shorter than [`MIN_DAYS`].
pub fn run(y: &[f64], issued: f64, seed: u64) -> Option<(Kind, Backtest)> {
    let origins = origins(y.len());
    if origins.len() < MIN_ORIGINS {
        return None;
    }
    let actual = |o: usize| &y[o..o + DAYS];
    let runs: Vec<(Kind, Vec<Run>)> = Kind::ALL
        .iter()
        .filter_map(|&kind| {
            let runs: Option<Vec<Run>> = origins
                .iter()
                .map(|&o| {
                    let fitted = fit(kind, &y[..o], DAYS)?;
                    Some(Run {
                        means: fitted.means(DAYS),
                        spreads: fitted.spreads(DAYS),
                        fitted,
                    })
                })
                .collect();
            runs.map(|r| (kind, r))
        })
        .collect();
    let mae = |runs: &[Run]| {
        let total: f64 = runs
            .iter()
            .zip(&origins)
            .flat_map(|(r, &o)| r.means.iter().zip(actual(o)).map(|(m, a)| (m - a).abs()))
            .sum();
        total / (runs.len() * DAYS) as f64
    };
    let naive_mae = runs
        .iter()
        .find(|(k, _)| *k == Kind::SeasonalNaive)
        .map(|(_, r)| mae(r))?;
    let mase = |m: f64| (naive_mae > 0.0).then(|| m / naive_mae);
    let candidates: Vec<Candidate> = runs
        .iter()
        .map(|(kind, r)| {
            let m = mae(r);
            Candidate {
                kind: *kind,
                mae: m,
                mase: mase(m),
            }
        })
        .collect();
    let best = candidates
        .iter()
        .enumerate()
        .fold(None::<(usize, f64)>, |best, (i, c)| match best {
            Some((_, m)) if m <= c.mae => best,
            _ => Some((i, c.mae)),
        })?
        .0;
    let (kind, chosen) = &runs[best];

    // Calibration, and its check with each origin left out.
    let scores: Vec<Vec<f64>> = chosen
        .iter()
        .zip(&origins)
        .map(|(r, &o)| {
            r.means
                .iter()
                .zip(&r.spreads)
                .zip(actual(o))
                .map(|((m, s), a)| score(a - m, *s))
                .collect()
        })
        .collect();
    let (mut inside, mut width, mut calls) = (0usize, 0.0, Vec::new());
    for (i, (r, &o)) in chosen.iter().zip(&origins).enumerate() {
        let others: Vec<f64> = scores
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .flat_map(|(_, s)| s.iter().copied())
            .collect();
        let q = quantile(others);
        inside += scores[i].iter().filter(|s| **s <= q).count();
        width += r.spreads.iter().map(|s| 2.0 * q * s).sum::<f64>();
        let simulated = paths(&r.fitted, q / Z95, issued, DAYS, seed ^ o as u64);
        let hit = actual(o).iter().any(|a| reaches(*a, issued));
        calls.push((within(&simulated, DAYS), hit));
    }
    let days = (origins.len() * DAYS) as f64;
    let used: Vec<f64> = chosen
        .iter()
        .zip(&origins)
        .flat_map(|(r, &o)| {
            r.means
                .iter()
                .zip(actual(o))
                .filter(|(_, a)| **a > 0.0)
                .map(|(m, a)| (m - a).abs() / a)
        })
        .collect();
    let m = candidates[best].mae;
    Some((
        *kind,
        Backtest {
            origins: origins.len(),
            days: DAYS,
            mae: m,
            mape: (!used.is_empty()).then(|| 100.0 * used.iter().sum::<f64>() / used.len() as f64),
            naive_mae,
            mase: mase(m),
            coverage: 100.0 * inside as f64 / days,
            width: width / days,
            multiplier: quantile(scores.concat()),
            calls,
            candidates,
        },
    ))
}
