"""The live check: the replay's winner vs random search as real `kubetune run`s of the trainer.

Both run the same space as a Katib Experiment (categorical lists; the winner's resource `epochs`
as an int parameter when it is multi-fidelity) on the digits-hard images with
`python -m trainer train`, P trials at a time, warm workers as kubetune run starts them. Random
gets `trials` full trainings; the winner gets the trial count that spent the same number of
epochs in its replays. From each trial's log we count the epochs it actually trained (a
continued checkpoint's epochs are not counted again) and compare every accuracy it reported with
the table's value for that configuration and epoch: the replay's fidelity.
"""
from __future__ import annotations

import json
import math
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from efficiency.methods import METHODS, Method
from efficiency.replay import replay_one
from efficiency.spaces import RESOURCE
from efficiency.table import Table

_RESUMED = "resumed_from_epoch"
_METRIC = re.compile(r"(?:^|\s)([A-Za-z_]+)=(\S+)")


def experiment(method: Method, table: Table, data: Path, trials: int, parallel: int, name: str, *,
               epochs: int | None = None) -> dict:
    """The Katib Experiment of `method` on `table`'s space; `epochs` fixes every trial's --epochs
    (default: R, or the resource parameter for a multi-fidelity method)."""
    space = table.space
    params = [{"name": n, "parameterType": "categorical", "feasibleSpace": {"list": list(v)}}
              for n, v in space.choices.items()]
    args = [f"--data={data}", *space.fixed_args,
            *[f"--{space.flags[n]}=${{trialParameters.{n}}}" for n in space.choices],
            "--out=output", "--tensorboard=false", "--workers=0", "--threads=1", "--seed=0"]
    if epochs is not None:
        args.append(f"--epochs={epochs}")
    elif method.multi_fidelity:
        params.append({"name": RESOURCE, "parameterType": "int",
                       "feasibleSpace": {"min": "1", "max": str(space.max_epochs)}})
        args.append(f"--epochs=${{trialParameters.{RESOURCE}}}")
    else:
        args.append(f"--epochs={space.max_epochs}")
    spec = {
        "objective": {"type": "maximize", "objectiveMetricName": "accuracy"},
        "algorithm": {"algorithmName": method.algorithm,
                      "algorithmSettings": [{"name": k, "value": v}
                                            for k, v in method.algorithm_settings(space).items()]},
        "parallelTrialCount": parallel, "maxTrialCount": trials, "maxFailedTrialCount": trials,
        "parameters": params,
        "trialTemplate": {
            "primaryContainerName": "training", "retain": True,
            "trialParameters": [{"name": p["name"], "reference": p["name"]} for p in params],
            "trialSpec": {"apiVersion": "batch/v1", "kind": "Job", "spec": {"template": {"spec": {
                "restartPolicy": "Never",
                "containers": [{"name": "training", "command": [sys.executable, "-m", "trainer", "train"],
                                "args": args}]}}}},
        },
    }
    if method.early_stopping:
        spec["earlyStopping"] = {"algorithmName": method.early_stopping,
                                 "algorithmSettings": [{"name": k, "value": v}
                                                       for k, v in method.early_stopping_settings.items()]}
    return {"apiVersion": "kubeflow.org/v1beta1", "kind": "Experiment",
            "metadata": {"name": name, "namespace": "default"}, "spec": spec}


def trial_log(log: Path) -> list[tuple[str, int, float, bool]]:
    """(time stamp, epoch, accuracy, trained in this run) of every epoch one trial reported; a
    continued run's report of an epoch its checkpoint already held is not trained again."""
    resumed, reported = 0, []
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("["):
            continue  # the trainer's log lines
        fields = dict(_METRIC.findall(line))
        if _RESUMED in fields:
            resumed = int(fields[_RESUMED])
        elif "epoch" in fields and "accuracy" in fields:
            stamp = line.split()[0] if line.split()[0].endswith("Z") else ""
            epoch = int(fields["epoch"])
            reported.append((stamp, epoch, float(fields["accuracy"]), epoch > resumed))
    return reported


