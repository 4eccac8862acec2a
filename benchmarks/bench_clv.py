"""Benchmark: fitting BG/NBD and Gamma-Gamma with crmwb and with lifetimes.

Run from the project root:

    .venv/bin/python benchmarks/bench_clv.py                       # CDNOW, 100k and 1M
    .venv/bin/python benchmarks/bench_clv.py --sizes 100000        # a quicker look
    .venv/bin/python benchmarks/bench_clv.py --no-lifetimes        # crmwb only

Data: the CDNOW 1/10 sample from ../shared/datasets (calibration to 1997-09-30, weeks),
and customer summaries drawn from the generator's planted BG/NBD and Gamma-Gamma
processes (:func:`crmwb.datasets.simulate_summaries`, days). For each, both libraries fit
the same summary; the script prints the wall-clock seconds of each (BG/NBD plus
Gamma-Gamma), their ratio, and the largest relative difference between their parameters.
"""

from __future__ import annotations

import argparse
import time
import warnings

import pandas as pd

from crmwb import clv, config, io, summary
from crmwb.datasets import simulate_summaries


def cdnow() -> pd.DataFrame | None:
    path = config.SHARED_DATASETS_DIR / "cdnow" / "CDNOW_sample.txt"
    if not path.exists():
        return None
    lines = io.read_transactions(path, preset="cdnow_sample")
    return summary.customer_summary(lines, calibration_end="1997-09-30", time_unit="W")


def fit_crmwb(s: pd.DataFrame) -> tuple[float, dict]:
    started = time.perf_counter()
    bg = clv.BetaGeoModel().fit(s)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.CLVWarning)
        gg = clv.GammaGammaModel().fit(s)
    return time.perf_counter() - started, {**bg.params_, **gg.params_}


def fit_lifetimes(s: pd.DataFrame) -> tuple[float, dict]:
    import lifetimes

    started = time.perf_counter()
    bg = lifetimes.BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"])
    repeat = s[(s["frequency"] > 0) & (s["monetary_value"] > 0)]
    gg = lifetimes.GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
    params = {**bg.params_.to_dict(), **gg.params_.to_dict()}
    params["gamma"] = params.pop("v")
    return time.perf_counter() - started, params


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--no-lifetimes", action="store_true")
    args = parser.parse_args()

    cases = []
    data = cdnow()
    if data is None:
        print("CDNOW sample not found in ../shared/datasets: skipped")
    else:
        cases.append(("CDNOW sample", data))
    cases += [(f"{n:,} generated", simulate_summaries(n, seed=1)) for n in args.sizes]

    print(f"{'data':<20} {'customers':>10} {'crmwb s':>8} {'lifetimes s':>12} {'ratio':>7} "
          f"{'max rel diff':>13}")
    for name, s in cases:
        ours_s, ours = fit_crmwb(s)
        if args.no_lifetimes:
            print(f"{name:<20} {len(s):>10,} {ours_s:>8.2f}")
            continue
        theirs_s, theirs = fit_lifetimes(s)
        diff = max(abs(ours[k] / theirs[k] - 1) for k in ours)
        print(f"{name:<20} {len(s):>10,} {ours_s:>8.2f} {theirs_s:>12.2f} "
              f"{theirs_s / ours_s:>7.1f} {diff:>13.1e}")
        print("    crmwb:    " + ", ".join(f"{k}={v:.4g}" for k, v in ours.items()))
        print("    lifetimes: " + ", ".join(f"{k}={theirs[k]:.4g}" for k in ours))


if __name__ == "__main__":
    main()
