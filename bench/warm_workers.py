"""Warm workers: the per-slot cost of a torch-importing trial, forked from a warm parent vs started fresh.

The same trial script (imports torch, builds a tiny model, prints `accuracy=... loss=...`) runs N
times, P at a time, in one run, three ways:

  floor       plain subprocess.run() of `python trial.py --x V` from P threads (a fresh interpreter
              and `import torch` per trial: what every peer pays);
  engine-sub  the local engine (`LocalEngine.run()`, launcher `subprocess`) on an Experiment whose
              Job runs that command;
  engine-warm the same Experiment with launcher `warm`: one warm parent imports torch once, each
              trial is a fork of it.

Per slot = wall x P / N: how long one of the P slots is busy per trial (engine-warm's wall includes
starting the warm parent; the time per slot once it is ready is printed too). Target: engine-warm
per slot <= 0.1 x the floor's. Each engine run is a child process of this script, so its peak RSS
(getrusage) is the engine's alone; the warm parent's peak RSS (VmHWM), its resident anonymous memory
and its PSS (smaps_rollup: shared pages counted once per sharer) are read from /proc before it
exits. Target: engine + warm parent peak RSS < 400 MB. Interpreters are called by absolute path.

    .venv/bin/python bench/warm_workers.py [--trials 20] [--parallel 2]
"""
from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_experiment import job_experiment  # noqa: E402

TRIAL = '''import argparse
import torch

p = argparse.ArgumentParser()
p.add_argument("--x", type=float, required=True)
a = p.parse_args()
model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
loss = model(torch.full((4, 8), a.x)).pow(2).mean()
print(f"accuracy={1.0 - abs(a.x - 0.3):.4f} loss={loss.item():.4f}")
'''
SLOT_RATIO_TARGET = 0.1
RSS_TARGET_MB = 400.0


def run_floor(script: Path, trials: int, parallel: int, cwd: Path) -> float:
    def one(i: int) -> None:
        subprocess.run([sys.executable, str(script), "--x", str(i / trials)], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True, check=True, cwd=cwd)

    t0 = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(parallel) as pool:
        list(pool.map(one, range(trials)))
    return time.perf_counter() - t0


def _proc_kb(pid: int, keys: tuple[str, ...], name: str = "status") -> dict[str, float]:
    out = {}
    try:
        for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in keys:
                out[key] = int(rest.split()[0]) / 1024
    except OSError:
        pass
    return out


def engine_child(mode: str, script: Path, trials: int, parallel: int, workdir: Path) -> dict:
    """Runs in a child process: the engine on N trials with the given launcher."""
    from kubetune.engine import LocalEngine
    from kubetune.experiment import experiment_from_dict

    exp = experiment_from_dict(job_experiment(f"warm-{mode}", trials, parallel, {
        "image": "python:3.11", "command": ["python", str(script)], "args": ["--x", "${trialParameters.x}"]}))
    launcher = mode
    ready_at: list[float] = []
    if mode == "warm":
        from kubetune.engine.launch import WarmLauncher

        launcher = WarmLauncher(workdir / "parent.log")
    engine = LocalEngine(exp, workdir, seed=1, gpus=[], launcher=launcher)
    t0 = time.perf_counter()
    if mode == "warm":
        def watch() -> None:
            while launcher.parent is None:
                time.sleep(0.005)
            launcher.parent.ready.wait()
            ready_at.append(time.perf_counter() - t0)
        threading.Thread(target=watch, daemon=True).start()
    result = engine.run()
    wall = time.perf_counter() - t0
    out = {"wall": wall, "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
           "succeeded": sum(t.state == "Succeeded" for t in result.trials)}
    if mode == "warm":
        pid = launcher.parent.pid
        out["parent"] = {**_proc_kb(pid, ("VmHWM", "VmRSS", "RssAnon", "RssFile")),
                         **_proc_kb(pid, ("Pss",), "smaps_rollup")}
        out["parent_ready_s"] = ready_at[0] if ready_at else None
        out["preloaded"] = launcher.parent.info.get("loaded")
        launcher.close()
    return out


def run_engine(mode: str, script: Path, trials: int, parallel: int, tmp: Path) -> dict:
    workdir = tmp / f"engine-{mode}"
    workdir.mkdir()
    proc = subprocess.run([sys.executable, __file__, "--child", mode, "--script", str(script), "--trials", str(trials),
                           "--parallel", str(parallel), "--workdir", str(workdir)],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"engine ({mode}) failed:\n{proc.stderr[-4000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    if out["succeeded"] != trials:
        raise SystemExit(f"engine ({mode}): only {out['succeeded']}/{trials} trials succeeded; see {workdir}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--parallel", type=int, default=2)
    ap.add_argument("--skip-engine-subprocess", action="store_true", help="only floor and engine-warm")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--script", help=argparse.SUPPRESS)
    ap.add_argument("--workdir", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    n, p = args.trials, args.parallel
    if args.child:
        print(json.dumps(engine_child(args.child, Path(args.script), n, p, Path(args.workdir))))
        return 0
    with tempfile.TemporaryDirectory(prefix="kubetune-warm-bench-") as tmp_name:
        tmp = Path(tmp_name)
        script = tmp / "trial.py"
        script.write_text(TRIAL)
        run_floor(script, p, p, tmp)  # torch's files into the page cache
        walls = {"floor": run_floor(script, n, p, tmp)}
        warm = run_engine("warm", script, n, p, tmp)
        walls["engine-warm"] = warm["wall"]
        if not args.skip_engine_subprocess:
            walls["engine-sub"] = run_engine("subprocess", script, n, p, tmp)["wall"]
    print(f"{n} torch-importing trials, {p} at a time  (python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f})")
    print(f"{'':12} {'wall s':>8} {'per slot ms':>12} {'x floor':>8}")
    floor_slot = walls["floor"] * p / n
    for k, wall in walls.items():
        slot = wall * p / n
        print(f"{k:12} {wall:8.2f} {slot * 1000:12.1f} {slot / floor_slot:8.3f}")
    parent = warm["parent"]
    ready = warm["parent_ready_s"] or 0.0
    steady = (walls["engine-warm"] - ready) * p / n
    print(f"warm parent: ready {ready:.2f} s after the engine started (preloaded "
          f"{', '.join(warm['preloaded'] or []) or 'nothing'}); per slot once it is ready: {steady * 1000:.1f} ms "
          f"({steady / floor_slot:.3f} x floor)")
    total = warm["maxrss_mb"] + parent.get("VmHWM", 0)
    print(f"peak RSS MB: engine {warm['maxrss_mb']:.0f} + warm parent {parent.get('VmHWM', 0):.0f} = {total:.0f} "
          f"(parent: anonymous {parent.get('RssAnon', 0):.0f}, file-backed {parent.get('RssFile', 0):.0f}, "
          f"PSS {parent.get('Pss', 0):.0f})")
    ratio = walls["engine-warm"] * p / n / floor_slot
    print(f"target: per slot <= {SLOT_RATIO_TARGET} x floor: {'met' if ratio <= SLOT_RATIO_TARGET else 'NOT met'} "
          f"({ratio:.3f}); engine + warm parent RSS < {RSS_TARGET_MB:.0f} MB: "
          f"{'met' if total < RSS_TARGET_MB else 'NOT met'} ({total:.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
