//! The forecast's models, backtests, calibration and shortage probabilities on series whose
//! answers are known, and the probabilities against an independent Monte Carlo.

use super::models::{fit, Fitted, Kind, YEAR};
use super::*;
use crate::rng::Rng;

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

/// A weekday pattern around `level` with N(0, sd²) noise, rounded to whole licenses.
fn noisy(n: usize, level: f64, sd: f64, seed: u64) -> Vec<f64> {
    let week = [3.0, 4.0, 4.0, 3.0, 2.0, -8.0, -8.0];
    let mut rng = Rng(seed);
    (0..n)
        .map(|t| (level + week[t % 7] + sd * rng.normal()).round().max(0.0))
        .collect()
}

#[test]
fn a_trend_with_a_weekly_season_is_forecast_exactly() {
    let y = series(84);
    let model = fit_ets(&y, false).expect("fits");
    let truth = series(98);
    for (k, p) in model.means(14).iter().enumerate() {
        assert!(
            (p - truth[84 + k]).abs() < 0.05,
            "day {k}: {p} vs {}",
            truth[84 + k]
        );
    }
    assert!(model.sigma < 0.1, "{}", model.sigma);
    let Outlook::Ready {
        backtest, model, ..
    } = outlook(day0(), &y, 1000.0, 1)
    else {
        panic!("long enough");
    };
    assert!(
        matches!(model, Kind::HoltWinters | Kind::DampedHoltWinters),
        "{model:?}"
    );
    assert!(backtest.mae < 0.1, "{backtest:?}");
    assert!(
        backtest.naive_mae > 0.6,
        "a week-old value misses the trend: {backtest:?}"
    );
    assert!(backtest.mase.is_some_and(|m| m < 0.2), "{backtest:?}");
    assert_eq!(backtest.origins, 2, "84 days: origins at 40 and 54");
}

#[test]
fn origins_are_two_weeks_apart_and_end_a_backtest_before_the_end() {
    assert_eq!(backtest::origins(MIN_DAYS - 1).len(), 1);
    assert_eq!(backtest::origins(MIN_DAYS), vec![35, 49]);
    let o = backtest::origins(364);
    assert_eq!(o, vec![264, 278, 292, 306, 320, 334]);
}

#[test]
fn a_flat_noisy_series_gets_a_calibrated_band() {
    // Weekday pattern plus noise of sd 2: the calibrated band covers about 95 % of held-out
    // days, and its half-width is near 1.96 sd.
    let mut covered = Vec::new();
    for seed in 0..20 {
        let y = noisy(300, 20.0, 2.0, seed);
        let Outlook::Ready {
            backtest, points, ..
        } = outlook(day0(), &y, 1000.0, seed)
        else {
            panic!("long enough");
        };
        covered.push(backtest.coverage);
        let width = points[0].high - points[0].low;
        assert!(
            (4.0..14.0).contains(&width),
            "seed {seed}: {width} {backtest:?}"
        );
        assert!(points.iter().all(|p| p.low <= p.mean && p.mean <= p.high));
    }
    let mean = covered.iter().sum::<f64>() / covered.len() as f64;
    assert!((88.0..=99.0).contains(&mean), "{covered:?}");
}

