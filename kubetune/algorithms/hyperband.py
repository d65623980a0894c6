"""Katib's hyperband service (pkg/suggestion/v1beta1/hyperband): Li et al.'s Hyperband, all
brackets, state kept in trial labels.

Katib runs its own Python implementation; so do we, reimplemented. Settings: `resource_name` (a
parameter, required), `r_l` (the maximum resource R, > 0, required), `eta` (int(float(eta));
<= 0 means 3; default 3), checked line by line as HyperbandService.ValidateAlgorithmSettings
does (`check_hyperband`); `run_hyperband` adds what only kubetune reads. Plan (the paper's
formulas, as Katib computes them):

    s_max = floor(log_eta(R)),  B = (s_max + 1) * R
    bracket s = s_max, ..., 0:  n = ceil(B / R * eta^s / (s + 1)),  r = R * eta^-s
    round i = 0..s:             n_i = floor(n * eta^-i) configurations,  resource int(r * eta^i)

Round 0 of a bracket samples n random configurations with the resource parameter set to int(r);
round i + 1 re-runs the best floor(n_i / eta) configurations of round i (by objective, in the
objective's direction) with the larger resource. Brackets run one after another; the next bracket
starts as soon as the last round of the previous one has been handed out (as in Katib). Every
suggestion carries labels `hyperband.kubetune.io/bracket`, `.../round` and, for promotions,
`.../parent` (the trial whose configuration is re-run); the whole state is rebuilt from those
labels on every call, so a resumed experiment continues exactly where it stopped. After the last
bracket the suggester returns [] (search space exhausted).

Where this differs from Katib's code (for docs/katib-compat.md):

* Exact counts: Katib overwrites the bracket size n with the controller's request size and
  returns fewer assignments than requested for promotions, which the controller rejects (3.4), so
  in practice only the first bracket runs. kubetune keeps the paper's n, hands out at most `count`
  assignments per call (the rest on later calls) and runs every bracket.
* Round sizes use the paper's floor(n * eta^-i); Katib's code uses ceil (e.g. R=81, eta=3,
  bracket s=3: paper and kubetune 34/11/3/1, Katib 34/12/4/2). Resources are computed as
  int(R / eta^(s-i)) with a 1e-9 guard against binary rounding, and s_max likewise, where Katib's
  int(log(R)/log(eta)) can come out one lower at exact powers (R=1000, eta=10 gives 2, not 3).
* Katib raises while any trial of the previous round is not Succeeded (the experiment hangs on a
  single failed trial). kubetune waits while trials of the round are Created/Running, then
  promotes only Succeeded trials with an objective; a round shrinks when fewer succeeded, and a
  bracket whose round has no survivor ends early.
* Katib takes the previous round to be the most recently started trials; kubetune uses labels.
* Katib samples round-0 configurations uniformly, ignoring `distribution` and `step` (ints are
  rounded reals, discrete values must be integer strings and the nearest one to a uniform draw is
  taken). kubetune samples each parameter from its declared distribution (normal/logNormal
  truncated to [min, max]) on its step grid, and picks discrete values uniformly from the list.
* kubetune requires the resource parameter to be int or double and every resource of the plan to
  lie in its feasible space (bounds and step grid); Katib writes int(r) whatever the bounds.
* `random_state` (int >= 0), unknown to Katib's hyperband, seeds round-0 sampling; Katib's
  internal state settings (s_max, b_l, r, n, current_s, current_i, evaluating_trials) are
  ignored with a warning.
* Katib's validation rule parallelTrialCount >= ceil(eta^s_max) is kept as Katib computes it
  (`check_hyperband`), although kubetune does not need it: it hands a round out over several
  calls when fewer slots are free.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from kubetune.algorithms._checks import (
    AlgorithmContext,
    ignored_settings,
    missing_settings,
    needs_parameters,
    non_negative_int,
    parses,
)
from kubetune.algorithms.base import (
    ACTIVE_STATES,
    SUCCEEDED,
    Suggestion,
    SuggestionError,
    TrialView,
)
from kubetune.algorithms.registry import IGNORES, Algorithm, AlgorithmRequest
from kubetune.algorithms.settings import seed_of
from kubetune.experiment.errors import Problem, did_you_mean, error, show, warning
from kubetune.experiment.types import Experiment

if TYPE_CHECKING:  # the sampling code loads when a suggester is built, not with the checks
    from optuna.study import StudyDirection

HYPERBAND_SETTINGS = ("resource_name", "r_l", "eta")
# Bookkeeping Katib's hyperband service writes back into the settings itself (3.5).
HYPERBAND_STATE = ("s_max", "b_l", "r", "n", "current_s", "current_i", "evaluating_trials")
HYPERBAND_DEFAULT_ETA = 3

LABEL_BRACKET = "hyperband.kubetune.io/bracket"
LABEL_ROUND = "hyperband.kubetune.io/round"
LABEL_PARENT = "hyperband.kubetune.io/parent"
LABEL_ITERATION = "hyperband.kubetune.io/iteration"  # bohb: which pass over the brackets

_EPS = 1e-9


# ---- settings (mirrors HyperbandService.ValidateAlgorithmSettings line by line) -----------------

def hyperband_eta(eta_text: str | None) -> int:
    """eta as Katib's hyperband reads it: int(float(text)); unset or <= 0 means 3. Raises
    ValueError/OverflowError on text that is no number."""
    if eta_text is None:
        return HYPERBAND_DEFAULT_ETA
    eta = int(float(eta_text))
    return eta if eta > 0 else HYPERBAND_DEFAULT_ETA


def hyperband_min_parallel(r_l: float, eta_text: str | None) -> int:
    """ceil(eta ** s_max) with s_max = int(ln r_l / ln eta); raises like the service does."""
    eta = hyperband_eta(eta_text)
    s_max = int(math.log(r_l) / math.log(eta))
    return int(math.ceil(eta ** s_max))


def check_hyperband(ctx: AlgorithmContext) -> list[Problem]:
    problems = needs_parameters(ctx)
    settings = {name: value for _, name, value in ctx.katib_settings()}
    missing = missing_settings(ctx, ("r_l", "resource_name"),
                               "r_l is the maximum resource (e.g. epochs), resource_name the parameter "
                               "that receives it")
    if missing is not None:
        return problems + [missing]
    ok, r_l = parses(float, settings["r_l"])
    if not ok or r_l < 0:
        return problems + [error(ctx.setting_path(ctx.index_of("r_l")), f"r_l: found {show(settings['r_l'])}; "
                                 "must be a positive number")]
    blame = "r_l"
    if "eta" in settings:
        eta_ok, eta = parses(lambda t: int(float(t)), settings["eta"])
        if not eta_ok or eta == 1:
            blame = "eta"
    try:
        need = hyperband_min_parallel(r_l, settings.get("eta"))
    except (ValueError, ZeroDivisionError, OverflowError, TypeError) as exc:
        return problems + [error(ctx.setting_path(ctx.index_of(blame)),
                                 f"{blame}: found {show(settings[blame])}; hyperband cannot compute its "
                                 f"brackets ({exc})",
                                 "r_l must be a number > 0; eta an integer >= 2 (values <= 0 mean 3)")]
    parallel = ctx.spec.get("parallelTrialCount")
    if isinstance(parallel, int) and parallel < need:
        problems.append(error("spec.parallelTrialCount",
                              f"found {parallel}; hyperband with these settings needs at least {need}",
                              f"set parallelTrialCount: {need} (ceil(eta ** s_max))"))
    names = [p.get("name") for p in ctx.raw_parameters() if isinstance(p.get("name"), str)]
    if settings["resource_name"] not in names:
        problems.append(error(ctx.setting_path(ctx.index_of("resource_name")),
                              f"resource_name: {show(settings['resource_name'])} is not a parameter name",
                              did_you_mean(settings["resource_name"], [n for n in names if n])
                              or f"name one of spec.parameters: {', '.join(n for n in names if n) or 'none'}"))
    return problems


def run_hyperband(ctx: AlgorithmContext) -> list[Problem]:
    """kubetune's hyperband also reads random_state (Katib's ignores it); the rest is ignored,
    including the state Katib's service writes back (s_max, b_l, r, n, current_s, ...)."""
    problems = []
    for i, name, _ in ctx.katib_settings():
        if name == "random_state":
            problems += [error(p.path, p.message, "kubetune seeds its round-0 sampling with it; a Katib "
                               "cluster ignores it") for p in non_negative_int(ctx)(i)]
        elif name in HYPERBAND_STATE:
            problems.append(warning(ctx.setting_path(i, "name"), f"{name} is bookkeeping that Katib's "
                                    "hyperband service writes into the settings itself; kubetune ignores it",
                                    "remove it"))
    used = HYPERBAND_SETTINGS + HYPERBAND_STATE + ("random_state",)
    return problems + ignored_settings(ctx, used, "Katib's hyperband")


