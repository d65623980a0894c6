"""A recorded table: per configuration, the validation accuracy and time of each epoch.

Stored as bench/data/search_efficiency/<space>.json (see record.py for how it is made). A replay
looks a trial up by its assignments (the resource `epochs` left out) and reads its first r epochs:
the trainer's learning rate schedule here does not depend on --epochs, so a run of r epochs is the
first r epochs of the recorded R-epoch run.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

from efficiency.spaces import RESOURCE, SPACES, Space, config_key

TABLE_DIR = Path(__file__).resolve().parents[1] / "data" / "search_efficiency"


@dataclass(frozen=True)
class Curve:
    accuracy: tuple[float, ...]  # validation accuracy after epochs 1..n (n < R: the run failed there)
    epoch_time: tuple[float, ...]  # seconds per epoch
    setup_time: float  # seconds from the trial's start to its first epoch
    failed: bool = False  # the trainer exited non-zero (e.g. diverged) after len(accuracy) epochs


class Table:
    def __init__(self, space: Space, curves: dict[str, Curve], meta: dict):
        self.space, self.curves, self.meta = space, curves, meta
        self.names = tuple(space.choices)
        self.max_epochs = space.max_epochs

    @classmethod
    def load(cls, path: Path) -> "Table":
        doc = json.loads(Path(path).read_text())
        space = SPACES.get(doc.get("space"))
        if space is None:
            raise ValueError(f"{path}: unknown space {doc.get('space')!r}; known: {', '.join(SPACES)}")
        if doc.get("parameters") != {k: list(v) for k, v in space.choices.items()}:
            raise ValueError(f"{path}: its parameters differ from space {space.name!r} in spaces.py; record it again")
        curves = {}
        for row in doc["configs"]:
            curves[config_key(row["config"], tuple(space.choices))] = Curve(
                tuple(row["accuracy"]), tuple(row["epoch_time"]), float(row.get("setup_time", 0.0)),
                failed=row.get("exit_code", 0) != 0)
        missing = len(space.configurations()) - len(curves)
        if missing:
            raise ValueError(f"{path}: {missing} configurations of space {space.name!r} are not recorded; "
                             "run `search_efficiency.py record` to finish it")
        return cls(space, curves, {k: v for k, v in doc.items() if k != "configs"})

    @classmethod
    def for_space(cls, name: str, directory: Path = TABLE_DIR) -> "Table":
        return cls.load(directory / f"{name}.json")

    def curve(self, assignments: dict[str, str]) -> Curve:
        return self.curves[config_key(assignments, self.names)]

    def key(self, assignments: dict[str, str]) -> str:
        return config_key(assignments, self.names)

    def epochs_of(self, assignments: dict[str, str]) -> int:
        return int(assignments.get(RESOURCE, self.max_epochs))

    def best_possible(self) -> float:
        """The best accuracy any configuration reaches at any epoch: the ceiling of every search."""
        return max(max(c.accuracy, default=0.0) for c in self.curves.values())

    def full_trial_cost(self) -> tuple[float, float]:
        """Mean epochs and seconds of one full R-epoch trial (set-up included)."""
        epochs = [len(c.accuracy) for c in self.curves.values()]
        seconds = [c.setup_time + sum(c.epoch_time) for c in self.curves.values()]
        return sum(epochs) / len(epochs), sum(seconds) / len(seconds)

    def with_setup_time(self, seconds: float) -> "Table":
        """The same table with every trial's fixed cost replaced by `seconds` (the epochs unchanged)."""
        curves = {key: replace(c, setup_time=float(seconds)) for key, c in self.curves.items()}
        return Table(self.space, curves, self.meta)
