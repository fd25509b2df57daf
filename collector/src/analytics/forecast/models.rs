//! The candidate models of a daily-peak series, each fitted to a history and able to give
//! its point forecasts, their model standard deviations by horizon and simulated paths:
//! additive Holt-Winters (level, trend, weekly season, in the error-correction form
//! statsmodels and Hyndman & Athanasopoulos use), the same with a damped trend, seasonal
//! naive (the same weekday a week before), and Holt-Winters on the change since last
//! year's smoothed profile when the history covers a year.

use serde::Serialize;

use crate::rng::Rng;

/// The season: a week of days.
pub const SEASON: usize = 7;
/// A year back on the same weekday: 52 weeks.
pub const YEAR: usize = 52 * SEASON;
/// Half the window of the smoothed yearly profile (a centred week).
const PROFILE_HALF: usize = 3;
/// Days a model needs to be fitted: a week for the start state, four to fit on.
pub const MIN_FIT: usize = 5 * SEASON;

/// Which model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Kind {
    /// The same weekday a week before: the baseline every other model is scored against.
    SeasonalNaive,
    HoltWinters,
    DampedHoltWinters,
    /// Holt-Winters on the difference from last year's smoothed profile.
    Yearly,
}

impl Kind {
    /// Every candidate, simplest first (a tie in the backtest goes to the simpler).
    pub const ALL: [Kind; 4] = [
        Kind::SeasonalNaive,
        Kind::HoltWinters,
        Kind::DampedHoltWinters,
        Kind::Yearly,
    ];

    /// The name shown beside a forecast.
    pub fn label(self) -> &'static str {
        match self {
            Kind::SeasonalNaive => "seasonal naive",
            Kind::HoltWinters => "Holt-Winters",
            Kind::DampedHoltWinters => "damped Holt-Winters",
            Kind::Yearly => "Holt-Winters on last year's profile",
        }
    }

    /// Days of history this model needs to be fitted.
    pub fn min_days(self) -> usize {
        match self {
            Kind::Yearly => YEAR + PROFILE_HALF + MIN_FIT,
            _ => MIN_FIT,
        }
    }
}

/// Smoothing parameters: level, trend, season, and the trend's damping (1 = none).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Params {
    pub alpha: f64,
    pub beta: f64,
    pub gamma: f64,
    pub phi: f64,
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
        errors.push(step(&mut state, p, obs));
    }
    (state, errors)
}

/// One observation through the recursions; returns its one-step error.
fn step(state: &mut State, p: Params, obs: f64) -> f64 {
    let slot = state.n % SEASON;
    let s = state.season[slot];
    let damped = p.phi * state.trend;
    let error = obs - (state.level + damped + s);
    let level = p.alpha * (obs - s) + (1.0 - p.alpha) * (state.level + damped);
    state.season[slot] = p.gamma * (obs - state.level - damped) + (1.0 - p.gamma) * s;
    state.trend = p.beta * (level - state.level) + (1.0 - p.beta) * damped;
    state.level = level;
    state.n += 1;
    error
}

/// A fitted exponential-smoothing model: parameters, state at the end of the history, and
/// the standard deviation of its one-step errors (after the first week).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Model {
    pub params: Params,
    pub state: State,
    pub sigma: f64,
    /// The one-step errors after the first week, which simulations resample.
    #[serde(skip)]
    pub residuals: Vec<f64>,
}

impl Model {
    /// Point forecasts 1..=h days ahead.
    pub fn means(&self, h: usize) -> Vec<f64> {
        let s = &self.state;
        let mut damp_sum = 0.0;
        let mut phi_k = 1.0;
        (1..=h)
            .map(|k| {
                phi_k *= self.params.phi;
                damp_sum += phi_k;
                s.level + damp_sum * s.trend + s.season[(s.n + k - 1) % SEASON]
            })
            .collect()
    }

