"""`asha` (kubetune only): asynchronous successive halving, Li et al., "A System for Massively
Parallel Hyperparameter Tuning" (MLSys 2020), Algorithm 2. Katib has no ASHA service.

Rungs over a resource parameter: bracket s has rungs k = 0, 1, ... with resource
min_resource * eta^(s + k), the last rung being max_resource. Whenever a slot is free
(`get_job`): look for a configuration in the top 1/eta of the completed results of a rung that
has not been promoted yet (highest rung first) and re-run it on the next rung with the same
values except the resource; if there is none, start a new configuration on rung 0. A slot is
never left idle waiting for a rung to fill (unlike hyperband and bohb, which wait for a round).
New configurations go to the brackets in turn (`brackets` > 1 is the paper's asynchronous
Hyperband); they are sampled at random (the paper) or, with `sampler: tpe`, from BOHB's model
(`_fidelity.BudgetModel`).

State: labels `asha.kubetune.io/bracket`, `.../rung` and, for promotions, `.../parent` (the
trial whose configuration is re-run). Everything is recomputed from the trial list on each call,
sampling is seeded from (random_state, number of trials): a resumed experiment, or a fresh
suggester, continues exactly where it stopped. "Completed" means Succeeded with a finite
objective; failed and early-stopped trials hold a rung place but are never promoted. asha
never runs out of configurations: maxTrialCount (which counts promotions too) ends it.

Settings (unknown names are errors): the resource settings of `_fidelity` (`resource_name`,
`max_resource` or `r_l`, `min_resource`, `eta`, `random_state`), `brackets` (int >= 1,
default 1, at most the number of rungs), `sampler` (`random` | `tpe`, default random) and, for
tpe, the model settings (`min_points_in_model`, `top_n_percent`, `num_samples`,
`random_fraction`).
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from kubetune.algorithms._checks import AlgorithmContext, at_least, number_setting
from kubetune.algorithms._fidelity import (
    BudgetModel,
    FidelitySettings,
    ModelSettings,
    check_fidelity,
    parse_fidelity,
    sampler_rule,
)
from kubetune.algorithms.base import SUCCEEDED, Suggestion, TrialView
from kubetune.algorithms.hyperband import check_resource, label_int
from kubetune.algorithms.registry import REJECTS, Algorithm, AlgorithmRequest
from kubetune.algorithms.settings import int_setting, str_setting
from kubetune.experiment.errors import Problem, error, show, warning
from kubetune.experiment.types import Experiment

if TYPE_CHECKING:  # the sampling code loads when a suggester is built, not with the checks
    from optuna.study import StudyDirection

NAME = "asha"
LABEL_BRACKET = "asha.kubetune.io/bracket"
LABEL_RUNG = "asha.kubetune.io/rung"
LABEL_PARENT = "asha.kubetune.io/parent"
_EPS = 1e-9


def asha_rungs(min_resource: float, max_resource: float, eta: int, bracket: int = 0) -> list[int]:
    """Resources of the rungs of one bracket: int(min_resource * eta^(bracket + k)) below
    max_resource, then max_resource itself."""
    rungs: list[int] = []
    k = bracket
    while True:
        r = min_resource * eta**k
        value = int(max_resource + _EPS) if r >= max_resource * (1 - _EPS) else int(r + _EPS)
        if not rungs or rungs[-1] != value:
            rungs.append(value)
        if r >= max_resource * (1 - _EPS):
            return rungs
        k += 1


def max_brackets(min_resource: float, max_resource: float, eta: int) -> int:
    """How many brackets have a rung to promote to: ceil(log_eta(R / r)), at least 1."""
    return max(1, int(math.ceil(math.log(max_resource / min_resource) / math.log(eta) - _EPS)))


def check_asha(ctx: AlgorithmContext) -> list[Problem]:
    problems = check_fidelity(ctx, {
        "sampler": sampler_rule(ctx),
        "brackets": lambda i: number_setting(ctx, i, "int", at_least(1), "an integer >= 1")})
    if any(p.is_error for p in problems):
        return problems
    s = ctx.settings_dict
    i = ctx.index_of("brackets")
    if i is not None:
        f = parse_fidelity(s, None)
        most = max_brackets(f.min_resource, f.max_resource, f.eta)
        if int(s["brackets"]) > most:
            problems.append(error(ctx.setting_path(i), f"brackets: found {show(s['brackets'])}; with "
                                  f"min_resource {f.min_resource:g}, max_resource {f.max_resource:g} and eta {f.eta} "
                                  f"at most {most} bracket(s) have a rung to promote to"))
    return problems


def run_asha(ctx: AlgorithmContext) -> list[Problem]:
    """Model settings without `sampler: tpe` are ignored (warnings)."""
    sampler = ctx.settings_dict.get("sampler", "random")
    if sampler == "tpe":
        return []
    return [warning(ctx.setting_path(i, "name"), f"{name} is a setting of the tpe sampler; with sampler "
                    f"{sampler} it is not used", "add sampler: tpe, or remove it")
            for i, name, _ in ctx.katib_settings()
            if name in ("min_points_in_model", "top_n_percent", "num_samples", "random_fraction")]


def lint_asha(exp: Experiment) -> list[Problem]:
    if exp.spec.get("maxTrialCount") is None:
        return [warning("spec.maxTrialCount", "asha always has another configuration to start; without "
                        "maxTrialCount it never ends", "set maxTrialCount (promotions count as trials)")]
    return []


class AshaSuggester:
    def __init__(self, parameters: Sequence[Any], fidelity: FidelitySettings, brackets: int,
                 sampler: str, model: ModelSettings, direction: StudyDirection) -> None:
        from optuna.study import StudyDirection

        from kubetune.algorithms.space import SearchSpace

        self._resource = SearchSpace(parameters).by_name[fidelity.resource_name]
        self._fidelity = fidelity
        self._sign = 1.0 if direction == StudyDirection.MINIMIZE else -1.0  # ranks best first
        self.rungs = [asha_rungs(fidelity.min_resource, fidelity.max_resource, fidelity.eta, s)
                      for s in range(brackets)]
        self._model = BudgetModel(parameters, fidelity.resource_name, direction, model)
        self._use_model = sampler == "tpe"

    def _ranked(self, members: list[TrialView]) -> list[TrialView]:
        done = [t for t in members if t.state == SUCCEEDED and t.objective is not None
                and math.isfinite(t.objective)]
        return sorted(done, key=lambda t: (self._sign * t.objective, t.name))

    def _labels(self, s: int, k: int, parent: str | None = None) -> dict[str, str]:
        labels = {LABEL_BRACKET: str(s), LABEL_RUNG: str(k)}
        if parent is not None:
            labels[LABEL_PARENT] = parent
        return labels

    def _promotions(self, count: int, members: dict[tuple[int, int], list[TrialView]]) -> list[Suggestion]:
        promoted: dict[tuple[int, int], set[str]] = {}
        for (s, k), views in members.items():
            if k > 0:
                promoted.setdefault((s, k - 1), set()).update(
                    v.labels[LABEL_PARENT] for v in views if LABEL_PARENT in v.labels)
        out: list[Suggestion] = []
        while len(out) < count:
            found = None
            for s, rungs in enumerate(self.rungs):
                for k in range(len(rungs) - 2, -1, -1):
                    done = self._ranked(members.get((s, k), []))
                    taken = promoted.setdefault((s, k), set())
                    candidates = [t for t in done[: len(done) // self._fidelity.eta] if t.name not in taken]
                    if candidates:
                        found = (s, k, candidates[0])
                        break
                if found:
                    break
            if found is None:
                return out
            s, k, parent = found
            promoted[(s, k)].add(parent.name)
            assignments = dict(parent.assignments)
            assignments[self._resource.name] = self._resource.format(self.rungs[s][k + 1])
            out.append(Suggestion(assignments, self._labels(s, k + 1, parent.name)))
        return out

    def suggest(self, count: int, trials: Sequence[TrialView]) -> list[Suggestion]:
        if count <= 0:
            return []
        members: dict[tuple[int, int], list[TrialView]] = {}
        for view in trials:
            s, k = label_int(view, LABEL_BRACKET), label_int(view, LABEL_RUNG)
            if s is not None and k is not None and 0 <= s < len(self.rungs) and 0 <= k < len(self.rungs[s]):
                members.setdefault((s, k), []).append(view)
        out = self._promotions(count, members)
        fresh = count - len(out)
        if fresh:
            seed = self._fidelity.seed
            rng = np.random.default_rng(None if seed is None else [seed, len(trials)])
            started = sum(len(v) for (s, k), v in members.items() if k == 0)
            for j, assignments in enumerate(self._model.sample(fresh, rng, trials, use_model=self._use_model)):
                s = (started + j) % len(self.rungs)
                assignments[self._resource.name] = self._resource.format(self.rungs[s][0])
                out.append(Suggestion(assignments, self._labels(s, 0)))
        return out


def make_asha(request: AlgorithmRequest) -> AshaSuggester:
    settings = dict(request.settings)
    fidelity = parse_fidelity(settings, request.seed)
    brackets = int_setting(settings, "brackets", 1)
    resources = [r for s in range(brackets)
                 for r in asha_rungs(fidelity.min_resource, fidelity.max_resource, fidelity.eta, s)]
    check_resource(request.parameters, fidelity.resource_name, resources, request.algorithm,
                   f"min_resource={fidelity.min_resource:g}, max_resource={fidelity.max_resource:g}, "
                   f"eta={fidelity.eta} and brackets={brackets}")
    return AshaSuggester(request.parameters, fidelity, brackets, str_setting(settings, "sampler", "random"),
                         ModelSettings.from_settings(settings), request.direction)


ALGORITHMS = (
    Algorithm(NAME, check_asha, make_asha, run_check=run_asha, lint=lint_asha, unknown_settings=REJECTS, repeats_points=False,
              promotes=True),
)
