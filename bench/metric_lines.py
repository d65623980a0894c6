"""A trial that prints a metric line at every step: the engine's cost per metric line.

One trial (maxTrialCount 1, StdOut collector, the subprocess launcher) prints N lines as fast as
Python can, two ways, side by side in one run:

  metric  `accuracy=0.1234` on every line: each one is collected, stored in state.db (Katib keeps
          every observation) and folded into the trial's observation;
  plain   `step 00001234 ok`, the same bytes that no collector looks at, and one `accuracy=` line
          at the end: the floor (pipe, log file, line splitting) for the same output.

The engine runs in a child process, so its peak RSS (getrusage ru_maxrss of that process,
cross-checked by sampling it with psutil) is the engine's alone; the trial is a grandchild.
Printed per run: lines, wall s, lines/s, engine peak RSS MB, state.db MB, metric rows stored.

    .venv/bin/python bench/metric_lines.py [--lines 100000,2000000] [--kinds metric,plain]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_experiment import job_experiment, run_child_engine  # noqa: E402

# The trial: N lines of 16 bytes, written in blocks of 10,000 lines.
TRIAL = """
import sys
n, kind = int(sys.argv[1]), sys.argv[2]
fmt = "accuracy=0.%04d\\n" if kind == "metric" else "step %08d ok\\n"
w = sys.stdout.write
for start in range(0, n, 10000):
    w("".join([fmt % (i % 10000) for i in range(start, min(n, start + 10000))]))
if kind != "metric":
    w("accuracy=0.5\\n")
sys.stdout.flush()
"""


def experiment(name: str, lines: int, kind: str) -> dict:
    return job_experiment(name, 1, 1, {"image": "python:3.11", "command": ["python", "-c", TRIAL],
                                       "args": [str(lines), kind, "--x", "${trialParameters.x}"]})


# -- child: the engine run ---------------------------------------------------------------------
def child(workdir: str, name: str, lines: int, kind: str) -> None:
    from kubetune.engine import LocalEngine
    from kubetune.experiment import experiment_from_dict

    exp = experiment_from_dict(experiment(name, lines, kind))
    start = time.perf_counter()
    result = LocalEngine(exp, workdir, seed=1, gpus=[], launcher="subprocess").run()
    wall = time.perf_counter() - start
    trial = result.trials[0]
    print(json.dumps({
        "wall": wall, "state": trial.state, "latest": trial.observation.get("accuracy", {}).get("latest"),
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # KiB on Linux
    }))


def run_engine(workdir: Path, name: str, lines: int, kind: str) -> dict:
    report = run_child_engine([__file__, "--child", str(workdir), name, str(lines), kind], REPO)
    db = workdir / name / "state.db"
    report["db_mb"] = sum(p.stat().st_size for p in db.parent.glob("state.db*")) / 2**20
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        table = "observation_logs" if "observation_logs" in tables else "metric_logs"
        report["rows"] = conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    return report


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--lines", default="100000,2000000", help="comma-separated line counts")
    p.add_argument("--kinds", default="metric,plain", help="comma-separated: metric, plain")
    p.add_argument("--child", nargs=4, metavar=("WORKDIR", "NAME", "LINES", "KIND"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        child(args.child[0], args.child[1], int(args.child[2]), args.child[3])
        return 0
    counts = [int(n) for n in args.lines.split(",")]
    kinds = args.kinds.split(",")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus, load {os.getloadavg()[0]:.1f}")
    print(f"{'lines':>9} {'kind':>6} {'wall s':>8} {'lines/s':>9} {'peak RSS MB':>11} {'(sampled)':>9} "
          f"{'state.db MB':>11} {'rows':>9}  trial")
    with tempfile.TemporaryDirectory(prefix="kt-bench-lines-") as tmp:
        for n in counts:
            for kind in kinds:
                r = run_engine(Path(tmp), f"lines-{kind}-{n}", n, kind)
                print(f"{n:>9} {kind:>6} {r['wall']:>8.2f} {n / r['wall']:>9.0f} {r['maxrss_mb']:>11.0f} "
                      f"{r['sampled_rss_mb']:>9.0f} {r['db_mb']:>11.1f} {r['rows']:>9}  {r['state']} "
                      f"(latest {r['latest']})", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
