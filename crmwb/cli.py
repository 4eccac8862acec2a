"""The ``crmwb`` command line: generate data, prepare it and run the notebooks.

``crmwb data generate`` writes the synthetic data set; ``crmwb prepare`` reads,
cleans and identifies a data set once into ``data/prepared/NAME``
(:mod:`crmwb.prepared`); ``crmwb run`` prepares (or reuses) it, executes the
notebooks with papermill and writes ``reports/``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from crmwb import config


def _generate(args: argparse.Namespace) -> int:
    from crmwb.datasets import make_crm_data, write_large_crm_data

    out = Path(args.out) if args.out else config.DEFAULT_DATA_DIR
    if args.if_missing and out.exists():
        print(f"data already in {out}; nothing to do")
        return 0
    started = time.perf_counter()
    if args.large:
        def progress(i, n, lines):
            print(f"  chunk {i}/{n}: {lines:,} lines so far", flush=True)

        write_large_crm_data(args.customers, out, args.start, args.end, args.seed,
                             chunk_size=args.chunk_size, overwrite=args.overwrite,
                             progress=progress)
    else:
        data = make_crm_data(args.customers, args.start, args.end, args.seed)
        data.write(out, overwrite=args.overwrite)
    print(f"wrote {args.customers:,} customers ({args.start} to {args.end}, seed {args.seed}) "
          f"to {out} in {time.perf_counter() - started:.1f} s")
    return 0


def _run(args: argparse.Namespace) -> int:
    from crmwb.report import ParameterError, load_params, run_notebooks

    try:
        params = load_params(args.params)
        results = run_notebooks(params, out_dir=args.out, only=args.only,
                                show_code=args.show_code, notebooks_dir=args.notebooks,
                                jobs=args.jobs)
    except ParameterError as e:
        print(f"crmwb run: refused before any notebook started: {e}", file=sys.stderr)
        return 2
    # a notebook skipped because its data cannot carry it is no failure
    return 0 if all(r.status in ("ok", "skipped") for r in results) else 1


def _prepare(args: argparse.Namespace) -> int:
    from crmwb import prepared
    from crmwb.report import (
        PREPARATION,
        ParameterError,
        check_params,
        discover_notebooks,
        load_params,
    )

    try:
        params = load_params(args.params)
        # the file may hold the notebooks' keys too: they are checked, and left to them
        checked = check_params(params, discover_notebooks(args.notebooks))[PREPARATION]
        folder = checked.pop("prepared", None)
        out = Path(args.out).expanduser().resolve() if args.out else folder
        if args.force:
            prepared.prepare(checked, out)
        else:
            prepared.ensure(checked, out)
    except (ParameterError, ValueError, OSError) as e:
        print(f"crmwb prepare: refused: {e}", file=sys.stderr)
        return 2
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crmwb", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    data = sub.add_parser("data", help="synthetic data")
    data_sub = data.add_subparsers(dest="data_command", required=True)
    gen = data_sub.add_parser("generate", help="write the synthetic data set with planted truth")
    gen.add_argument("--customers", type=int, default=config.DEFAULT_N_CUSTOMERS)
    gen.add_argument("--start", default=config.DEFAULT_START)
    gen.add_argument("--end", default=config.DEFAULT_END)
    gen.add_argument("--seed", type=int, default=config.DEFAULT_SEED)
    gen.add_argument("--out", help=f"folder to write (default {config.DEFAULT_DATA_DIR})")
    gen.add_argument("--overwrite", action="store_true", help="replace the folder if it exists")
    gen.add_argument("--if-missing", action="store_true",
                     help="do nothing when the folder exists")
    gen.add_argument("--large", action="store_true",
                     help="write partitioned Parquet chunk by chunk (for millions of customers)")
    gen.add_argument("--chunk-size", type=int, default=50_000)
    gen.set_defaults(func=_generate)

    run = sub.add_parser("run", help="execute the notebooks and write reports/")
    run.add_argument("--params", help="YAML file of parameters (read with yaml.safe_load)")
    run.add_argument("--out", help=f"reports folder (default {config.REPORTS_DIR})")
    run.add_argument("--only", nargs="+", metavar="NAME",
                     help="run only these notebooks (00, overview or 00_overview)")
    run.add_argument("--show-code", action="store_true", help="keep code in the HTML reports")
    run.add_argument("--notebooks", help=f"notebooks folder (default {config.NOTEBOOKS_DIR})")
    run.add_argument("--jobs", type=int, metavar="N",
                     help="notebooks run at a time (default: the cores, at most 4)")
    run.set_defaults(func=_run)

    lab = sub.add_parser(
        "lab", help="open JupyterLab on working copies of the notebooks in one language")
    lab.add_argument("--lang", default="en", choices=["en", "fa"],
                     help="the language of the prose (default en)")
    lab.add_argument("--folder", help="where the copies go (default lab/LANG, git-ignored)")
    lab.add_argument("--fresh", action="store_true",
                     help="set edited copies aside under a dated name and write new ones")
    lab.add_argument("--no-browser", action="store_true", help="do not open a browser")
    lab.set_defaults(func=_lab)

    prep = sub.add_parser(
        "prepare", help="read, validate, clean and identify the data once, for every notebook")
    prep.add_argument("--params", help="YAML file of parameters (the same file as for run)")
    prep.add_argument("--out", help="prepared folder (default data/prepared/NAME, or the "
                      "file's `prepared`)")
    prep.add_argument("--force", action="store_true",
                      help="prepare again even when the folder matches its manifest")
    prep.add_argument("--notebooks", help=argparse.SUPPRESS)
    prep.set_defaults(func=_prepare)

    tr = sub.add_parser("translations", help="check the report catalogues (crmwb/locales): "
                        "entries missing, stale or filling in other values")
    tr.add_argument("--locales", help="a folder of catalogues (default: CRMWB_LOCALES, or the "
                    "package's own)")
    tr.set_defaults(func=_translations)
    return parser


def _translations(args) -> int:
    from crmwb import glossary

    folder = Path(args.locales) if args.locales else glossary.LOCALES
    problems = glossary.check_catalogues(folder)
    for problem in problems:
        print(problem)
    if not problems:
        print(f"{folder}: every translation is complete and current")
    return 1 if problems else 0


def _lab(args) -> int:
    from crmwb import lab

    return lab.open_lab(args.lang, args.folder, args.fresh, not args.no_browser)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``crmwb`` command."""
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
