"""Record a space's table: every configuration trained for R epochs by the real trainer.

Each configuration runs `trainer.cli.main(["train", ...])`, the code `python -m trainer train`
runs, in a process forked from a parent that has already imported torch and the trainer (as
kubetune's warm workers start trials), `parallel` at a time with `--threads 1` each. The child's
stdout (Katib metric lines) goes to a log; per epoch we keep the validation accuracy the trainer
printed and its `epoch_time`, plus the set-up time from fork to the first epoch's start.

Results are appended to `<table>.jsonl` as they finish, so an interrupted recording continues
where it stopped; `finish_table` turns them into the table JSON and, once every configuration is
there, removes the .jsonl (recording again then starts over).
"""
from __future__ import annotations

import json
import os
import platform
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

from efficiency.spaces import Space, config_key

_METRIC = re.compile(r"(?:^|\s)([A-Za-z_]+)=(\S+)")


def parse_log(text: str) -> dict:
    """The trainer's metric lines -> accuracy/epoch_time per epoch, params and macs."""
    accuracy: list[float] = []
    epoch_time: list[float] = []
    info: dict = {}
    for line in text.splitlines():
        if line.startswith("["):
            continue
        values = dict(_METRIC.findall(line))
        if "epoch" in values and "accuracy" in values:
            epoch = int(values["epoch"])
            if epoch != len(accuracy) + 1:
                raise ValueError(f"epoch {epoch} follows epoch {len(accuracy)} in the trainer's output")
            accuracy.append(float(values["accuracy"]))
            epoch_time.append(float(values.get("epoch_time", "nan")))
        for key in ("params", "macs"):
            if key in values and "epoch" not in values:
                info[key] = int(float(values[key]))
    return {"accuracy": accuracy, "epoch_time": epoch_time, **info}


def _child(argv: list[str], log: Path) -> None:
    """In the forked child: the trainer's main with stdout/stderr to `log`; never returns."""
    code = 1
    try:
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        sys.stdout = os.fdopen(1, "w", buffering=1, closefd=False)
        sys.stderr = os.fdopen(2, "w", buffering=1, closefd=False)
        from trainer.cli import main
        code = main(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - report it in the log, exit non-zero
        import traceback
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _argv(space: Space, config: dict[str, str], data: Path, out: Path) -> list[str]:
    return ["train", f"--data={data}", *space.fixed_args, *space.trainer_args(config),
            f"--epochs={space.max_epochs}", f"--out={out}", "--tensorboard=false", "--workers=0",
            "--threads=1", "--metrics-timestamps=false", "--seed=0"]


def _done_keys(jsonl: Path) -> set[str]:
    if not jsonl.is_file():
        return set()
    return {json.loads(line)["key"] for line in jsonl.read_text().splitlines() if line.strip()}


def record_space(space: Space, data: Path, table: Path, *, parallel: int = 2, limit: int | None = None,
                 progress=print) -> Path:
    """Train every configuration not yet in `<table>.jsonl`; returns the finished table path."""
    import trainer.cli  # noqa: F401 - imported once here, inherited by every forked trial
    import trainer.train  # noqa: F401

    jsonl = table.with_suffix(".jsonl")
    table.parent.mkdir(parents=True, exist_ok=True)
    names = list(space.choices)
    done = _done_keys(jsonl)
    todo = [c for c in space.configurations() if config_key(c, names) not in done][:limit]
    progress(f"[record] {space.name}: {len(done)} configurations recorded, {len(todo)} to train "
             f"({space.max_epochs} epochs each, {parallel} at a time)")
    scratch = Path(tempfile.mkdtemp(prefix=f"kubetune-record-{space.name}-"))
    running: dict[int, tuple[dict, Path, float]] = {}
    started_all = time.monotonic()
    try:
        queue = list(enumerate(todo))
        while queue or running:
            while queue and len(running) < parallel:
                i, config = queue.pop(0)
                out = scratch / f"t{i}"
                log = scratch / f"t{i}.log"
                t0 = time.monotonic()
                pid = os.fork()
                if pid == 0:
                    _child(_argv(space, config, data, out), log)
                running[pid] = (config, log, t0)
            pid, status = os.wait()
            if pid not in running:
                continue
            config, log, t0 = running.pop(pid)
            wall = time.monotonic() - t0
            row = {"key": config_key(config, names), "config": config,
                   "exit_code": os.waitstatus_to_exitcode(status), "wall_time": round(wall, 3),
                   **parse_log(log.read_text(errors="replace"))}
            row["setup_time"] = round(max(0.0, wall - sum(row["epoch_time"])), 3)
            with jsonl.open("a") as f:
                f.write(json.dumps(row) + "\n")
            shutil.rmtree(scratch / log.stem, ignore_errors=True)
            best = max(row["accuracy"], default=float("nan"))
            progress(f"[record] {row['key']}: best {best:.3f}, {len(row['accuracy'])} epochs, "
                     f"{wall:.1f} s (exit {row['exit_code']}; {time.monotonic() - started_all:.0f} s so far, "
                     f"load {os.getloadavg()[0]:.1f})")
    finally:
        for pid in running:
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
        shutil.rmtree(scratch, ignore_errors=True)
    return finish_table(space, data, table, parallel=parallel)


def finish_table(space: Space, data: Path, table: Path, *, parallel: int = 2) -> Path:
    """Write the table JSON from `<table>.jsonl` (configurations in the space's order)."""
    rows = {}
    for line in table.with_suffix(".jsonl").read_text().splitlines():
        if line.strip():
            row = json.loads(line)
            rows[row["key"]] = row
    names = list(space.choices)
    configs = []
    for config in space.configurations():
        row = rows.get(config_key(config, names))
        if row is not None:
            configs.append({k: row[k] for k in ("config", "accuracy", "epoch_time", "setup_time", "exit_code",
                                                "params", "macs") if k in row})
    marker = data / "digits-hard.txt"
    doc = {
        "space": space.name,
        "description": space.description,
        "dataset": marker.read_text().strip() if marker.is_file() else str(data),
        "max_epochs": space.max_epochs,
        "trainer_args": list(space.fixed_args) + ["--tensorboard=false", "--workers=0", "--threads=1", "--seed=0"],
        "recorded": {"date": time.strftime("%Y-%m-%d"), "machine": platform.processor() or platform.machine(),
                     "cpus": os.cpu_count(), "python": platform.python_version(),
                     "how": f"trainer.cli.main(train ...) in forked processes, {parallel} at a time, 1 thread each",
                     "load_avg_at_end": [round(x, 1) for x in os.getloadavg()]},
        "parameters": {name: list(values) for name, values in space.choices.items()},
        "configs": configs,
    }
    table.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    if len(configs) == len(space.configurations()):
        table.with_suffix(".jsonl").unlink()
    return table