    /// The forecast's standard deviation 1..=h days ahead (Hyndman & Athanasopoulos, class 1
    /// ETS(A,Ad,A)): σ √(1 + Σ_{j<k} c_j²), c_j = α(1 + β φ_j) + γ when j is a whole number of
    /// seasons, φ_j = φ + … + φ^j.
    pub fn spreads(&self, h: usize) -> Vec<f64> {
        let Params {
            alpha,
            beta,
            gamma,
            phi,
        } = self.params;
        let (mut sum_c2, mut phi_j, mut phi_pow) = (0.0, 0.0, 1.0);
        (1..=h)
            .map(|k| {
                if k > 1 {
                    let j = k - 1;
                    phi_pow *= phi;
                    phi_j += phi_pow;
                    let seasonal = if j % SEASON == 0 { gamma } else { 0.0 };
                    let c = alpha * (1.0 + beta * phi_j) + seasonal;
                    sum_c2 += c * c;
                }
                self.sigma * (1.0 + sum_c2).sqrt()
            })
            .collect()
    }

    /// One simulated path 1..=h days ahead, through the same recursions in error-correction
    /// form, with innovations drawn from the model's own one-step errors times `scale` (a
    /// bootstrap: daily peaks have a ceiling and deep holiday dips, so their errors are
    /// skewed and a normal distribution would overstate the chance of a high day).
    fn simulate(&self, scale: f64, rng: &mut Rng, out: &mut [f64]) {
        let p = self.params;
        let mut s = self.state.clone();
        for y in out.iter_mut() {
            let slot = s.n % SEASON;
            let e = scale * draw(&self.residuals, rng);
            let damped = p.phi * s.trend;
            *y = s.level + damped + s.season[slot] + e;
            s.level += damped + p.alpha * e;
            s.trend = damped + p.alpha * p.beta * e;
            s.season[slot] += p.gamma * e;
            s.n += 1;
        }
    }
}

/// Least squares on one-step errors over a grid of parameters; `damped` searches the trend's
/// damping as well (0.8–0.95) instead of fixing it at 1.
pub fn fit_ets(y: &[f64], damped: bool) -> Option<Model> {
    let start = initial_state(y)?;
    if y.len() <= SEASON + 1 {
        return None;
    }
    const ALPHAS: [f64; 7] = [0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9];
    const GAMMAS: [f64; 5] = [0.05, 0.1, 0.2, 0.3, 0.5];
    let (betas, phis): (&[f64], &[f64]) = if damped {
        (&[0.05, 0.1, 0.2, 0.3], &[0.8, 0.9, 0.95])
    } else {
        (&[0.0, 0.01, 0.05, 0.1, 0.2], &[1.0])
    };
    let mut best: Option<(f64, Params)> = None;
    for &alpha in &ALPHAS {
        for &beta in betas {
            for &gamma in &GAMMAS {
                for &phi in phis {
                    let params = Params {
                        alpha,
                        beta,
                        gamma,
                        phi,
                    };
                    let mut state = start.clone();
                    // The sum only grows: stop once it cannot beat the best so far.
                    let bound = best.as_ref().map_or(f64::INFINITY, |(b, _)| *b);
                    let mut sse = 0.0;
                    for (t, &obs) in y.iter().enumerate() {
                        let e = step(&mut state, params, obs);
                        if t >= SEASON {
                            sse += e * e;
                            if sse >= bound {
                                break;
                            }
                        }
                    }
                    if sse < bound {
                        best = Some((sse, params));
                    }
                }
            }
        }
    }
    let (sse, params) = best?;
    let (state, mut residuals) = filter(y, params, start);
    residuals.drain(..SEASON);
    let sigma = (sse / (y.len() - SEASON - 1) as f64).sqrt();
    Some(Model {
        params,
        state,
        sigma,
        residuals,
    })
}

/// One of `errors` at random (0 when there are none).
pub fn draw(errors: &[f64], rng: &mut Rng) -> f64 {
    if errors.is_empty() {
        0.0
    } else {
        errors[rng.below(errors.len())]
    }
}

/// A model fitted to one history, ready to forecast from its end.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Fitted {
    SeasonalNaive {
        /// The last week, oldest first.
        week: [f64; SEASON],
        /// Standard deviation of the week-on-week changes.
        sigma: f64,
        /// The week-on-week changes, which simulations resample.
        changes: Vec<f64>,
    },
    Ets {
        kind: Kind,
        model: Model,
        /// Added to the model's forecast k days ahead (last year's profile; empty for none).
        profile: Vec<f64>,
    },
}

