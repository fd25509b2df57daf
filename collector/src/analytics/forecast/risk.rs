//! The chance of running out: simulate the chosen model's future many times (its
//! innovations widened or narrowed as the backtest calibrated its band) and count the paths
//! whose daily peak reaches the issued count. Seeded by the series' name, so the site and
//! the CLI draw the same paths.

use serde::Serialize;

use super::models::Fitted;
use crate::rng::Rng;

/// Simulated paths per probability.
pub const PATHS: usize = 1000;

/// A seed from the series' names (FNV-1a), the same on every platform.
pub fn seed(server: &str, feature: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in server.bytes().chain([0]).chain(feature.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Daily peaks are whole licenses: a simulated peak from `issued − ½` up rounds to all of
/// them in use.
pub fn reaches(peak: f64, issued: f64) -> bool {
    issued > 0.0 && peak >= issued - 0.5
}

/// One simulated future: the first day (1-based) its peak reaches the issued count, if
/// any, and its highest peak.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Path {
    pub first: Option<usize>,
    pub max: f64,
}

/// [`PATHS`] simulated futures of `days` days against `issued`; `scale` multiplies the
/// model's innovations.
pub fn paths(fitted: &Fitted, scale: f64, issued: f64, days: usize, seed: u64) -> Vec<Path> {
    let mut rng = Rng(seed);
    let mut path = vec![0.0; days];
    (0..PATHS)
        .map(|_| {
            fitted.simulate(scale, &mut rng, &mut path);
            Path {
                first: path.iter().position(|v| reaches(*v, issued)).map(|d| d + 1),
                max: path.iter().copied().fold(f64::MIN, f64::max),
            }
        })
        .collect()
}

/// Share of the paths that ran out within `days`.
pub fn within(paths: &[Path], days: usize) -> f64 {
    let hits = paths
        .iter()
        .filter(|p| p.first.is_some_and(|d| d <= days))
        .count();
    hits as f64 / paths.len().max(1) as f64
}

/// The outlook's risk of running out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Risk {
    /// Probability that the daily peak reaches the issued count within 30 days.
    pub p30: f64,
    /// The same within 90 days.
    pub p90: f64,
    /// Seats to add so that the chance of running out within 90 days falls below one half:
    /// the fewest that put the issued count above the median of the paths' highest peaks.
    pub seats_to_half: f64,
    /// The first days of the paths that run out, in order, and how many paths there were:
    /// the chance within any number of days up to 90.
    #[serde(skip)]
    pub first_days: Vec<usize>,
    #[serde(skip)]
    pub paths: usize,
}

impl Risk {
    /// From 90-day paths against `issued`.
    pub fn from_paths(paths: &[Path], issued: f64) -> Self {
        let mut days: Vec<usize> = paths.iter().filter_map(|p| p.first).collect();
        days.sort_unstable();
        let mut maxima: Vec<f64> = paths.iter().map(|p| p.max).collect();
        maxima.sort_by(f64::total_cmp);
        let median = maxima.get(maxima.len() / 2).copied().unwrap_or(0.0);
        // Paths reach `issued + k` when their peak is at least `issued + k − ½`: at most half
        // do once that exceeds the median.
        let seats_to_half = if issued > 0.0 && reaches(median, issued) {
            (median - issued + 0.5).floor() + 1.0
        } else {
            0.0
        };
        Risk {
            p30: within(paths, 30),
            p90: within(paths, 90),
            seats_to_half,
            first_days: days,
            paths: paths.len(),
        }
    }

    /// The chance of running out within `days` days.
    pub fn within(&self, days: usize) -> f64 {
        let hits = self.first_days.partition_point(|d| *d <= days);
        hits as f64 / self.paths.max(1) as f64
    }

    /// The median first day (days ahead) among the paths that run out within `days`.
    pub fn median_first_within(&self, days: usize) -> Option<usize> {
        let hits = self.first_days.partition_point(|d| *d <= days);
        (hits > 0).then(|| self.first_days[(hits - 1) / 2])
    }
}
