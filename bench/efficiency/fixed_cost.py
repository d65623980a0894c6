"""The per-trial fixed cost a user actually gets, measured inside the bench run.

The replay charges every trial a fixed cost (start, imports, data, model build, teardown: the
trial's wall time outside its epochs) on top of the recorded epoch times. The tables' own
`setup_time` was recorded under load from a fork parent without torchvision and is inflated, so
by default the bench measures it again: a few 1-epoch trials of the space's trainer through the
real engine (`kubetune run`, its default launcher: warm workers where safe), and per trial

    fixed cost = the trial's duration (the engine's start -> finish, `durationSeconds`)
                 - the epoch_time its metric lines reported (the epochs it trained)

the same split as the recorder's (fork -> exit, minus the epoch times). The replay then charges
the median over the trials; the epoch times stay the recorded ones.
"""
from __future__ import annotations

import re
import statistics
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from efficiency.live import _trials, experiment, kubetune_run
from efficiency.methods import METHODS
from efficiency.table import Table

WARM_PARENT_LOG = "warm-parent.log"  # the engine writes it in the run's folder when it starts a warm parent
_METRIC = re.compile(r"(?:^|\s)([A-Za-z_]+)=(\S+)")


def epoch_seconds(log_text: str) -> float:
    """The epoch_time of every epoch a trial's metric lines reported, summed (s)."""
    total, seen = 0.0, False
    for line in log_text.splitlines():
        if line.startswith("["):
            continue  # the trainer's log lines
        fields = dict(_METRIC.findall(line))
        if "epoch" in fields and "epoch_time" in fields:
            total += float(fields["epoch_time"])
            seen = True
    if not seen:
        raise ValueError("no metric line with epoch_time= in the trial's log")
    return total


def fixed_cost(duration: float, log_text: str) -> float:
    """One trial's fixed cost: its wall time minus the time of the epochs it trained."""
    return duration - epoch_seconds(log_text)


@dataclass
class FixedCost:
    """The measured fixed cost of one space's trials."""

    seconds: float  # median over the trials
    per_trial: list[float] = field(default_factory=list)
    durations: list[float] = field(default_factory=list)
    run_wall: float = 0.0  # the whole `kubetune run` (engine and warm parent start included)
    launcher: str = ""  # "warm workers" when the engine started a warm parent, else "subprocess"
    trials: list[str] = field(default_factory=list)  # the measured trials' names

    def to_dict(self) -> dict:
        return {"seconds": self.seconds, "per_trial": self.per_trial, "durations": self.durations,
                "run_wall_s": round(self.run_wall, 2), "launcher": self.launcher,
                "trials": self.trials}


def from_run(status: dict, run_dir: Path, run_wall: float = 0.0) -> FixedCost:
    """The fixed costs of the succeeded trials of a finished `kubetune run` (`-o json` status)."""
    costs, durations, names = [], [], []
    for trial in _trials(status):
        log = run_dir / "trials" / trial["name"] / "log"
        if trial["state"] != "Succeeded" or trial["duration"] is None or not log.is_file():
            continue
        names.append(trial["name"])
        durations.append(float(trial["duration"]))
        costs.append(fixed_cost(durations[-1], log.read_text(errors="replace")))
    if not costs:
        raise RuntimeError(f"{run_dir}: no trial succeeded; see the logs under {run_dir / 'trials'}")
    launcher = "warm workers" if (run_dir / WARM_PARENT_LOG).is_file() else "subprocess"
    return FixedCost(statistics.median(costs), costs, durations, run_wall, launcher, names)


def measure(spec: dict, workdir: Path) -> FixedCost:
    """Run the Experiment `spec` with `kubetune run` in `workdir` and measure its trials."""
    status, wall = kubetune_run(spec, workdir)
    return from_run(status, workdir / spec["metadata"]["name"], wall)


def measure_space(table: Table, data: Path, *, trials: int = 4, parallel: int = 2) -> FixedCost:
    """`trials` random 1-epoch trials of `table`'s space, `parallel` at a time, on the real trainer."""
    from efficiency.data import make_hard_digits

    data = make_hard_digits(data).resolve()
    random = next(m for m in METHODS if m.name == "random")
    name = f"fixed-cost-{table.space.name}"
    with tempfile.TemporaryDirectory(prefix="kubetune-fixed-cost-") as tmp:
        return measure(experiment(random, table, data, trials, parallel, name, epochs=1), Path(tmp))


def recorded(table: Table) -> float:
    """The median set-up time the table recorded per trial."""
    return statistics.median(c.setup_time for c in table.curves.values())


def parse_setup(text: str) -> str | float:
    """--setup-time: `measured`, `recorded` or a number of seconds (>= 0)."""
    if text in ("measured", "recorded"):
        return text
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise ValueError(f"--setup-time: {text!r} is not allowed; use measured, recorded or seconds >= 0")
    return value


def charge(tables: list[Table], mode: str | float, data: Path, *, progress=print) -> tuple[list[Table], dict]:
    """The tables the replay runs on, with the fixed cost per trial that `mode` asks for:
    `recorded` (each configuration's recorded set-up time), `measured` (measured now, per space)
    or a number of seconds; and per space what was charged (for the report and results.json)."""
    out, info = [], {}
    for table in tables:
        name, rec = table.space.name, recorded(table)
        row: dict = {"mode": mode if isinstance(mode, str) else "seconds", "recorded_median_s": rec}
        if mode == "recorded":
            row["charged_s"] = rec
            row["note"] = f"recorded set-up time per trial (median {rec:.1f} s)"
            out.append(table)
        else:
            if mode == "measured":
                fc = measure_space(table, data)
                row["measured"] = fc.to_dict()
                seconds = fc.seconds
                progress(f"fixed cost per trial, {name}: measured {seconds:.2f} s ({fc.launcher}; median of "
                         f"{len(fc.per_trial)} 1-epoch trials through kubetune run, 2 at a time: "
                         f"{', '.join(f'{c:.2f}' for c in fc.per_trial)} s; run {fc.run_wall:.0f} s); "
                         f"recorded {rec:.1f} s")
                row["note"] = f"measured fixed cost per trial {seconds:.2f} s ({fc.launcher})"
            else:
                seconds = float(mode)
                row["note"] = f"fixed cost per trial {seconds:g} s (--setup-time)"
            row["charged_s"] = seconds
            out.append(table.with_setup_time(seconds))
        info[name] = row
    return out, info