def lint_hyperband(exp: Experiment) -> list[Problem]:
    max_trials, parallel = exp.spec.get("maxTrialCount"), exp.spec.get("parallelTrialCount")
    if max_trials is None or (isinstance(parallel, int) and max_trials > parallel):
        return [warning("spec.maxTrialCount", "Katib's hyperband reliably runs only its first bracket: "
                        "later brackets return fewer trials than requested and the experiment stalls",
                        "set maxTrialCount equal to parallelTrialCount (as Katib's example does)")]
    return []


# ---- sampling ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Round:
    index: int  # i
    size: int  # configurations run in this round
    resource: int  # value of the resource parameter


@dataclass(frozen=True)
class Bracket:
    s: int
    n: int  # configurations sampled in round 0
    r: float  # resource of round 0 before int()
    rounds: tuple[Round, ...]


def compute_s_max(r_l: float, eta: int, r_min: float = 1.0) -> int:
    return int(math.floor(math.log(r_l / r_min) / math.log(eta) + _EPS))


def hyperband_plan(r_l: float, eta: int, r_min: float = 1.0) -> list[Bracket]:
    """Every bracket of Hyperband for maximum resource R = r_l, in the order they run.

    `r_min` is the smallest resource a round may get (BOHB's min_budget; Katib's hyperband: 1):
    s_max = floor(log_eta(R / r_min)); the formulas are otherwise the paper's."""
    s_max = compute_s_max(r_l, eta, r_min)
    brackets = []
    for s in range(s_max, -1, -1):
        n = -(-((s_max + 1) * eta**s) // (s + 1))  # ceil, in integers
        rounds = tuple(
            Round(index=i, size=n // eta**i, resource=int(r_l / eta ** (s - i) + _EPS))
            for i in range(s + 1)
        )
        brackets.append(Bracket(s=s, n=n, r=r_l / eta**s, rounds=rounds))
    return brackets


@dataclass(frozen=True)
class HyperbandSettings:
    resource_name: str
    r_l: float
    eta: int
    seed: int | None


def parse_hyperband(request: AlgorithmRequest) -> HyperbandSettings:
    """The settings, already checked by `check_hyperband` (r_l, eta, resource_name)."""
    settings = request.settings
    return HyperbandSettings(resource_name=settings["resource_name"], r_l=float(settings["r_l"]),
                             eta=hyperband_eta(settings.get("eta")),
                             seed=seed_of(request))


def _in_feasible_space(param: Any, value: int) -> bool:
    if not float(param.min) <= value <= float(param.max):
        return False
    if param.step in (None, 0):
        return True
    k = (value - float(param.min)) / float(param.step)
    return abs(k - round(k)) < 1e-6


def check_resource(parameters: Sequence[Any], resource_name: str, resources: Sequence[int], algorithm: str,
                   settings_text: str) -> None:
    """kubetune writes every resource of the plan into the resource parameter, so it must be
    numeric and hold them all (Katib writes int(r) whatever the parameter's bounds).
    `settings_text` names the settings that produced `resources` (for the message)."""
    resource = next(p for p in parameters if p.name == resource_name)
    if not resource.is_numeric:
        raise SuggestionError(
            f"algorithm {algorithm!r}: resource parameter {resource_name!r} must be "
            f"int or double, found {resource.type}"
        )
    outside = sorted({r for r in resources if not _in_feasible_space(resource, r)})
    if outside:
        raise SuggestionError(
            f"algorithm {algorithm!r}: with {settings_text} the resource "
            f"parameter {resource_name!r} takes values {outside} outside its feasible space "
            f"(min {resource.min}, max {resource.max}, step {resource.step})"
        )


def label_int(view: TrialView, key: str) -> int | None:
    """An integer bookkeeping label of a trial; None when absent or not an integer."""
    try:
        return int(view.labels[key])
    except (KeyError, ValueError, TypeError):
        return None


class BracketScheduler:
    """Hyperband's brackets over a trial list, state in labels: which configurations to promote,
    when to wait, how many new ones round 0 needs. Hyperband runs its plan once with random
    configurations; BOHB (bohb.py) repeats it `iterations` times (None: until maxTrialCount)
    and overrides `new_configurations` with its model; its trials carry the label
    LABEL_ITERATION (absent: pass 0)."""

    def __init__(self, parameters: Sequence[Any], resource_name: str, plan: list[Bracket],
                 direction: StudyDirection, seed: int | None, iterations: int | None = 1,
                 iteration_label: bool = False) -> None:
        from optuna.study import StudyDirection

        from kubetune.algorithms.space import SearchSpace

        self._space = SearchSpace(parameters)
        self._sign = 1.0 if direction == StudyDirection.MINIMIZE else -1.0  # ranks best first
        self._seed = seed
        self._iterations = iterations
        self._iteration_label = iteration_label
        self.plan = plan
        self._resource = self._space.by_name[resource_name]

    def _labels(self, iteration: int, bracket: Bracket, rnd: Round,
                parent: str | None = None) -> dict[str, str]:
        labels = {LABEL_BRACKET: str(bracket.s), LABEL_ROUND: str(rnd.index)}
        if self._iteration_label:
            labels[LABEL_ITERATION] = str(iteration)
        if parent is not None:
            labels[LABEL_PARENT] = parent
        return labels

    def _sample(self, rng: np.random.Generator, resource: int) -> dict[str, str]:
        assignments = {c.name: c.from_unit(rng.random()) for c in self._space.codecs}
        assignments[self._resource.name] = self._resource.format(resource)
        return assignments

    def new_configurations(self, count: int, rng: np.random.Generator, trials: Sequence[TrialView],
                           resource: int) -> list[dict[str, str]]:
        """`count` new configurations for a round 0 with this resource (hyperband: random)."""
        return [self._sample(rng, resource) for _ in range(count)]

    def _ranked(self, trials: list[TrialView]) -> list[TrialView]:
        done = [t for t in trials if t.state == SUCCEEDED and t.objective is not None
                and math.isfinite(t.objective)]
        return sorted(done, key=lambda t: (self._sign * t.objective, t.name))

    def _passes(self):
        k = 0
        while self._iterations is None or k < self._iterations:
            yield k
            k += 1

    def suggest(self, count: int, trials: Sequence[TrialView]) -> list[Suggestion]:
        by_round: dict[tuple[int, int, int], list[TrialView]] = {}
        for view in trials:
            s, i = label_int(view, LABEL_BRACKET), label_int(view, LABEL_ROUND)
            if s is not None and i is not None:
                k = label_int(view, LABEL_ITERATION) or 0
                by_round.setdefault((k, s, i), []).append(view)
        seed = self._seed
        rng = np.random.default_rng(None if seed is None else [seed, len(trials)])
        out: list[Suggestion] = []
        left = max(count, 0)
        for k in self._passes():
            for bracket in self.plan:
                for rnd in bracket.rounds:
                    have = by_round.get((k, bracket.s, rnd.index), [])
                    if rnd.index == 0:
                        missing = rnd.size - len(have)
                        take = min(max(missing, 0), left)
                        if take:
                            out += [Suggestion(a, self._labels(k, bracket, rnd)) for a in
                                    self.new_configurations(take, rng, trials, rnd.resource)]
                    else:
                        previous = by_round.get((k, bracket.s, rnd.index - 1), [])
                        if any(t.state in ACTIVE_STATES for t in previous):
                            return out  # wait for the previous round to finish
                        survivors = self._ranked(previous)[: rnd.size]
                        if not survivors:
                            break  # nothing left to promote: the bracket ends early
                        promoted = {t.labels.get(LABEL_PARENT) for t in have}
                        todo = [t for t in survivors if t.name not in promoted]
                        missing = len(todo)
                        take = min(missing, left)
                        for parent in todo[:take]:
                            assignments = dict(parent.assignments)
                            assignments[self._resource.name] = self._resource.format(rnd.resource)
                            out.append(Suggestion(assignments, self._labels(k, bracket, rnd, parent.name)))
                    left -= take
                    if take < missing:
                        return out  # out of request budget; the rest comes on later calls
                    if take and rnd is not bracket.rounds[-1]:
                        return out  # the next round needs these results first
        return out


class HyperbandSuggester(BracketScheduler):
    def __init__(self, parameters: Sequence[Any], settings: HyperbandSettings,
                 direction: StudyDirection) -> None:
        super().__init__(parameters, settings.resource_name, hyperband_plan(settings.r_l, settings.eta),
                         direction, settings.seed)
        self._settings = settings


def plan_resources(plan: list[Bracket]) -> list[int]:
    return [rnd.resource for b in plan for rnd in b.rounds]


def make_hyperband(request: AlgorithmRequest) -> HyperbandSuggester:
    hb = parse_hyperband(request)
    check_resource(request.parameters, hb.resource_name, plan_resources(hyperband_plan(hb.r_l, hb.eta)),
                   request.algorithm, f"r_l={hb.r_l:g} and eta={hb.eta}")
    return HyperbandSuggester(request.parameters, hb, request.direction)


ALGORITHMS = (
    Algorithm("hyperband", check_hyperband, make_hyperband, run_check=run_hyperband, lint=lint_hyperband,
              unknown_settings=IGNORES, repeats_points=False, promotes=True),
)
