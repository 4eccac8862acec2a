"""Benchmark: the CLV models, fitted and used, at a million customers.

Run from the project root:

    .venv/bin/python benchmarks/bench_clv.py                        # every case
    .venv/bin/python benchmarks/bench_clv.py --case covariates      # one case
    .venv/bin/python benchmarks/bench_clv.py --size 100000          # a quicker look
    .venv/bin/python benchmarks/bench_clv.py --no-lifetimes         # crmwb only

Cases:

cdnow
    The CDNOW 1/10 sample from ../shared/datasets (calibration to 1997-09-30, weeks):
    BG/NBD plus Gamma-Gamma fitted by crmwb and by lifetimes, their times and the largest
    relative difference between their parameters.
fit
    BG/NBD plus Gamma-Gamma without covariates on ``--size`` customers drawn from the
    planted processes (:func:`crmwb.datasets.simulate_summaries`, days), crmwb and
    lifetimes.
covariates
    BG/NBD with two covariates (customer type and acquisition channel, one-hot: 5
    coefficients on the purchase rate and 5 on the dropout) on ``--size`` customers drawn
    with the shop's planted effects (the issue's target: a million in 5 s or less).
intervals
    :func:`crmwb.clv.value_intervals` (each customer's expected purchases and CLV over 12
    months with 80% intervals from 100 draws of the parameters) for ``--size`` customers,
    from the covariate BG/NBD and a Gamma-Gamma with a spend covariate (target: a million
    in 30 s and 2 GB or less).
predictive
    ``BetaGeoModel.predictive_interval`` (the shortest run of counts holding 80% of each
    customer's distribution of purchases in the next 90 days) for ``--size`` customers.

Each case runs in its own Python process, cold: drawing the data and fitting what the
case does not measure are timed apart (``setup_s``), and the peak memory is the process's
maximum resident set size, data included. Times are wall-clock seconds; ``--repeat N``
runs every case N times, each in a fresh process, and prints the median.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
import warnings

CASES = ["cdnow", "fit", "covariates", "intervals", "predictive"]
COVARIATES = ["customer_type", "acquisition_channel"]


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _lifetimes_fit(s) -> tuple[float, dict]:
    import lifetimes

    started = time.perf_counter()
    bg = lifetimes.BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"])
    repeat = s[(s["frequency"] > 0) & (s["monetary_value"] > 0)]
    gg = lifetimes.GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
    params = {**bg.params_.to_dict(), **gg.params_.to_dict()}
    params["gamma"] = params.pop("v")
    return time.perf_counter() - started, params


def run_case(case: str, size: int, with_lifetimes: bool) -> dict:
    """Time one case in this process; returns the figures."""
    warnings.simplefilter("ignore")
    started = time.perf_counter()
    from crmwb import clv, config, io, summary
    from crmwb.datasets import simulate_summaries

    figures: dict = {"case": case}
    if case == "cdnow":
        path = config.SHARED_DATASETS_DIR / "cdnow" / "CDNOW_sample.txt"
        if not path.exists():
            return {"case": case, "skipped": f"{path} not found"}
        lines = io.read_transactions(path, preset="cdnow_sample")
        s = summary.customer_summary(lines, calibration_end="1997-09-30", time_unit="W")
    else:
        s = simulate_summaries(size, seed=1, covariates=case != "fit")
    figures["customers"] = len(s)
    if case in ("cdnow", "fit"):
        figures["setup_s"] = time.perf_counter() - started
        started = time.perf_counter()
        bg = clv.BetaGeoModel().fit(s, time_unit="W" if case == "cdnow" else "D")
        gg = clv.GammaGammaModel().fit(s)
        figures["seconds"] = time.perf_counter() - started
        ours = {**bg.params_, **gg.params_}
        if with_lifetimes:
            figures["lifetimes_s"], theirs = _lifetimes_fit(s)
            figures["max_rel_diff"] = max(abs(ours[k] / theirs[k] - 1) for k in ours)
    elif case == "covariates":
        figures["setup_s"] = time.perf_counter() - started
        started = time.perf_counter()
        bg = clv.BetaGeoModel(COVARIATES, COVARIATES).fit(s, time_unit="D")
        figures["seconds"] = time.perf_counter() - started
        figures["coefficients"] = len(bg.coefficients_)
    else:
        bg = clv.BetaGeoModel(COVARIATES, COVARIATES).fit(s, time_unit="D")
        if case == "intervals":
            gg = clv.GammaGammaModel(spend_covariates=["customer_type"]).fit(s)
        figures["setup_s"] = time.perf_counter() - started
        started = time.perf_counter()
        if case == "intervals":
            out = clv.value_intervals(bg, gg, s, level=0.8, draws=100, seed=0)
            figures["exact_draws"] = out.attrs["exact"]
        else:
            out = bg.predictive_interval(90, s, level=0.8)
        figures["seconds"] = time.perf_counter() - started
        figures["rows"] = len(out)
    figures["peak_rss_mib"] = peak_rss_mib()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=CASES + ["all"], default="all")
    parser.add_argument("--size", type=int, default=1_000_000, help="customers drawn")
    parser.add_argument("--repeat", type=int, default=1, help="fresh processes per case")
    parser.add_argument("--no-lifetimes", action="store_true")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_case(args.case, args.size, not args.no_lifetimes)))
        return
    cases = CASES if args.case == "all" else [args.case]
    print(f"{'case':<11} {'customers':>10} {'setup s':>8} {'seconds':>8} {'peak MiB':>9}  notes")
    for case in cases:
        command = [sys.executable, __file__, "--one", "--case", case, "--size", str(args.size)]
        if args.no_lifetimes:
            command.append("--no-lifetimes")
        runs = []
        for _ in range(args.repeat):
            out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            f = json.loads(out.strip().splitlines()[-1])
            if "skipped" in f:
                print(f"{case:<11} skipped: {f['skipped']}")
                break
            runs.append(f)
            notes = ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}"
                              for k, v in f.items()
                              if k not in ("case", "customers", "setup_s", "seconds",
                                           "peak_rss_mib"))
            print(f"{case:<11} {f['customers']:>10,} {f['setup_s']:>8.2f} {f['seconds']:>8.2f} "
                  f"{f['peak_rss_mib']:>9,.0f}  {notes}")
        if len(runs) > 1:
            print(f"{case:<11} median of {len(runs)}: "
                  f"{statistics.median(r['seconds'] for r in runs):.2f} s")


if __name__ == "__main__":
    main()
