"""The two search spaces of the benchmark, discretised so that every point can be recorded.

* `cells`: the lecture's network (seeds 003/004, examples/optuna/lecture-nas.yaml): the Normal
  Cell and how often it repeats, with the optimizer, learning rate and batch size.
* `efficientnet`: EfficientNet-B0's compound scaling at small resolution (seed 000): depth and
  width multipliers and input resolution, with the learning rate (SGD, momentum 0.9).

Each space is a list of Katib parameters (categorical/discrete lists, as a user would write a
discretised space), the trainer arguments every trial shares, and R, the epochs of a full trial
(the resource `epochs` that hyperband/asha/bohb vary between 1 and R).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from kubetune.experiment.space import Parameter

RESOURCE = "epochs"


@dataclass(frozen=True)
class Space:
    name: str
    description: str
    choices: dict[str, tuple[str, ...]]  # parameter -> values, as Katib strings (in flag order)
    flags: dict[str, str]  # parameter -> trainer flag
    fixed_args: tuple[str, ...]  # trainer arguments every trial shares (data and --epochs added later)
    max_epochs: int  # R
    budget_trials: float  # the compute budget B, in full (R-epoch) trainings
    notes: tuple[str, ...] = field(default_factory=tuple)

    def parameters(self, *, with_resource: bool = True) -> list[Parameter]:
        """The Katib parameters the search sees; `epochs` (int 1..R) is the resource."""
        params = [Parameter(name, "categorical", values=tuple(values)) for name, values in self.choices.items()]
        if with_resource:
            params.append(Parameter(RESOURCE, "int", 1, self.max_epochs))
        return params

    def configurations(self) -> list[dict[str, str]]:
        names = list(self.choices)
        return [dict(zip(names, combo)) for combo in itertools.product(*self.choices.values())]

    def trainer_args(self, config: dict[str, str]) -> list[str]:
        """The configuration's own trainer flags (the fixed ones come from `fixed_args`)."""
        return [f"--{self.flags[name]}={config[name]}" for name in self.choices]

    @property
    def budget_epochs(self) -> int:
        return int(round(self.budget_trials * self.max_epochs))


def config_key(config: dict[str, str], names: list[str] | tuple[str, ...]) -> str:
    """One configuration as a string, the resource left out: the table's and the pool's key."""
    return ",".join(f"{name}={config[name]}" for name in names)


CELLS = Space(
    name="cells",
    description="lecture cell network (stem, 2 stages of N x Normal Cell + MaxPool reduction), "
                "16 px digits-hard, 1 channel",
    choices={
        "normal_cell": ("Conv", "DWConv", "InvertedResidualv2", "MBConv"),
        "n_repeat": ("1", "2"),
        "optimizer": ("sgd", "adam"),
        "lr": ("0.001", "0.003", "0.01", "0.03", "0.1"),
        "batch_size": ("32", "128"),
    },
    flags={"normal_cell": "cells.normal-cell", "n_repeat": "cells.n-repeat", "optimizer": "optimizer",
           "lr": "lr", "batch_size": "batch-size"},
    fixed_args=("--model=cells", "--cells.n-stages=2", "--cells.base-channels=16", "--image-size=16",
                "--channels=1"),
    max_epochs=9,
    budget_trials=16,
)

EFFICIENTNET = Space(
    name="efficientnet",
    description="EfficientNet-B0 compound scaling (depth alpha, width beta, resolution 16/24 px: the "
                "16 px digits-hard images resized), SGD momentum 0.9, batch 32, 1 channel",
    choices={
        "alpha": ("0.5", "1.0"),
        "beta": ("0.25", "0.5"),
        "image_size": ("16", "24"),
        "lr": ("0.03", "0.1", "0.3"),
    },
    flags={"alpha": "efficientnet.alpha", "beta": "efficientnet.beta", "image_size": "image-size", "lr": "lr"},
    fixed_args=("--model=efficientnet-b0", "--optimizer=sgd", "--momentum=0.9", "--batch-size=32", "--channels=1"),
    max_epochs=9,
    budget_trials=6,
)

SPACES = {space.name: space for space in (CELLS, EFFICIENTNET)}