#[test]
fn short_history_says_so() {
    match outlook(day0(), &series(40), 30.0, 1) {
        Outlook::TooShort { days, needed } => assert_eq!((days, needed), (40, MIN_DAYS)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_series_at_its_limit_is_short_and_an_idle_one_is_not() {
    let d = |n: usize| day0() + TimeDelta::days(n as i64);
    // Weekdays at 24–25 of 25 issued: almost certain to run out, and soon.
    let full: Vec<f64> = noisy(200, 21.0, 0.7, 3)
        .iter()
        .map(|v| v.min(25.0))
        .collect();
    let s = SeriesOutlook {
        server: "s".into(),
        feature: "full".into(),
        first: d(0),
        peaks: full.clone(),
        issued: 25.0,
        outlook: outlook(d(0), &full, 25.0, 1),
    };
    let (p, first) = s.shortage().expect("projected short");
    assert!(p > 0.95, "{p}");
    assert!(first.is_some_and(|f| f < d(200 + 7)), "{first:?}");
    assert!(
        s.sentence().contains("of running out by"),
        "{}",
        s.sentence()
    );
    // Peaks around 5 of 40: no chance worth a warning.
    let idle = noisy(200, 5.0, 1.0, 4);
    let Outlook::Ready { risk, .. } = outlook(d(0), &idle, 40.0, 1) else {
        panic!("long enough");
    };
    assert!(risk.p90 < 0.01, "{risk:?}");
}

/// An independent Monte Carlo of a fitted model, written from the textbook recursions in
/// Holt's form (not the error-correction form the product simulates), with its own draws
/// of the model's errors and many more paths.
fn monte_carlo(fitted: &Fitted, scale: f64, issued: f64, days: usize, paths: usize) -> f64 {
    let mut rng = Rng(0xD1CE);
    let mut pick = |errors: &[f64]| errors[(rng.next_u64() % errors.len() as u64) as usize];
    let mut hits = 0;
    for _ in 0..paths {
        let hit = match fitted {
            Fitted::Ets { model, profile, .. } => {
                let p = model.params;
                let (mut l, mut b, mut season, mut n) = (
                    model.state.level,
                    model.state.trend,
                    model.state.season,
                    model.state.n,
                );
                (0..days).any(|k| {
                    let s = season[n % SEASON];
                    let y = l + p.phi * b + s + scale * pick(&model.residuals);
                    let level = p.alpha * (y - s) + (1.0 - p.alpha) * (l + p.phi * b);
                    season[n % SEASON] = p.gamma * (y - l - p.phi * b) + (1.0 - p.gamma) * s;
                    b = p.beta * (level - l) + (1.0 - p.beta) * p.phi * b;
                    l = level;
                    n += 1;
                    y + profile.get(k).copied().unwrap_or(0.0) >= issued - 0.5
                })
            }
            Fitted::SeasonalNaive { week, changes, .. } => {
                let mut path: Vec<f64> = week.to_vec();
                (0..days).any(|k| {
                    let y = path[k] + scale * pick(changes);
                    path.push(y);
                    y >= issued - 0.5
                })
            }
        };
        hits += usize::from(hit);
    }
    hits as f64 / paths as f64
}

#[test]
fn shortage_probabilities_match_an_independent_monte_carlo() {
    let mut checked = 0;
    for (seed, level, issued) in [
        (5, 18.0, 26.0),
        (6, 20.0, 25.0),
        (7, 15.0, 24.0),
        (8, 22.0, 30.0),
    ] {
        let y = noisy(250, level, 1.5, seed);
        let Outlook::Ready {
            backtest,
            risk,
            model,
            ..
        } = outlook(day0(), &y, issued, seed)
        else {
            panic!("long enough");
        };
        let fitted = fit(model, &y, HORIZON).expect("fits");
        let scale = backtest.multiplier / Z95;
        for (days, p) in [(30, risk.p30), (90, risk.p90)] {
            let reference = monte_carlo(&fitted, scale, issued, days, 20_000);
            // Binomial standard errors of the product's 1,000 paths and the reference's.
            let se = (p * (1.0 - p) / 1000.0 + reference * (1.0 - reference) / 20_000.0).sqrt();
            assert!(
                (p - reference).abs() <= 4.0 * se + 0.005,
                "seed {seed}, {days} days, {model:?}: {p} vs {reference}"
            );
            if (0.05..0.95).contains(&reference) {
                checked += 1;
            }
        }
        assert!(risk.p30 <= risk.p90);
    }
    assert!(checked >= 2, "some probabilities are neither 0 nor 1");
}

#[test]
fn last_years_profile_is_chosen_when_a_year_repeats() {
    // Two years and a half of a weekday pattern with a deep lull every 364 days (a
    // "holiday"), noise of sd 1: only the yearly model foresees the lull.
    let week = [3.0, 4.0, 4.0, 3.0, 2.0, -8.0, -8.0];
    let mut rng = Rng(11);
    let n = 2 * YEAR + 80;
    let y: Vec<f64> = (0..n)
        .map(|t| {
            let lull = if (t % YEAR) >= 340 { -12.0 } else { 0.0 };
            (25.0 + week[t % 7] + lull + rng.normal()).max(0.0)
        })
        .collect();
    // Cut where the last backtest's days hold the lull.
    let cut = 2 * YEAR + 360 - YEAR;
    let Outlook::Ready {
        model, backtest, ..
    } = outlook(day0(), &y[..cut], 1000.0, 1)
    else {
        panic!("long enough");
    };
    assert_eq!(model, Kind::Yearly, "{backtest:?}");
    let yearly = &backtest.candidates[3];
    assert!(yearly.mase.is_some_and(|m| m < 0.8), "{backtest:?}");
}

#[test]
fn probabilities_read_as_chances() {
    assert_eq!(in_ten(0.0), "No simulated chance");
    assert_eq!(in_ten(0.03), "Under 1 in 10 chance");
    assert_eq!(in_ten(0.7), "7 in 10 chance");
    assert_eq!(in_ten(0.97), "Over 9 in 10 chance");
    assert_eq!(in_ten(1.0), "Almost certain");
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
        11.5, 13.8, 15.1, 12.1, 12.4, 3.7, 1.7, 14.0, 16.3, 14.3, 14.6, 11.6, 2.9, 4.2, 13.2, 15.5,
        16.8, 13.8, 14.1, 5.4, 3.4, 15.7, 14.7, 16.0, 16.3, 13.3, 4.6, 5.9, 14.9, 17.2, 18.5, 15.5,
        15.8, 3.8, 5.1, 17.4, 16.4, 17.7, 18.0, 15.0, 6.3, 7.6, 16.6, 18.9, 16.9, 17.2, 17.5, 5.5,
        6.8, 19.1, 18.1, 19.4, 19.7, 16.7, 8.0, 6.0, 18.3, 20.6, 18.6, 18.9, 19.2, 7.2, 8.5, 20.8,
        19.8, 21.1, 18.1, 18.4, 9.7, 7.7,
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
        phi: 1.0,
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
        residuals: Vec::new(),
    };
    let last_slot = (y.len() - 1) % SEASON;
    for (k, (p, f)) in model.means(14).iter().zip(forecast).enumerate() {
        let h = k + 1;
        if (y.len() + h - 1) % SEASON == last_slot {
            let expected = state.level + h as f64 * state.trend + state.season[last_slot];
            assert!((p - expected).abs() < 1e-9);
        } else {
            assert!((p - f).abs() < 1e-6, "h = {h}: {p} vs {f}");
        }
    }
}

#[test]
fn the_seats_to_add_are_the_fewest_that_make_running_out_unlikely() {
    // Weekdays near 25 of 25 issued: short, and a few more seats make it unlikely.
    let y: Vec<f64> = noisy(200, 21.0, 1.5, 9)
        .iter()
        .map(|v| v.min(25.0))
        .collect();
    let Outlook::Ready {
        risk,
        backtest,
        model,
        ..
    } = outlook(day0(), &y, 25.0, 5)
    else {
        panic!("long enough");
    };
    assert!(risk.p90 >= SHORTAGE_PROBABILITY, "{risk:?}");
    let k = risk.seats_to_half;
    assert!(k >= 1.0, "{risk:?}");
    // The same simulated futures (same seed) against more seats.
    let fitted = fit(model, &y, HORIZON).expect("fits");
    let chance = |issued: f64| {
        let paths = risk::paths(&fitted, backtest.multiplier / Z95, issued, HORIZON, 5);
        risk::within(&paths, HORIZON)
    };
    assert!(chance(25.0 + k) < 0.5, "{k} seats: {}", chance(25.0 + k));
    assert!(
        chance(25.0 + k - 1.0) >= 0.5,
        "{k} seats are not the fewest"
    );
}