def kubetune_run(spec: dict, workdir: Path) -> tuple[dict, float]:
    """`kubetune run` of the Experiment `spec` in `workdir` (the engine's defaults: warm workers
    where safe): its `-o json` status and the run's wall time in seconds."""
    path = workdir / f"{spec['metadata']['name']}.yaml"
    path.write_text(json.dumps(spec))
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "kubetune.cli", "run", str(path), "--workdir", str(workdir),
                           "--seed", "0", "-q", "-o", "json"], capture_output=True, text=True)
    wall = time.monotonic() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"kubetune run {path} failed ({proc.returncode}):\n"
                           f"{(proc.stderr or proc.stdout)[-2000:]}")
    return json.loads(proc.stdout), wall


def run_live(method: Method, table: Table, data: Path, trials: int, parallel: int, workdir: Path) -> dict:
    name = f"live-{method.name.replace('+', '-')}"
    status, wall = kubetune_run(experiment(method, table, data, trials, parallel, name), workdir)
    events, diffs = [], []  # events: (time stamp, accuracy, trained) of every report, all trials
    for trial in _trials(status):
        log = workdir / name / "trials" / trial["name"] / "log"
        if not log.is_file():
            continue
        curve = table.curve(trial["assignments"]).accuracy
        for stamp, epoch, acc, trained in trial_log(log):
            events.append((stamp, acc, trained))
            if 0 < epoch <= len(curve):
                diffs.append(abs(acc - curve[epoch - 1]))
    events.sort()
    trace, epochs = [], 0  # (epochs trained so far, best so far) in the order the reports came
    for _, acc, trained in events:
        epochs += trained
        if not trace or acc > trace[-1][1]:
            trace.append((epochs, acc))
    return {"method": method.name, "trials": trials, "epochs": epochs, "wall_s": round(wall, 1),
            "best": trace[-1][1] if trace else math.nan, "trace": trace,
            "table_abs_diff_median": statistics.median(diffs) if diffs else math.nan,
            "table_abs_diff_max": max(diffs) if diffs else math.nan, "reports": len(diffs)}


def epochs_to(trace: list[tuple[int, float]], target: float) -> float:
    return next((e for e, best in trace if best >= target - 1e-12), math.inf)


def _trials(status: dict) -> list[dict]:
    """Trial name and assignments from `kubetune run -o json` (its `trials` list)."""
    out = []
    for t in status.get("trials", []):
        assignments = t.get("parameters") or t.get("assignments") or {}
        if isinstance(assignments, list):
            assignments = {a["name"]: a["value"] for a in assignments}
        out.append({"name": t["name"], "assignments": assignments, "state": t.get("state"),
                    "duration": t.get("durationSeconds")})
    return out


def confirm(winner: str, table: Table, data: Path, *, parallel: int = 2, progress=print) -> dict:
    """Run random (B full trainings) and the winner (the same epochs) live on `table`'s space."""
    from efficiency.data import make_hard_digits

    data = make_hard_digits(data)
    random_trials = int(table.space.budget_trials)
    budget = random_trials * table.max_epochs
    method = next(m for m in METHODS if m.name == winner)
    counts = [replay_one(table, method, s, parallel=parallel, cap_epochs=budget).trials for s in range(5)]
    winner_trials = max(1, int(statistics.median(counts)))
    out = {}
    with tempfile.TemporaryDirectory(prefix="kubetune-live-") as tmp:
        for m, n in ((next(m for m in METHODS if m.name == "random"), random_trials), (method, winner_trials)):
            res = run_live(m, table, data, n, parallel, Path(tmp))
            out[m.name] = res
            progress(f"live {table.space.name} {m.name:22s}: {res['trials']} trials, {res['epochs']} epochs "
                     f"trained, best {res['best']:.4f}, {res['wall_s']:.0f} s; vs the table: median |diff| "
                     f"{res['table_abs_diff_median']:.4f}, max {res['table_abs_diff_max']:.4f} over "
                     f"{res['reports']} reports")
    r, w = out["random"], out[winner]
    need = epochs_to(w["trace"], r["best"])
    out["winner_epochs_to_random_best"] = need
    out["fraction"] = need / r["epochs"] if r["epochs"] else math.nan
    out["verdict"] = "confirmed" if need <= r["epochs"] else "not confirmed"
    progress(f"live check ({table.space.name}): {winner} reached random's best {r['best']:.4f} after {need:g} "
             f"epochs = {out['fraction']:.2f} x random's {r['epochs']} (its own best {w['best']:.4f} after "
             f"{w['epochs']} epochs): {out['verdict']}")
    return out
