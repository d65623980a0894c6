"""Katib's `medianstop` early stopping (katib-semantics 4), service side and sidecar side.

Service (pkg/earlystopping/v1beta1/medianstop/service.py), `compute_rule`: for every Succeeded
trial, the arithmetic mean of its first `start_step` objective values (DB order: by time); once
at least `min_trials_required` trials have succeeded, one rule whose value is the arithmetic mean
of those means (a mean of means, not a median), compared `less` for maximize and `greater` for
minimize. Early-stopped trials never enter the history.

Delivery: Katib asks for rules right after each suggestion batch and freezes them into the new
trials' specs, so the engine computes the rule when it creates a trial and keeps it with the
trial; a trial created before `min_trials_required` successes runs without a rule.

Sidecar (cmd/metricscollector/v1beta1/file-metricscollector), `MedianStopEvaluator`: for the
objective metric the value compared is the best seen so far; a countdown from `startStep` is
decremented on every reported value and the rule is checked only when it reaches exactly 0, i.e.
once, at the start_step-th value. If it is met the trial is stopped; if not, it never will be.

What happens after a stop, in Katib:

* The trial gets the condition EarlyStopped (reason TrialEarlyStopped). EarlyStopped counts as a
  *completed* trial (toward maxTrialCount), not as a failure, and suggestion services receive it
  with its observation like a success (goptuna: pruned).
* Retain quirk: the observation of an early-stopped trial is only read when the workload is
  kept (`trialTemplate.retain: true`). Without retain the workload is deleted as soon as the trial
  is EarlyStopped, its observation is never read (kubeflow/katib#1377), and the trial stays
  "early stopped without observation": hidden from suggestion services and subtracted from every
  later suggestion request, permanently lowering the effective parallelism. Both of Katib's
  medianstop examples set `retain: true` for this reason.
* Early stopping only works with the StdOut and File collectors (the only ones with the sidecar).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from .metrics import MetricLog, go_parse_float, go_trim_space
from .objective import MAXIMIZE, MINIMIZE, db_ordered

DEFAULT_MIN_TRIALS_REQUIRED = 3
DEFAULT_START_STEP = 4
COMPARISONS = ("less", "greater", "equal")


class SettingsError(ValueError):
    """A medianstop setting Katib's service rejects; `setting` names it."""

    def __init__(self, setting: str, message: str):
        super().__init__(f"spec.earlyStopping.algorithmSettings {setting}: {message}")
        self.setting = setting


def _check_type(objective_type: str) -> str:
    if objective_type not in (MINIMIZE, MAXIMIZE):
        raise ValueError(f"objective type: expected 'minimize' or 'maximize', got {objective_type!r}")
    return objective_type


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


@dataclass(frozen=True)
class Rule:
    """One early-stopping rule (Katib's EarlyStoppingRule). `value` is the float the sidecar
    reads back from the rule's text, which Katib writes with Python's str()."""

    name: str
    value: float
    comparison: str
    start_step: int

    def __post_init__(self) -> None:
        if self.comparison not in COMPARISONS:
            raise ValueError(f"rule comparison: expected one of {', '.join(COMPARISONS)}, got {self.comparison!r}")

    @property
    def value_text(self) -> str:
        return str(self.value)

    def as_flag(self) -> str:
        """The sidecar flag the pod webhook writes: `-stop-rule <this>`."""
        return f"{self.name};{self.value_text};{self.comparison};{self.start_step}"


def rule_to_dict(rule: Rule) -> dict:
    """Trial.spec.earlyStoppingRules[] shape: {name, value (text), comparison, startStep}."""
    return {"name": rule.name, "value": rule.value_text, "comparison": rule.comparison,
            "startStep": rule.start_step}


def rule_from_dict(data: Mapping) -> Rule:
    value = go_parse_float(str(data.get("value", "")))
    if value is None:
        raise ValueError(f"earlyStoppingRules value: expected a number, got {data.get('value')!r} "
                         "(Katib's sidecar exits on it)")
    return Rule(str(data.get("name", "")), value, str(data.get("comparison", "")), int(data.get("startStep", 0)))


