"""Start-up cost of the commands a user types most: `kubetune validate FILE` and `kubetune --help`,
next to a bare `python -c pass` (the interpreter's own start-up), each a fresh process.

Every command runs with the absolute path of this interpreter (the venv's python; `kubetune` is
`python -m kubetune.cli` so that no console-script wrapper is measured), interleaved, several
times; printed per command: median and min wall ms, the median's ratio to `python -c pass`, and
the heavy libraries the command imported (asked of one extra run under `python -X importtime`).

validate checks one Experiment per algorithm given (default: tpe, grid, asha, bohb), each a test
fixture of tests/experiment/data (asha and bohb: tpe.yaml with their budget settings).

    .venv/bin/python bench/cli_startup.py [--repeat 11] [--algorithms tpe,grid,asha,bohb]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
PYTHON = os.path.abspath(sys.executable)
KUBETUNE = [PYTHON, "-m", "kubetune.cli"]
HEAVY = ("optuna", "scipy", "numpy", "sklearn", "hyperopt", "skopt", "goptuna", "torch", "cmaes", "sqlalchemy",
         "rich", "kubernetes", "kfp", "pydantic", "kubeflow_katib_api")
# Each algorithm's Experiment: a test fixture, and the settings that replace its algorithmSettings
# (None: keep them); asha and bohb get their budget parameter on the tpe fixture.
BUDGET = [{"name": "resource_name", "value": "epochs"}, {"name": "max_resource", "value": "5"}]
FIXTURES = {
    "tpe": ("tpe.yaml", None),
    "random": ("random.yaml", None),
    "grid": ("grid.yaml", None),
    "hyperband": ("hyperband.yaml", None),
    "asha": ("tpe.yaml", BUDGET),
    "bohb": ("tpe.yaml", BUDGET),
}


def experiment_file(directory: Path, algorithm: str) -> Path:
    fixture, settings = FIXTURES[algorithm]
    doc = yaml.safe_load((REPO / "tests/experiment/data" / fixture).read_text())
    doc["metadata"]["name"] = f"startup-{algorithm}"
    doc["spec"]["algorithm"]["algorithmName"] = algorithm
    if settings is not None:
        doc["spec"]["algorithm"]["algorithmSettings"] = settings
    path = directory / f"{algorithm}.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def wall(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=REPO, stdin=subprocess.DEVNULL, capture_output=True, check=True)
    return time.perf_counter() - start


def heavy_imports(argv: list[str]) -> list[str]:
    """The heavy top-level packages `argv` (a python command) imports."""
    r = subprocess.run([argv[0], "-X", "importtime", *argv[1:]], cwd=REPO, stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, check=True)
    names = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in r.stderr.splitlines()
             if line.startswith("import time:")}
    return sorted(names & set(HEAVY))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeat", type=int, default=11, help="runs of each command (default 11)")
    p.add_argument("--algorithms", default="tpe,grid,asha,bohb",
                   help=f"comma-separated, from {', '.join(FIXTURES)} (default tpe,grid,asha,bohb)")
    args = p.parse_args(argv)
    algorithms = [a for a in args.algorithms.split(",") if a]
    unknown = sorted(set(algorithms) - set(FIXTURES))
    if unknown:
        p.error(f"--algorithms: unknown {', '.join(unknown)}; allowed: {', '.join(FIXTURES)}")
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="kubetune-startup-") as tmp:
        commands = {"python -c pass": [PYTHON, "-c", "pass"], "kubetune --help": KUBETUNE + ["--help"]}
        for algorithm in algorithms:
            commands[f"kubetune validate ({algorithm})"] = KUBETUNE + ["validate", str(experiment_file(Path(tmp), algorithm))]
        for argv_ in commands.values():  # warm the page cache and .pyc files; not counted
            wall(argv_)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.repeat):
            for name, argv_ in commands.items():
                times[name].append(wall(argv_))
        heavy = {name: heavy_imports(argv_) for name, argv_ in commands.items()}
    floor = statistics.median(times["python -c pass"])
    print(f"{PYTHON}, {args.repeat} runs each, 1-min load average {load_before:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after")
    print(f"{'command':32} {'median ms':>9} {'min ms':>7} {'x pass':>7}  heavy imports")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:32} {median * 1000:9.0f} {min(values) * 1000:7.0f} {median / floor:7.1f}  "
              f"{', '.join(heavy[name]) or '-'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
