//! Forecasts of a feature's daily peak concurrency: additive Holt-Winters (level, trend and
//! a weekly season, in the error-correction form statsmodels and Hyndman & Athanasopoulos
//! use) fitted by least squares on one-step errors, with 95 % prediction
//! intervals, and a backtest on the most recent weeks so the site can say how wrong the
//! model was, not how confident it feels. Pure: numbers in, numbers out; the site runs it in
//! wasm over the published daily peaks.

use chrono::{NaiveDate, TimeDelta};
use serde::Serialize;

/// The season: a week of days.
pub const SEASON: usize = 7;
/// Days held out for the backtest.
pub const HOLDOUT: usize = 28;
/// Days of history needed: four weeks to fit after the first week, plus the holdout.
pub const MIN_DAYS: usize = 5 * SEASON + HOLDOUT;
/// Days forecast.
pub const HORIZON: usize = 90;
/// z for a 95 % interval.
const Z95: f64 = 1.959_963_984_540_054;

/// Smoothing parameters: level, trend, season.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Params {
    pub alpha: f64,
    pub beta: f64,
    pub gamma: f64,
}

/// The model's state after the last observation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct State {
    pub level: f64,
    pub trend: f64,
    /// Seasonal terms by position in the cycle (`t % SEASON`).
    pub season: [f64; SEASON],
    /// Observations seen.
    pub n: usize,
}

/// The starting state from the first two weeks: level the first week's mean, trend the
/// change of the weekly mean per day, season the first week's deviations from its mean.
pub fn initial_state(y: &[f64]) -> Option<State> {
    if y.len() < 2 * SEASON {
        return None;
    }
    let mean = |w: &[f64]| w.iter().sum::<f64>() / w.len() as f64;
    let (first, second) = (mean(&y[..SEASON]), mean(&y[SEASON..2 * SEASON]));
    let mut season = [0.0; SEASON];
    for (i, s) in season.iter_mut().enumerate() {
        *s = y[i] - first;
    }
    Some(State {
        level: first,
        trend: (second - first) / SEASON as f64,
        season,
        n: 0,
    })
}

/// Run the recursions over `y` from `state`: the state after it and the one-step errors.
pub fn filter(y: &[f64], p: Params, mut state: State) -> (State, Vec<f64>) {
    let mut errors = Vec::with_capacity(y.len());
    for &obs in y {
        let slot = state.n % SEASON;
        let s = state.season[slot];
        let predicted = state.level + state.trend + s;
        errors.push(obs - predicted);
        let level = p.alpha * (obs - s) + (1.0 - p.alpha) * (state.level + state.trend);
        state.season[slot] = p.gamma * (obs - state.level - state.trend) + (1.0 - p.gamma) * s;
        state.trend = p.beta * (level - state.level) + (1.0 - p.beta) * state.trend;
        state.level = level;
        state.n += 1;
    }
    (state, errors)
}

/// A fitted model: parameters, state at the end of the history, and the standard deviation
/// of its one-step errors (after the first week, which the start state came from).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Model {
    pub params: Params,
    pub state: State,
    pub sigma: f64,
}

/// Least squares over a grid of parameters (level 0.05–0.95, trend 0–0.2, season 0.05–0.5).
pub fn fit(y: &[f64]) -> Option<Model> {
    let start = initial_state(y)?;
    let alphas = [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.95];
    let betas = [0.0, 0.01, 0.03, 0.1, 0.2];
    let gammas = [0.05, 0.1, 0.2, 0.3, 0.5];
    let mut best: Option<(f64, Model)> = None;
    for &alpha in &alphas {
        for &beta in &betas {
            for &gamma in &gammas {
                let params = Params { alpha, beta, gamma };
                let (state, errors) = filter(y, params, start.clone());
                let tail = &errors[SEASON..];
                let sse: f64 = tail.iter().map(|e| e * e).sum();
                if best.as_ref().is_none_or(|(b, _)| sse < *b) {
                    let sigma = (sse / (tail.len().max(2) - 1) as f64).sqrt();
                    best = Some((
                        sse,
                        Model {
                            params,
                            state,
                            sigma,
                        },
                    ));
                }
            }
        }
    }
    best.map(|(_, m)| m)
}

/// One forecast day: the mean and the 95 % prediction interval (never below zero).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Point {
    pub day: NaiveDate,
    pub mean: f64,
    pub low: f64,
    pub high: f64,
}

