"""Search efficiency: which method finds a good image classifier with the least compute.

Two steps (bench/README.md has the numbers and what they mean):

  record   train every configuration of each search space for R epochs with the real trainer on
           the digits-hard images and store the learning curves (bench/data/search_efficiency/).
           Slow (tens of minutes on 2 cores); the tables are checked in.

    .venv/bin/python bench/search_efficiency.py record [--spaces cells,efficientnet] [--parallel 2]

  (default) replay every method over the recorded tables with kubetune's real suggesters and
           early-stopping rules (and Optuna's TPESampler + HyperbandPruner for the peer) on a
           virtual cluster of P workers, at the same compute budget, for several seeds; print the
           table, write results.json and anytime.png, confirm the winner on live training
           (`kubetune run` of the winner vs random on the real trainer), and end with
           `search efficiency: best=METHOD compute_to_random_best=F vs_optuna=R`.

    .venv/bin/python bench/search_efficiency.py --quick          # 20 seeds, <= 15 min on 2 cores
    .venv/bin/python bench/search_efficiency.py [--seeds 100] [--parallel 4] [--out DIR]
                                                [--setup-time measured|recorded|SECONDS]

  The wall-time column charges each trial a fixed cost on top of the recorded epoch times: by
  default (`measured`) the one measured at the start of the run, 1-epoch trials of each space
  through `kubetune run` (warm workers); `recorded` uses the tables' own set-up times.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from efficiency.spaces import SPACES  # noqa: E402

DEFAULT_DATA = REPO / ".kubetune" / "bench" / "digits-hard16"
DEFAULT_OUT = REPO / ".kubetune" / "bench" / "search_efficiency"


def _spaces(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in SPACES]
    if unknown:
        raise SystemExit(f"--spaces: unknown {', '.join(unknown)}; known: {', '.join(SPACES)}")
    return names


def _load() -> str:
    """The load average, from /proc/loadavg where there is one (the machine is shared)."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _setup_time(text: str):
    from efficiency.fixed_cost import parse_setup
    try:
        return parse_setup(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def cmd_record(args: argparse.Namespace) -> int:
    from efficiency.data import make_hard_digits
    from efficiency.record import record_space
    from efficiency.table import TABLE_DIR

    data = make_hard_digits(args.data)
    print(f"[record] data: {(data / 'digits-hard.txt').read_text().strip()}", flush=True)
    for name in _spaces(args.spaces):
        table = record_space(SPACES[name], data, TABLE_DIR / f"{name}.json", parallel=args.parallel,
                             limit=args.limit, progress=lambda m: print(m, flush=True))
        print(f"[record] wrote {table}", flush=True)
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    from efficiency import report
    from efficiency.fixed_cost import charge
    from efficiency.methods import available_methods
    from efficiency.plot import anytime_png
    from efficiency.replay import replay_all
    from efficiency.table import Table

    t_start = time.monotonic()
    seeds = list(range(args.seeds if args.seeds else (20 if args.quick else 100)))
    methods, notes = available_methods(args.methods.split(",") if args.methods else None)
    for note in notes:
        print(f"note: {note}")
    if not any(m.name == "random" for m in methods):
        raise SystemExit("--methods must include random (the reference)")
    tables = [Table.for_space(name) for name in _spaces(args.spaces)]
    print(f"load at start: {_load()} (1/5/15 min), {os.cpu_count()} CPUs")
    tables, setup = charge(tables, args.setup_time, args.data, progress=lambda m: print(m, flush=True))
    for t in tables:
        epochs, seconds = t.full_trial_cost()
        print(f"table {t.space.name}: {len(t.curves)} configurations x {t.max_epochs} epochs, recorded "
              f"{t.meta['recorded']['date']}; ceiling {t.best_possible():.4f}; a full trial ~{seconds:.0f} s "
              f"({setup[t.space.name]['charged_s']:.2f} s fixed cost); "
              f"budget B = {t.space.budget_trials:g} full trials = {t.space.budget_epochs} epochs")
    results = replay_all(tables, methods, seeds, parallel=args.parallel, cap_factor=args.cap)
    stats = [report.space_stats(results, t.space.name, setup_note=setup[t.space.name]["note"]) for t in tables]
    print()
    for s in stats:
        print(report.text_table(s, len(seeds)))
        print()
    for s in stats:
        print(report.space_line(s))
    verdict = report.verdict(stats, args.cap)
    args.out.mkdir(parents=True, exist_ok=True)
    png = anytime_png(results, stats, args.out / "anytime.png")
    doc = {"seeds": seeds, "parallel": args.parallel, "cap_factor": args.cap, "setup_time": setup,
           "spaces": {s.space: {"budget_epochs": s.budget, "target": s.target,
                                "markdown": report.markdown_table(s)} for s in stats},
           "pooled_fraction": verdict.pooled, "best": verdict.best, "F": verdict.fraction, "R": verdict.ratio,
           "traces": {space: {m: [t.to_dict() for t in ts] for m, ts in per.items()}
                      for space, per in results.traces.items()}}
    print("pooled over spaces and seeds, median epochs to random's final best (x B): "
          + ", ".join(f"{n} {report._num(v, 2)}" for n, v in sorted(verdict.pooled.items(), key=lambda kv: kv[1])))
    print(f"wrote {png} and {args.out / 'results.json'} (replays took {time.monotonic() - t_start:.0f} s)")
    if verdict.ratio_is_lower_bound:
        print(f"note: Optuna's TPE + HyperbandPruner did not reach the target within {args.cap:g} x B in most "
              f"seeds; vs_optuna is a lower bound")
    if not args.no_live:
        from efficiency.live import confirm
        doc["live"] = {t.space.name: confirm(verdict.best, t, args.data, parallel=2)
                       for t in (tables[:1] if args.quick else tables)}
    (args.out / "results.json").write_text(json.dumps(doc, indent=1) + "\n")
    print(f"total {time.monotonic() - t_start:.0f} s; load at end: {_load()}")
    print(report.closing_line(verdict))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", nargs="?", choices=["replay", "record"], default="replay")
    parser.add_argument("--spaces", default=",".join(SPACES), help="comma-separated spaces (default: all)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="digits-hard folder (made if absent)")
    parser.add_argument("--parallel", type=int, default=None,
                        help="record: trainings at a time (default 2); replay: virtual workers (default 4)")
    parser.add_argument("--limit", type=int, default=None, help="record: at most this many configurations")
    parser.add_argument("--quick", action="store_true", help="20 seeds, live check on cells only (<= 15 min)")
    parser.add_argument("--seeds", type=int, default=None, help="seeds per method (default 20 quick, 100 full)")
    parser.add_argument("--methods", default=None, help="comma-separated methods (default: all available)")
    parser.add_argument("--cap", type=float, default=2.0, help="replay each search up to this many budgets")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results.json and anytime.png go here")
    parser.add_argument("--setup-time", type=_setup_time, default="measured", metavar="measured|recorded|SECONDS",
                        help="replay: the fixed cost charged per trial: measured now through kubetune run "
                             "(default), the tables' recorded set-up times, or this many seconds")
    parser.add_argument("--no-live", action="store_true", help="skip the live confirmation run")
    args = parser.parse_args(argv)
    if args.command == "record":
        args.parallel = args.parallel or 2
        return cmd_record(args)
    args.parallel = args.parallel or 4
    return cmd_replay(args)


if __name__ == "__main__":
    sys.exit(main())