/// Last year's smoothed level at day `t` (a centred week, `YEAR` days back); `None` when it
/// reaches outside `y`.
fn profile_at(y: &[f64], t: usize) -> Option<f64> {
    let mid = t.checked_sub(YEAR)?;
    let from = mid.checked_sub(PROFILE_HALF)?;
    let window = y.get(from..=mid + PROFILE_HALF)?;
    Some(window.iter().sum::<f64>() / window.len() as f64)
}

/// Fit `kind` to `y`, able to forecast up to `horizon` days; `None` when the history is too
/// short for it.
pub fn fit(kind: Kind, y: &[f64], horizon: usize) -> Option<Fitted> {
    if y.len() < kind.min_days() {
        return None;
    }
    match kind {
        Kind::SeasonalNaive => {
            let n = y.len();
            let mut week = [0.0; SEASON];
            week.copy_from_slice(&y[n - SEASON..]);
            let changes: Vec<f64> = (SEASON..n).map(|t| y[t] - y[t - SEASON]).collect();
            let sigma = (changes.iter().map(|c| c * c).sum::<f64>() / changes.len() as f64).sqrt();
            Some(Fitted::SeasonalNaive {
                week,
                sigma,
                changes,
            })
        }
        Kind::HoltWinters | Kind::DampedHoltWinters => Some(Fitted::Ets {
            kind,
            model: fit_ets(y, kind == Kind::DampedHoltWinters)?,
            profile: Vec::new(),
        }),
        Kind::Yearly => {
            let start = YEAR + PROFILE_HALF;
            let x: Vec<f64> = (start..y.len())
                .map(|t| profile_at(y, t).map(|p| y[t] - p))
                .collect::<Option<_>>()?;
            let model = fit_ets(&x, false)?;
            let n = y.len();
            let profile = (0..horizon)
                .map(|k| profile_at(y, n + k))
                .collect::<Option<_>>()?;
            Some(Fitted::Ets {
                kind,
                model,
                profile,
            })
        }
    }
}

impl Fitted {
    /// Which model this is.
    pub fn kind(&self) -> Kind {
        match self {
            Fitted::SeasonalNaive { .. } => Kind::SeasonalNaive,
            Fitted::Ets { kind, .. } => *kind,
        }
    }

    /// The smoothing parameters, for the exponential-smoothing models.
    pub fn params(&self) -> Option<Params> {
        match self {
            Fitted::SeasonalNaive { .. } => None,
            Fitted::Ets { model, .. } => Some(model.params),
        }
    }

    /// Point forecasts 1..=h days ahead.
    pub fn means(&self, h: usize) -> Vec<f64> {
        match self {
            Fitted::SeasonalNaive { week, .. } => (0..h).map(|k| week[k % SEASON]).collect(),
            Fitted::Ets { model, profile, .. } => {
                let mut m = model.means(h);
                for (v, p) in m.iter_mut().zip(profile) {
                    *v += p;
                }
                m
            }
        }
    }

    /// The model's own standard deviation of the forecast 1..=h days ahead (before
    /// calibration).
    pub fn spreads(&self, h: usize) -> Vec<f64> {
        match self {
            Fitted::SeasonalNaive { sigma, .. } => (0..h)
                .map(|k| sigma * ((1 + k / SEASON) as f64).sqrt())
                .collect(),
            Fitted::Ets { model, .. } => model.spreads(h),
        }
    }

    /// One simulated path of `out.len()` days, innovations scaled by `scale`.
    pub fn simulate(&self, scale: f64, rng: &mut Rng, out: &mut [f64]) {
        match self {
            Fitted::SeasonalNaive { week, changes, .. } => {
                for k in 0..out.len() {
                    let before = if k < SEASON { week[k] } else { out[k - SEASON] };
                    out[k] = before + scale * draw(changes, rng);
                }
            }
            Fitted::Ets { model, profile, .. } => {
                model.simulate(scale, rng, out);
                for (v, p) in out.iter_mut().zip(profile) {
                    *v += p;
                }
            }
        }
    }
}