impl Model {
    /// `h` days ahead, the first being `first`. The interval widens with the horizon as the
    /// additive model's forecast variance does (Hyndman & Athanasopoulos, ETS(A,A,A)):
    /// σ² (1 + Σ_{j<k} c_j²), c_j = α(1 + jβ), plus γ when j is a whole number of seasons.
    pub fn forecast(&self, first: NaiveDate, h: usize) -> Vec<Point> {
        let Params { alpha, beta, gamma } = self.params;
        let s = &self.state;
        let mut sum_c2 = 0.0;
        (1..=h)
            .map(|k| {
                if k > 1 {
                    let j = (k - 1) as f64;
                    let seasonal = if (k - 1) % SEASON == 0 { gamma } else { 0.0 };
                    let c = alpha * (1.0 + j * beta) + seasonal;
                    sum_c2 += c * c;
                }
                let mean = s.level + k as f64 * s.trend + s.season[(s.n + k - 1) % SEASON];
                let half = Z95 * self.sigma * (1.0 + sum_c2).sqrt();
                Point {
                    day: first + TimeDelta::days(k as i64 - 1),
                    mean: mean.max(0.0),
                    low: (mean - half).max(0.0),
                    high: (mean + half).max(0.0),
                }
            })
            .collect()
    }
}

/// How the model did on the last [`HOLDOUT`] days when fitted without them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Backtest {
    pub days: usize,
    /// Mean absolute error, licenses.
    pub mae: f64,
    /// Mean absolute percentage error over days with use, percent.
    pub mape: Option<f64>,
    /// Share of held-out days inside the 95 % interval, percent.
    pub coverage: f64,
    /// The same error for "as on the same weekday a week before", for comparison.
    pub naive_mae: f64,
}

/// Fit on all but the last [`HOLDOUT`] days of `y` and score the forecast of those days.
pub fn backtest(y: &[f64], first: NaiveDate) -> Option<Backtest> {
    if y.len() < MIN_DAYS {
        return None;
    }
    let cut = y.len() - HOLDOUT;
    let model = fit(&y[..cut])?;
    let points = model.forecast(first + TimeDelta::days(cut as i64), HOLDOUT);
    let actual = &y[cut..];
    let n = actual.len() as f64;
    let mae = points
        .iter()
        .zip(actual)
        .map(|(p, a)| (p.mean - a).abs())
        .sum::<f64>()
        / n;
    let used: Vec<f64> = points
        .iter()
        .zip(actual)
        .filter(|(_, a)| **a > 0.0)
        .map(|(p, a)| (p.mean - a).abs() / a)
        .collect();
    let mape = (!used.is_empty()).then(|| 100.0 * used.iter().sum::<f64>() / used.len() as f64);
    let inside = points
        .iter()
        .zip(actual)
        .filter(|(p, a)| **a >= p.low && **a <= p.high)
        .count();
    let naive_mae = (cut..y.len())
        .map(|t| (y[t] - y[t - SEASON]).abs())
        .sum::<f64>()
        / n;
    Some(Backtest {
        days: HOLDOUT,
        mae,
        mape,
        coverage: 100.0 * inside as f64 / n,
        naive_mae,
    })
}

