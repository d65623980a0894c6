"""Per-trial overhead of the local engine over the bare cost of starting the trial processes.

Three timings of the same N trivial trial processes (`python -c "print('accuracy=0.5')" --x V`),
P at a time, in one run:

  floor   plain subprocess.run() from P threads: what starting and reaping the processes costs;
  engine  the real local engine (`LocalEngine.run()`) on a Katib Experiment (algorithm random,
          maxTrialCount N, parallelTrialCount P) whose Job runs that command;
  optuna  `study.optimize(objective, n_trials=N, n_jobs=P)`, in-memory storage, random sampler,
          the objective running the same process and parsing its output: the reference.

Overhead = (wall - floor wall) / N, in ms per trial. Targets: engine <= 25 ms and below Optuna's.
Also printed: CPU ms/trial spent in this process (user + system, all threads, trial processes
excluded), which a busy shared machine disturbs far less than wall time.

    .venv/bin/python bench/engine_overhead.py [--trials 200] [--parallel 2] [--repeat 1]
"""
from __future__ import annotations

import argparse
import concurrent.futures
import resource
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_experiment import job_experiment  # noqa: E402

TRIAL_CODE = "print('accuracy=0.5')"
TARGET_MS = 25.0


def trial_argv(x: str) -> list[str]:
    return [sys.executable, "-c", TRIAL_CODE, "--x", x]


def run_trial_process(x: str) -> str:
    """The trial process as the engine's launcher starts it: merged stdout+stderr on one pipe, in
    a session of its own. The session matters for a fair floor: with Linux's scheduler autogroups
    a new session is a new scheduling group, which on a busy machine alone changes how fast the
    process runs."""
    return subprocess.run(trial_argv(x), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, start_new_session=True, check=True, text=True).stdout


def experiment(name: str, trials: int, parallel: int) -> dict:
    return job_experiment(name, trials, parallel, {"image": "python:3.11", "command": ["python", "-c", TRIAL_CODE],
                           "args": ["--x", "${trialParameters.x}"]})


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class Timer:
    """Wall and own-CPU seconds of a block."""

    def __enter__(self) -> "Timer":
        self.wall0, self.cpu0 = time.perf_counter(), _cpu()
        return self

    def __exit__(self, *_) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall0, _cpu() - self.cpu0


def run_floor(trials: int, parallel: int) -> Timer:
    def one(i: int) -> None:
        run_trial_process(str(i / trials))

    with Timer() as t, concurrent.futures.ThreadPoolExecutor(parallel) as pool:
        list(pool.map(one, range(trials)))
    return t


def run_engine(trials: int, parallel: int, workdir: Path, name: str, launcher: str = "subprocess") -> Timer:
    from kubetune.engine import LocalEngine
    from kubetune.experiment import experiment_from_dict

    exp = experiment_from_dict(experiment(name, trials, parallel))
    engine = LocalEngine(exp, workdir, seed=1, gpus=[], launcher=launcher)
    with Timer() as t:
        result = engine.run()
    done = sum(t.state == "Succeeded" for t in result.trials)
    if done != trials:
        states = sorted({t.state for t in result.trials})
        raise SystemExit(f"engine: only {done}/{trials} trials succeeded (states {states}); "
                         f"see {workdir / name / 'trials'}")
    return t


def run_optuna(trials: int, parallel: int) -> Timer:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def objective(trial: optuna.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        return float(run_trial_process(repr(x)).strip().split("=", 1)[1])

    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=1))
    with Timer() as t:
        study.optimize(objective, n_trials=trials, n_jobs=parallel)
    assert len(study.trials) == trials
    return t


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--parallel", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1, help="rounds of floor/engine/optuna; the best of each is kept")
    ap.add_argument("--launcher", choices=["subprocess", "warm", "auto"], default="subprocess",
                    help="the engine's launcher (default subprocess: the overhead above starting the same processes; "
                         "warm workers are measured by bench/warm_workers.py)")
    args = ap.parse_args(argv)
    n, p = args.trials, args.parallel

    runs: dict[str, list[Timer]] = {"floor": [], "engine": [], "optuna": []}
    run_floor(4 * p, p)  # warm the interpreter files into the page cache
    with tempfile.TemporaryDirectory(prefix="kubetune-bench-") as tmp:
        for r in range(args.repeat):  # interleaved, so a busy moment on a shared machine hits all three
            runs["floor"].append(run_floor(n, p))
            runs["engine"].append(run_engine(n, p, Path(tmp), f"overhead-{r}", args.launcher))
            runs["optuna"].append(run_optuna(n, p))

    best = {k: min(v, key=lambda t: t.wall) for k, v in runs.items()}
    floor = best["floor"].wall
    print(f"{n} trivial trials, {p} at a time, best of {args.repeat}  (python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f})")
    print(f"{'':8} {'wall s':>8} {'ms/trial':>9} {'overhead ms/trial':>18} {'own CPU ms/trial':>17}")
    for k in ("floor", "engine", "optuna"):
        t = best[k]
        extra = "" if k == "floor" else f"{(t.wall - floor) / n * 1000:18.1f}"
        spread = f"   (wall of each run: {', '.join(f'{x.wall:.2f}' for x in runs[k])})" if args.repeat > 1 else ""
        print(f"{k:8} {t.wall:8.2f} {t.wall / n * 1000:9.1f} {extra:>18} {t.cpu / n * 1000:17.1f}{spread}")
    engine_ms = (best["engine"].wall - floor) / n * 1000
    optuna_ms = (best["optuna"].wall - floor) / n * 1000
    ok = engine_ms <= TARGET_MS and engine_ms < optuna_ms
    print(f"target: engine overhead <= {TARGET_MS:.0f} ms/trial and below optuna's: "
          f"{'met' if ok else 'NOT met'} (engine {engine_ms:.1f} ms, optuna {optuna_ms:.1f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