def objective_history(logs: Iterable[MetricLog], objective_name: str) -> list[float]:
    """A trial's objective values as the service reads them from the DB: by time (microsecond
    precision, ties in report order), each converted with Python's float() (a value that is not
    a number makes Katib's service fail: ValueError here)."""
    values = []
    for log in db_ordered(log for log in logs if log.name == objective_name):
        try:
            values.append(float(log.value))
        except ValueError:
            raise ValueError(f"objective value {log.value!r} of metric {objective_name!r} is not a number; "
                             "Katib's medianstop service fails on it") from None
    return values


def compute_rule(succeeded: Sequence[Sequence[float]], objective_type: str,
                 settings: MedianStopSettings | Mapping[str, object] | None = None,
                 *, metric_name: str = "") -> Rule | None:
    """The rule for trials created now, or None while fewer than min_trials_required trials have
    succeeded. `succeeded`: each Succeeded trial's objective values in DB order
    (objective_history), trials in the order they were first seen succeeded (the float sums are
    done in Katib's order, so the rule is bit-identical)."""
    _check_type(objective_type)
    if not isinstance(settings, MedianStopSettings):
        settings = MedianStopSettings.from_settings(settings)
    averages = []
    for index, values in enumerate(succeeded):
        first = list(values)[: settings.start_step]
        if not first:
            raise ValueError(f"succeeded trial #{index} has no objective values; "
                             "Katib's medianstop service would divide by zero")
        total = 0
        for value in first:
            total += float(value)
        averages.append(total / len(first))
    if len(averages) < settings.min_trials_required:
        return None
    mean = sum(averages) / len(averages)
    comparison = "less" if objective_type == MAXIMIZE else "greater"
    return Rule(metric_name, mean, comparison, settings.start_step)


def parse_sidecar_value(text: str) -> float:
    """A reported value as the sidecar reads it for early stopping: Go's ParseFloat of the
    trimmed text. Katib's sidecar exits (klog.Fatalf) on a value that does not parse - then no
    metrics are reported for the trial at all; ValueError here."""
    value = go_parse_float(go_trim_space(text))
    if value is None:
        raise ValueError(f"metric value {text!r} is not a number; Katib's metrics sidecar exits on it "
                         "when early stopping is on")
    return value


class MedianStopEvaluator:
    """The sidecar's check of one trial's frozen rule against the objective values it reports.

    feed(value) returns True exactly once: at the start_step-th value, if the best value so far
    (max for maximize, min for minimize) compares with the rule as `less` / `greater` / `equal`.
    Before that, after it, or once the rule was met, it returns False. A rule with start_step 0
    (not produced by medianstop) is checked on every value until met.
    """

    def __init__(self, rule: Rule, objective_type: str):
        self.rule = rule
        self.objective_type = _check_type(objective_type)
        self.best: float | None = None
        self.steps = 0
        self.stopped = False
        self._countdown = rule.start_step

    def feed(self, value: float) -> bool:
        if self.stopped:
            return False  # the sidecar's rule list is empty: nothing is evaluated any more
        value = float(value)
        self.steps += 1
        if self.best is None:
            self.best = value
        elif self.objective_type == MAXIMIZE and value > self.best:
            self.best = value
        elif self.objective_type == MINIMIZE and value < self.best:
            self.best = value
        if self.rule.start_step != 0:
            self._countdown -= 1
            if self._countdown != 0:
                return False
        best, target = self.best, self.rule.value
        met = {"less": best < target, "greater": best > target, "equal": best == target}[self.rule.comparison]
        if met:
            self.stopped = True
        return met

    @property
    def evaluated(self) -> bool:
        """True once the single evaluation (start_step > 0) has happened."""
        return self.rule.start_step != 0 and self._countdown <= 0


def rule_would_stop(values: Iterable[float], rule: Rule, objective_type: str) -> int | None:
    """The 1-based position of the value at which the trial would be stopped, or None."""
    evaluator = MedianStopEvaluator(rule, objective_type)
    for position, value in enumerate(values, start=1):
        if evaluator.feed(value):
            return position
    return None


__all__ = [
    "DEFAULT_MIN_TRIALS_REQUIRED", "DEFAULT_START_STEP", "MedianStopEvaluator", "MedianStopSettings", "Rule",
    "SettingsError", "compute_rule", "objective_history", "parse_sidecar_value", "rule_from_dict",
    "rule_to_dict", "rule_would_stop",
]
