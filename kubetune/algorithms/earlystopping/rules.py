"""Early-stopping rules as Katib delivers and evaluates them, whichever algorithm made them
(katib-semantics 4.2, 4.3).

Delivery: Katib asks the early-stopping service for rules right after each suggestion batch and
freezes them into the new trials' specs (`Trial.spec.earlyStoppingRules`), so the engine
computes the rule when it creates a trial and keeps it with the trial (`rule_to_dict` /
`rule_from_dict`); a trial created before the service has a rule runs without one.

Sidecar (cmd/metricscollector/v1beta1/file-metricscollector), `RuleEvaluator`: for the objective
metric the value compared is the best seen so far; a countdown from `startStep` is decremented on
every reported value and the rule is checked only when it reaches exactly 0, i.e. once, at the
start_step-th value. If it is met the trial is stopped; if not, it never will be.

What happens after a stop, in Katib:

* The trial gets the condition EarlyStopped (reason TrialEarlyStopped). EarlyStopped counts as a
  *completed* trial (toward maxTrialCount), not as a failure, and suggestion services receive it
  with its observation like a success (goptuna: pruned).
* Retain quirk: the observation of an early-stopped trial is only read when the workload is
  kept (`trialTemplate.retain: true`). Without retain the workload is deleted as soon as the trial
  is EarlyStopped, its observation is never read (kubeflow/katib#1377), and the trial stays
  "early stopped without observation": hidden from suggestion services and subtracted from every
  later suggestion request, permanently lowering the effective parallelism.
* Early stopping only works with the StdOut and File collectors (the only ones with the sidecar).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

from kubetune.gocompat.strconv import go_parse_float
from kubetune.gocompat.strings import go_trim_space
from kubetune.results import MAXIMIZE, MINIMIZE, check_objective_type

COMPARISONS = ("less", "greater", "equal")


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


def parse_sidecar_value(text: str) -> float:
    """A reported value as the sidecar reads it for early stopping: Go's ParseFloat of the
    trimmed text. Katib's sidecar exits (klog.Fatalf) on a value that does not parse - then no
    metrics are reported for the trial at all; ValueError here."""
    value = go_parse_float(go_trim_space(text))
    if value is None:
        raise ValueError(f"metric value {text!r} is not a number; Katib's metrics sidecar exits on it "
                         "when early stopping is on")
    return value


class RuleEvaluator:
    """The sidecar's check of one trial's frozen rule against the objective values it reports.

    feed(value) returns True exactly once: at the start_step-th value, if the best value so far
    (max for maximize, min for minimize) compares with the rule as `less` / `greater` / `equal`.
    Before that, after it, or once the rule was met, it returns False. A rule with start_step 0
    (not produced by medianstop) is checked on every value until met.
    """

    def __init__(self, rule: Rule, objective_type: str):
        self.rule = rule
        self.objective_type = check_objective_type(objective_type)
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
    evaluator = RuleEvaluator(rule, objective_type)
    for position, value in enumerate(values, start=1):
        if evaluator.feed(value):
            return position
    return None