/// A feature's forecast, or why there is none.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Outlook {
    /// Not enough history to fit and check a model.
    TooShort { days: usize, needed: usize },
    Ready {
        points: Vec<Point>,
        backtest: Backtest,
        params: Params,
        /// The first day the interval's upper bound reaches the issued count.
        shortage: Option<NaiveDate>,
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

/// Forecast the [`HORIZON`] days after the history `peaks` (daily, from `first`), against
/// `issued` licenses.
pub fn outlook(first: NaiveDate, peaks: &[f64], issued: f64) -> Outlook {
    let Some(backtest) = backtest(peaks, first) else {
        return Outlook::TooShort {
            days: peaks.len(),
            needed: MIN_DAYS,
        };
    };
    let Some(model) = fit(peaks) else {
        return Outlook::TooShort {
            days: peaks.len(),
            needed: MIN_DAYS,
        };
    };
    let start = first + TimeDelta::days(peaks.len() as i64);
    let points = model.forecast(start, HORIZON);
    let shortage = points
        .iter()
        .find(|p| issued > 0.0 && p.high >= issued)
        .map(|p| p.day);
    Outlook::Ready {
        points,
        backtest,
        params: model.params,
        shortage,
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
            let outlook = outlook(first, &peaks, issued);
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
mod tests {
    use super::*;

    fn day0() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, 5).expect("a Monday")
    }

    /// 10 + 0.1 t plus a weekday pattern (weekends low), no noise.
    fn series(n: usize) -> Vec<f64> {
        let week = [3.0, 4.0, 4.0, 3.0, 2.0, -8.0, -8.0];
        (0..n)
            .map(|t| 10.0 + 0.1 * t as f64 + week[t % 7])
            .collect()
    }

    #[test]
    fn a_trend_with_a_weekly_season_is_forecast_exactly() {
        let y = series(84);
        let model = fit(&y).expect("fits");
        let points = model.forecast(day0() + TimeDelta::days(84), 14);
        let truth = series(98);
        for (k, p) in points.iter().enumerate() {
            assert!(
                (p.mean - truth[84 + k]).abs() < 0.05,
                "day {k}: {} vs {}",
                p.mean,
                truth[84 + k]
            );
        }
        assert!(model.sigma < 0.1, "{}", model.sigma);
        let bt = backtest(&y, day0()).expect("long enough");
        assert!(bt.mae < 0.05, "{bt:?}");
        assert!(
            bt.naive_mae > 0.6,
            "a week-old value misses the trend: {bt:?}"
        );
    }

    #[test]
    fn intervals_widen_with_the_horizon_and_cover_noise() {
        // A flat 20 with ±3 alternating noise: the mean stays near 20, the interval grows.
        let y: Vec<f64> = (0..120)
            .map(|t| 20.0 + if (t * 7919) % 3 == 0 { 3.0 } else { -1.5 })
            .collect();
        let model = fit(&y).expect("fits");
        let points = model.forecast(day0(), 60);
        assert!((points[0].mean - 20.0).abs() < 3.0, "{:?}", points[0]);
        let width = |p: &Point| p.high - p.low;
        assert!(width(&points[59]) >= width(&points[0]));
        assert!(points.iter().all(|p| p.low <= p.mean && p.mean <= p.high));
        let bt = backtest(&y, day0()).expect("long enough");
        assert!(bt.coverage >= 80.0, "{bt:?}");
    }

    #[test]
    fn short_history_says_so_and_shortage_is_dated() {
        match outlook(day0(), &series(40), 30.0) {
            Outlook::TooShort { days, needed } => assert_eq!((days, needed), (40, MIN_DAYS)),
            other => panic!("{other:?}"),
        }
        // Peaks grow 0.1 a day from about 18 (weekday); 30 issued is reached within 90 days.
        let y = series(84);
        let Outlook::Ready {
            shortage, points, ..
        } = outlook(day0(), &y, 30.0)
        else {
            panic!("long enough");
        };
        let first_over = points.iter().find(|p| p.high >= 30.0).map(|p| p.day);
        assert_eq!(shortage, first_over);
        assert!(shortage.is_some());
        let Outlook::Ready { shortage, .. } = outlook(day0(), &y, 1000.0) else {
            panic!("long enough");
        };
        assert_eq!(shortage, None);
    }

    #[test]
    fn gaps_are_filled_with_the_day_before() {
        let d = |n: i64| day0() + TimeDelta::days(n);
        let (first, y) = daily(&[(d(0), 5.0), (d(1), 7.0), (d(4), 2.0), (d(4), 3.0)]);
        assert_eq!(first, Some(day0()));
        assert_eq!(y, vec![5.0, 7.0, 7.0, 7.0, 3.0]);
    }

    /// statsmodels 0.15.0 (`tests/reference/holt_winters.py`, fixed parameters and the
    /// same starting state): identical one-step predictions, final level, trend and seasonal
    /// terms, and forecasts. One known difference: for horizons on the weekday of the last
    /// observation (7, 14, ...), statsmodels' forecast takes that weekday's seasonal term
    /// from before the last observation updated it; here, as in the ETS(A,A,A) equations,
    /// the updated term is used. Those horizons are checked against the state instead.
    #[test]
    fn statsmodels_reference() {
        let y = [
            11.5, 13.8, 15.1, 12.1, 12.4, 3.7, 1.7, 14.0, 16.3, 14.3, 14.6, 11.6, 2.9, 4.2, 13.2,
            15.5, 16.8, 13.8, 14.1, 5.4, 3.4, 15.7, 14.7, 16.0, 16.3, 13.3, 4.6, 5.9, 14.9, 17.2,
            18.5, 15.5, 15.8, 3.8, 5.1, 17.4, 16.4, 17.7, 18.0, 15.0, 6.3, 7.6, 16.6, 18.9, 16.9,
            17.2, 17.5, 5.5, 6.8, 19.1, 18.1, 19.4, 19.7, 16.7, 8.0, 6.0, 18.3, 20.6, 18.6, 18.9,
            19.2, 7.2, 8.5, 20.8, 19.8, 21.1, 18.1, 18.4, 9.7, 7.7,
        ];
        let fitted = [
            11.6551020408,
            14.0590204082,
            15.4239926531,
            12.4597534449,
            12.7739933958,
            4.0727415596,
            2.0606830275,
            11.810401156,
            14.901128546,
            16.8043930871,
            13.1673887638,
            14.0587682428,
            4.7120691883,
            2.2071791136,
            13.1801649477,
            15.4038849655,
            16.0386542232,
            14.1697291404,
            13.689017116,
            5.3655622496,
            4.2639765188,
            13.9879962896,
            16.7880582862,
            16.8885318815,
            14.2368423733,
            14.6535392425,
            5.6838835061,
            3.9920337016,
            15.070905805,
            16.4976687038,
            17.7104622983,
            16.2381714978,
            15.1327303131,
            6.8854727281,
            5.1936927664,
            15.1984196063,
            17.5248772475,
            18.1654347663,
            15.9319464177,
            15.9544837786,
            6.4265218516,
            6.2659218522,
            17.2460064328,
            18.0554407274,
            19.4803450237,
            17.1172612851,
            15.8783172851,
            7.3047032578,
            6.8983289605,
            16.9752624033,
            18.9197432795,
            19.1161571061,
            18.1866532832,
            17.7693055165,
            7.707013211,
            8.3380468744,
            18.1873128043,
            18.8785554227,
            20.0735515144,
            18.8255169748,
            17.3796005844,
            8.4629902981,
            8.0606568685,
            19.2762410801,
            20.7978433098,
            20.5417617982,
            20.2775327539,
            18.5022961071,
            8.3316195548,
            9.0775254899,
        ];
        let season = [
            3.239580344,
            3.6518986778,
            3.8884859868,
            2.7749836701,
            1.9987325408,
            -7.9133726238,
            -8.2344661775,
        ];
        let forecast = [
            19.92878767,
            20.4070844074,
            20.7096501199,
            19.6621262068,
            18.9518534809,
            9.1057267198,
            9.1261166677,
            20.3906364947,
            20.8689332321,
            21.1714989446,
            20.1239750315,
            19.4137023056,
            9.5675755446,
            9.5879654924,
        ];
        let params = Params {
            alpha: 0.3,
            beta: 0.1,
            gamma: 0.2,
        };
        let start = initial_state(&y).expect("two weeks");
        let (state, errors) = filter(&y, params, start);
        for (t, (e, f)) in errors.iter().zip(fitted).enumerate() {
            assert!((y[t] - e - f).abs() < 1e-6, "t = {t}: {} vs {f}", y[t] - e);
        }
        assert!((state.level - 16.6232289225).abs() < 1e-6);
        assert!((state.trend - 0.0659784035).abs() < 1e-6);
        // statsmodels lists the terms of the last seven days, t = 63..69: slots 0..6.
        for (slot, s) in season.iter().enumerate() {
            assert!((state.season[slot] - s).abs() < 1e-6, "slot {slot}");
        }
        let model = Model {
            params,
            state: state.clone(),
            sigma: 1.0,
        };
        let last_slot = (y.len() - 1) % SEASON;
        for (k, (p, f)) in model.forecast(day0(), 14).iter().zip(forecast).enumerate() {
            let h = k + 1;
            if (y.len() + h - 1) % SEASON == last_slot {
                let expected = state.level + h as f64 * state.trend + state.season[last_slot];
                assert!((p.mean - expected).abs() < 1e-9);
            } else {
                assert!((p.mean - f).abs() < 1e-6, "h = {h}: {} vs {f}", p.mean);
            }
        }
    }
}
