"""The local engine at scale: a 2,000-trial experiment of instant trials, then `kubetune status`.

The trial is the cheapest real process there is: the Job runs `/bin/echo accuracy=0.5 x=V` (no
shell, no Python), so the time and memory measured are the engine's own. The engine runs in a
child process, so its peak RSS (getrusage of that process, cross-checked by sampling it with
psutil) is not mixed with this script's.

Then, on the finished experiment:
  * `kubetune status NAME` as a user runs it (a fresh interpreter; table and -o json), next to a
    bare `python -c pass` for the interpreter's own start-up;
  * the status computation in-process (open state.db, read experiment + trials, Katib status).

Targets: status < 100 ms, engine peak RSS < 300 MB.

    .venv/bin/python bench/engine_scale.py [--trials 2000] [--parallel 8]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_experiment import job_experiment, run_child_engine  # noqa: E402

STATUS_TARGET_MS = 100.0
RSS_TARGET_MB = 300.0
ECHO = "/bin/echo"


def experiment(name: str, trials: int, parallel: int) -> dict:
    return job_experiment(name, trials, parallel, {"image": "busybox", "command": [ECHO],
                           "args": ["accuracy=0.5", "x=${trialParameters.x}"]})


# -- child: the engine run ---------------------------------------------------------------------
def child(workdir: str, name: str, trials: int, parallel: int) -> None:
    from kubetune.engine import LocalEngine
    from kubetune.experiment import experiment_from_dict

    exp = experiment_from_dict(experiment(name, trials, parallel))
    start = time.perf_counter()
    result = LocalEngine(exp, workdir, seed=1, gpus=[]).run()
    wall = time.perf_counter() - start
    print(json.dumps({
        "wall": wall,
        "succeeded": sum(t.state == "Succeeded" for t in result.trials),
        "trials": len(result.trials),
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # KiB on Linux
    }))


def run_engine(workdir: Path, name: str, trials: int, parallel: int) -> dict:
    return run_child_engine([__file__, "--child", str(workdir), name, "--trials", str(trials),
                             "--parallel", str(parallel)], REPO)


# -- status latency ----------------------------------------------------------------------------
def time_command(argv: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, cwd=REPO, stdin=subprocess.DEVNULL, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return times


def time_in_process(workdir: Path, name: str, runs: int) -> list[float]:
    from kubetune.engine.state import ExperimentState
    from kubetune.engine.status import experiment_status

    path = workdir / name / "state.db"
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        state = ExperimentState(path, readonly=True)
        exp = state.experiment()
        trials = state.trials()
        state.close()
        experiment_status(exp, trials, exp["spec"]["objective"]["type"])
        times.append(time.perf_counter() - start)
    return times


def kubetune_argv() -> list[str]:
    script = Path(sys.executable).parent / "kubetune"  # the console script, when installed
    return [str(script)] if script.exists() else [sys.executable, "-m", "kubetune.cli"]


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:8.1f} {min(values) * 1000:8.1f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int, default=2000)
    ap.add_argument("--parallel", type=int, default=8)
    ap.add_argument("--runs", type=int, default=7, help="repetitions of each status timing")
    ap.add_argument("--child", nargs=2, metavar=("WORKDIR", "NAME"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(args.child[0], args.child[1], args.trials, args.parallel)
        return 0
    if not os.access(ECHO, os.X_OK):
        raise SystemExit(f"{ECHO} is needed as the trial program")

    name = "scale"
    with tempfile.TemporaryDirectory(prefix="kubetune-scale-") as tmp:
        workdir = Path(tmp)
        run = run_engine(workdir, name, args.trials, args.parallel)
        if run["succeeded"] != args.trials:
            raise SystemExit(f"only {run['succeeded']}/{args.trials} trials succeeded")
        cli = kubetune_argv() + ["status", name, "--workdir", str(workdir)]
        bare = time_command([sys.executable, "-c", "pass"], args.runs)
        table = time_command(cli, args.runs)
        as_json = time_command(cli + ["-o", "json"], args.runs)
        inproc = time_in_process(workdir, name, args.runs * 3)
        db_mb = (workdir / name / "state.db").stat().st_size / 2**20

    print(f"{args.trials} instant trials ({ECHO}), {args.parallel} at a time: "
          f"{run['wall']:.1f} s wall, {run['trials'] / run['wall']:.0f} trials/s, "
          f"{run['wall'] / run['trials'] * 1000:.1f} ms/trial; state.db {db_mb:.1f} MB")
    print(f"engine peak RSS: {run['maxrss_mb']:.0f} MB (getrusage), {run['sampled_rss_mb']:.0f} MB (sampled)"
          f"   target < {RSS_TARGET_MB:.0f} MB: {'met' if run['maxrss_mb'] < RSS_TARGET_MB else 'NOT met'}")
    print(f"{'':34} {'median ms':>8} {'min ms':>8}")
    print(f"{'kubetune status (table)':34} {ms(table)}")
    print(f"{'kubetune status -o json':34} {ms(as_json)}")
    print(f"{'  python -c pass (start-up floor)':34} {ms(bare)}")
    print(f"{'status computation in-process':34} {ms(inproc)}")
    worst = statistics.median(table) * 1000
    print(f"target: kubetune status < {STATUS_TARGET_MS:.0f} ms: {'met' if worst < STATUS_TARGET_MS else 'NOT met'} "
          f"({worst:.0f} ms median, table)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
