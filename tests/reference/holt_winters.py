"""Reference numbers for collector/src/analytics/forecast.rs: statsmodels' additive Holt-Winters
with fixed parameters and a known starting state, on a fixed series.

Run (test-only, needs `pip install statsmodels`):
    python3 tests/reference/holt_winters.py
and paste the printed arrays into the `statsmodels_reference` test in forecast.rs.
"""
import json

import numpy as np
import statsmodels
from statsmodels.tsa.holtwinters import ExponentialSmoothing

# 10 weeks: a trend, a weekly pattern and a deterministic wobble.
week = [3.0, 4.0, 4.0, 3.0, 2.0, -8.0, -8.0]
y = np.array([10.0 + 0.1 * t + week[t % 7] + ((t * 37) % 11 - 5) * 0.3 for t in range(70)])

# The same starting state as forecast::initial_state: first week's mean, the change of the
# weekly mean per day, the first week's deviations.
first, second = y[:7].mean(), y[7:14].mean()
init_level, init_trend = first, (second - first) / 7
init_season = y[:7] - first

model = ExponentialSmoothing(
    y,
    trend="add",
    seasonal="add",
    seasonal_periods=7,
    initialization_method="known",
    initial_level=init_level,
    initial_trend=init_trend,
    initial_seasonal=init_season,
)
fit = model.fit(smoothing_level=0.3, smoothing_trend=0.1, smoothing_seasonal=0.2, optimized=False)
print(json.dumps({
    "statsmodels": statsmodels.__version__,
    "y": [round(v, 10) for v in y.tolist()],
    "fitted": [round(v, 10) for v in fit.fittedvalues.tolist()],
    "level": round(float(fit.level[-1]), 10),
    "trend": round(float(fit.trend[-1]), 10),
    "season": [round(v, 10) for v in fit.season[-7:].tolist()],
    "forecast": [round(v, 10) for v in fit.forecast(14).tolist()],
}))
