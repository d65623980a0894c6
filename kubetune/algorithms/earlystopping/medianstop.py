"""Katib's `medianstop` early-stopping service (pkg/earlystopping/v1beta1/medianstop/service.py).

Settings (ValidateEarlyStoppingSettings, katib-semantics 2.2): `min_trials_required` (int > 0,
default 3) and `start_step` (int >= 1, default 4); any other name is rejected.

Rule (GetEarlyStoppingRules, 4.1), `compute_rule`: for every Succeeded trial, the arithmetic mean
of its first `start_step` objective values (DB order: by time, an untimestamped value - the zero
time - first, ties in report order; the engine keeps each succeeded trial's curve in that order,
TrialBook.curves, also on resume); once at least
`min_trials_required` trials have succeeded, one rule whose value is the arithmetic mean of those
means (a mean of means, not a median), compared `less` for maximize and `greater` for minimize.
Early-stopped trials never enter the history. How the rule reaches a trial and stops it is the
same for every early-stopping algorithm (rules.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import islice
from typing import Iterable, Mapping, Sequence

from kubetune.algorithms._checks import AlgorithmContext, settings_table
from kubetune.algorithms.earlystopping._common import early_stopping_setting, lint_min_trials, min_trials_rules
from kubetune.algorithms.earlystopping.rules import Rule
from kubetune.experiment.errors import Problem
from kubetune.experiment.types import Experiment
from kubetune.results import MAXIMIZE, check_objective_type

DEFAULT_MIN_TRIALS_REQUIRED = 3
DEFAULT_START_STEP = 4


def check_medianstop(ctx: AlgorithmContext) -> list[Problem]:
    return settings_table(ctx, min_trials_rules(ctx))


def lint_medianstop(exp: Experiment) -> list[Problem]:
    """A rule that needs more succeeded trials than the budget allows never fires."""
    try:
        min_trials = int(early_stopping_setting(exp, "min_trials_required") or DEFAULT_MIN_TRIALS_REQUIRED)
    except (TypeError, ValueError):
        min_trials = DEFAULT_MIN_TRIALS_REQUIRED
    return lint_min_trials(exp, "medianstop", min_trials)


class SettingsError(ValueError):
    """A medianstop setting Katib's service rejects; `setting` names it."""

    def __init__(self, setting: str, message: str):
        super().__init__(f"spec.earlyStopping.algorithmSettings {setting}: {message}")
        self.setting = setting


@dataclass(frozen=True)
class MedianStopSettings:
    min_trials_required: int = DEFAULT_MIN_TRIALS_REQUIRED
    start_step: int = DEFAULT_START_STEP

    @classmethod
    def from_settings(cls, settings: Mapping[str, object] | Iterable[Mapping[str, object]] | None
                      ) -> "MedianStopSettings":
        """Katib's validate_medianstop_setting, then its reading of the values. `settings` is the
        spec's algorithmSettings list ({name, value} dicts, later duplicates win) or a
        name -> value mapping; values are strings as in the API (ints are accepted too)."""
        if settings is None:
            return cls()
        pairs = list(settings.items()) if isinstance(settings, Mapping) else \
            [(s.get("name"), s.get("value")) for s in settings]
        values = {}
        for name, raw in pairs:
            if name not in ("min_trials_required", "start_step"):
                raise SettingsError(str(name), f"unknown setting {name!r} for algorithm medianstop; "
                                               "allowed: min_trials_required, start_step")
            if isinstance(raw, bool) or not isinstance(raw, (str, int)):
                raise SettingsError(name, f"value must be an integer written as a string, got {raw!r}")
            try:
                number = int(raw)  # the service's int(): Python's rules (" 3", "+3", "1_0" pass)
            except ValueError as e:
                raise SettingsError(name, f"failed to validate {name}({raw}): {e}; expected an integer") from None
            if name == "min_trials_required" and not number > 0:
                raise SettingsError(name, f"min_trials_required must be greater than zero (>0), got {raw!r}")
            if name == "start_step" and not number >= 1:
                raise SettingsError(name, f"start_step must be greater or equal than one (>=1), got {raw!r}")
            values[name] = number
        return cls(**values)


def compute_rule(succeeded: Sequence[Sequence[float]], objective_type: str,
                 settings: MedianStopSettings | Mapping[str, object] | None = None,
                 *, metric_name: str = "") -> Rule | None:
    """The rule for trials created now, or None while fewer than min_trials_required trials have
    succeeded. `succeeded`: each Succeeded trial's objective values in DB order (by time, an
    untimestamped value first; the engine's TrialBook.curves), trials in the order they were first
    seen succeeded (the float sums are done in Katib's order, so the rule is bit-identical). Only
    the first start_step values of each are read; one that Python's float() rejects (the engine
    passes such a value as its text) fails the rule as it fails Katib's service: UnusableHistory."""
    check_objective_type(objective_type)
    if not isinstance(settings, MedianStopSettings):
        settings = MedianStopSettings.from_settings(settings)
    averages = []
    for index, values in enumerate(succeeded):
        first = list(islice(values, settings.start_step))
        if not first:
            raise UnusableHistory(index, f"succeeded trial #{index} has no objective values; "
                                         "Katib's medianstop service would divide by zero")
        total = 0
        for value in first:
            try:
                total += float(value)
            except (TypeError, ValueError):
                raise UnusableHistory(index, f"succeeded trial #{index}: objective value {value!r} is not a number; "
                                             "Katib's medianstop service fails on it (float()), and Katib creates "
                                             "no more trials") from None
        averages.append(total / len(first))
    if len(averages) < settings.min_trials_required:
        return None
    mean = sum(averages) / len(averages)
    comparison = "less" if objective_type == MAXIMIZE else "greater"
    return Rule(metric_name, mean, comparison, settings.start_step)


class UnusableHistory(ValueError):
    """A succeeded trial's history Katib's service cannot use; `index`: its position in `succeeded`."""

    def __init__(self, index: int, message: str):
        super().__init__(message)
        self.index = index
