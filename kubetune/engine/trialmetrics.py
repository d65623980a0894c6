"""One running trial's metrics, folded in by the engine batch by batch as the collector hands them over.

Katib keeps every observation (its DB's observation_logs), so every collected value is stored;
everything else is kept as a running aggregate, never as a list of logs, so a trial that prints a
metric line at every step costs the engine a constant amount of work and memory per line:

* the stored logs: one INSERT transaction per batch (ExperimentState.add_metric_logs);
* the observation (min / max / latest per metric, Katib's getMetrics): objective.ObservationBuilder;
* the objective values in report order, as floats in a packed array: what algorithms see
  (TrialView.intermediate) and what the early-stopping evaluator is fed (Katib's sidecar reads the
  metrics file in print order);
* whether that report order is also the DB's order (time, then report order): when it is not (an
  untimestamped line after a timestamped one sorts first), the curve early-stopping services get
  is read back from the state once, when the trial has succeeded (`objective_curves`).

A collector failure (collector.CollectorFailure) while the trial runs follows Katib: while a
frozen early-stopping rule is active, its sidecar exits on a value it cannot parse, so the trial
is not early stopped, no metrics are reported (the stored logs are dropped) and its pod fails;
a JSON metrics file with a malformed line reports nothing at all.
"""
from __future__ import annotations

from array import array
from typing import Iterable, Sequence

from kubetune.gocompat.strconv import go_parse_float
from kubetune.gocompat.strings import go_trim_space

from .collector import Batch, CollectorFailure
from kubetune.results import UNAVAILABLE, objective_result

from .metrics.report import MetricsCollectionError
from .objective import ZERO_MICROS, Observation, ObservationBuilder
from .state import ExperimentState


def py_float(text: str) -> float | None:
    """Python's float() of a value (what Katib's Python services read); None where it fails."""
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def objective_curves(rows: Iterable[tuple[str, str, str]], builder: ObservationBuilder | None = None
                     ) -> tuple[array, Sequence[float | str]]:
    """From one metric's (time, name, value) logs in report order: (the values float() reads, in
    report order; the values in Katib's DB order: by microsecond time, ties in report order).
    In the second, a text float() rejects stays text: Katib's medianstop service calls float() on
    it and fails. When both orders agree and every value is a number, both are the same array."""
    builder = builder or ObservationBuilder([])
    report, texts, times = array("d"), [], array("q")
    ordered, last = True, ZERO_MICROS
    for t, _, v in rows:
        micros = builder.micros(t)
        ordered = ordered and micros >= last
        last = micros
        number = py_float(v)
        if number is not None:
            report.append(number)
        texts.append(v if number is None else number)
        times.append(micros)
    if ordered and len(report) == len(texts):
        return report, report
    order = sorted(range(len(texts)), key=times.__getitem__)  # stable: ties keep report order
    curve = [texts[i] for i in order]
    if all(isinstance(v, float) for v in curve):
        return report, array("d", curve)
    return report, curve


class TrialMetrics:
    """The engine's view of one running trial's metrics (see the module docstring)."""

    def __init__(self, trial: str, objective: str, metric_names: Sequence[str], strategy: str,
                 evaluator=None, frozen_rule: bool = False):
        self.trial = trial
        self.objective = objective
        self.strategy = strategy
        self.builder = ObservationBuilder(metric_names)
        self.evaluator = evaluator            # a TrialStopper fed each objective value, or None
        self.frozen_rule = frozen_rule        # the evaluator is Katib's sidecar checking a frozen rule
        self.intermediate = array("d")        # objective values float() reads, in report order
        self.ordered = True                   # report order == DB order so far (objective logs)
        self.unparsable = 0                   # objective values float() rejects
        self._last_micros = ZERO_MICROS
        self.failure: CollectorFailure | None = None  # the failure that ended collection, if any
        self.sidecar_failed = False           # Katib's sidecar exited while the rule was active
        self.stopped = False

    @property
    def rule_active(self) -> bool:
        return self.evaluator is not None and self.frozen_rule and not self.stopped

    def apply(self, state: ExperimentState, batch: Batch) -> bool:
        """Store and fold in one batch; True when the evaluator says: stop the trial now."""
        if not batch.failures:
            return self._fold(state, batch.logs)
        stop, done = False, 0
        for at, failure in batch.failures:
            stop = self._fold(state, batch.logs[done:at]) or stop
            self._fail(state, failure)
            done = at
        return self._fold(state, batch.logs[done:]) or stop

    def _fail(self, state: ExperimentState, failure: CollectorFailure) -> None:
        if self.failure is not None:
            return
        if failure.sidecar and self.rule_active:
            self.sidecar_failed = True
        elif not failure.report:
            return  # the rule was already met (or there is none): Katib's sidecar no longer parses
        self.failure = failure
        state.delete_metric_logs(self.trial)
        self.builder = ObservationBuilder(self.builder.names)

    def _fold(self, state: ExperimentState, logs: list) -> bool:
        if self.failure is not None or not logs:
            return False
        state.add_metric_logs(self.trial, [(m.timestamp, m.name, m.value) for m in logs])
        add, micros_of, objective = self.builder.add, self.builder.micros, self.objective
        evaluator = self.evaluator if not self.stopped else None
        stop = False
        for m in logs:
            try:
                add(m.name, m.value, m.timestamp)
            except MetricsCollectionError as e:  # a timestamp Katib's DB rejects: the report fails
                self._fail(state, CollectorFailure(str(e), report=True))
                return stop
            if m.name != objective:
                continue
            micros = micros_of(m.timestamp)
            if micros < self._last_micros:
                self.ordered = False
            self._last_micros = micros
            number = py_float(m.value)
            if number is None:
                self.unparsable += 1
            else:
                self.intermediate.append(number)
            if evaluator is not None:
                # Katib's sidecar reads a value with Go's ParseFloat of the trimmed text
                value = go_parse_float(go_trim_space(m.value)) if self.frozen_rule else number
                if value is not None and evaluator.feed(value):
                    self.stopped, evaluator, stop = True, None, True
        return stop

    # -- at the trial's end ---------------------------------------------------------------------
    def observation(self) -> Observation:
        """Katib's observation of what was reported (all "unavailable" when the objective never
        was, or the collection failed: Katib's report then holds only the unavailable log)."""
        if self.failure is None and self.builder.seen(self.objective):
            return self.builder.observation()
        unavailable = {"min": UNAVAILABLE, "max": UNAVAILABLE, "latest": UNAVAILABLE}
        return {name: dict(unavailable) for name in self.builder.names}

    def observe(self) -> tuple[Observation, float | str | None]:
        """(observation, the objective value its metric strategy selects: a number, or the text when
        Go's ParseFloat rejects it, such as a DARTS genotype; None when it is "unavailable")."""
        obs = self.observation()
        return obs, objective_result(obs, self.objective, self.strategy)

    def db_curve(self, state: ExperimentState) -> Sequence[float | str]:
        """The objective values in Katib's DB order, for early-stopping services (succeeded trials)."""
        if self.ordered and not self.unparsable:
            return self.intermediate
        return objective_curves(state.iter_metric_logs(self.trial, self.objective))[1]
