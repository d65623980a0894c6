"""What each Katib algorithm does with `feasibleSpace.distribution`: the one table of truth.

Lint (`kubetune.algorithms._lint`) reads it to say what a cluster will do; the local engine
(`kubetune.algorithms.space.check_distributions`) reads it to refuse what Katib rejects.

Outcomes, per algorithm x parameter type x distribution x Katib version:

* `FOLLOWS`: the service samples the declared distribution (`detail` says how).
* `IGNORED`: accepted, no effect; the service samples something else (`detail`).
* `STUCK`: rejected at suggestion time: every GetSuggestions call fails, no trial is ever
  created and the Experiment stays Running (katib-semantics 2.3, stage C).
* `REJECTED`: rejected by the service's ValidateAlgorithmSettings: the Experiment is Failed
  (stage B). No entry uses it today: goptuna's search-space error would be one, but it is
  returned as gRPC INTERNAL, which Katib's controller treats as valid (katib-semantics 2.2),
  so it surfaces as STUCK.

The behaviour changed between Katib versions, so each entry is kept per version (`ERAS`):

* `V0_19` Katib v0.19.0 (latest release, 2025-10-30), and master up to PR #2666.
  optuna/base_service.py (stored commit 2c56864d): uniform and logUniform are mapped; a
  normal/logNormal parameter matches no branch and is left out of every suggestion, so trial
  creation fails on the missing assignment. skopt/base_service.py (239a55fc): `Integer(min, max)`
  and `Real(min, max, "log-uniform")`, distribution never read. goptuna/converter.go
  (39934041): Uniform/DiscreteUniform/IntUniform/StepIntUniform, distribution never read.
* `PR_2666` master since PR #2666 "Fail loudly on unsupported Optuna parameter distributions"
  (opened 2026-05-26; in commit 33c8ff4e, June 2026, the katib-semantics snapshot): the optuna
  service raises ValueError on normal/logNormal in `_get_optuna_search_space`, called by every
  `_ask` (grid included).
* `PR_2689` master since PR #2689 "Honor parameter distribution in Skopt and Goptuna suggestion
  services" (opened 2026-07-16, fixes #2688; stored commit 117cd2aa): skopt maps uniform ->
  prior "uniform", logUniform -> "log-uniform" for int and double and raises ValueError
  ("supports only UNIFORM and LOG_UNIFORM") in `create_optimizer`, which runs on the first
  GetSuggestions call; goptuna maps double uniform/logUniform (LogUniformDistribution, step
  dropped) and returns an error for double normal/logNormal and for every int distribution but
  uniform, from `toGoptunaSearchSpace` (converter_test.go tests both).
  Neither PR is in a release as of v0.19.0.

Unchanged in every version: hyperopt (random, tpe; hyperopt/base_service.py) samples all four,
normal/logNormal with mu = (min+max)/2, sigma = (max-min)/6, not clipped, and math.log(min)
fails for min <= 0; with a step (always for an int: internal/search_space.py fills 1) uniform is
hp.quniform and logUniform hp.qloguniform, round(x / step) * step (pyll/stochastic.py), then
int() for an int; hyperband and pbt (Katib's own code) never read the distribution.

`local_behaviour` is what `kubetune run` does, for the same comparison: it samples the declared
distribution (the newest Katib's choice); normals as hyperopt does (unclipped, hp.qnormal's
quantisation) for the algorithms Katib runs on hyperopt (`LOCAL_UNCLIPPED_NORMAL`: random, tpe),
truncated to [min, max] elsewhere; for those, a step quantises as hyperopt's hp.quniform /
hp.qloguniform (`LOCAL_HYPEROPT_QUANTISED`), elsewhere it is the grid min + k * step; it
refuses what the newest Katib rejects unless `kubetune.allow_normal: "true"`; its grid samples
the step grid.

Where a step is not read at all (`drops_step`: skopt, hyperband, and the optuna/goptuna log-uniform
without its step) any value of [min, max] is drawn; `kubetune run` keeps the step, and `kubetune
convert optuna` writes such a step as a list (`step_ignored`, `list_type`). `needs_positive_min`
says which versions fail on min <= 0 (math.log(min), skopt's log-uniform prior) and whether
`kubetune run` refuses it too (where the newest Katib fails: kubetune.algorithms._checks).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import InvalidOperation

from .step_values import StepValues, step_grid, step_multiples

UNIFORM, LOG_UNIFORM, NORMAL, LOG_NORMAL = "uniform", "logUniform", "normal", "logNormal"
DISTRIBUTIONS = (UNIFORM, LOG_UNIFORM, NORMAL, LOG_NORMAL)
NUMERIC_TYPES = ("int", "double")
LIST_TYPES = ("categorical", "discrete")

FOLLOWS = "follows"
IGNORED = "ignored"
STUCK = "rejected at suggestion time (experiment stuck)"
REJECTED = "rejected by validation"
REFUSED = "refused by kubetune run"  # local only: unless kubetune.allow_normal: "true"
KATIB_REJECTIONS = (STUCK, REJECTED)

# What is drawn, so that two behaviours can be compared ("" when nothing is drawn).
S_UNIFORM, S_LOG, S_NORMAL, S_TRUNCATED, S_GRID, S_LIST = (
    "uniform", "log-uniform", "normal", "truncated normal", "step grid", "list")
_NATURAL = {UNIFORM: S_UNIFORM, LOG_UNIFORM: S_LOG, NORMAL: S_NORMAL, LOG_NORMAL: S_NORMAL}


@dataclass(frozen=True)
class Era:
    """A range of Katib versions with one behaviour."""

    name: str  # short, for messages
    change: str  # what starts it, for messages ("" for the release)


V0_19 = Era("Katib v0.19.0", "")
PR_2666 = Era("Katib master since PR #2666", "PR #2666")
PR_2689 = Era("Katib master since PR #2689", "PR #2689")
ERAS = (V0_19, PR_2666, PR_2689)
NEWEST = ERAS[-1]


@dataclass(frozen=True)
class Behaviour:
    outcome: str  # FOLLOWS | IGNORED | STUCK | REJECTED | REFUSED
    sample: str  # S_* key of what is drawn; "" when nothing is
    detail: str  # how it samples, or why it fails, in words
    positive_min: bool = False  # Katib fails at suggestion time unless min > 0
    # a step draws round(x / step) * step of a (log-)uniform draw over [min, max]: multiples of the
    # step from 0, not min + k * step (hyperopt's quniform; a normal's min/max only set mu, sigma)
    step_multiples: bool = False
    # the step is never read: any value of [min, max] is drawn (an int: any integer of it)
    drops_step: bool = False


@dataclass(frozen=True)
class Service:
    name: str  # as in Katib's own messages: "Optuna", "Skopt", "Goptuna", ...


HYPEROPT, OPTUNA, GOPTUNA = Service("Hyperopt"), Service("Optuna"), Service("Goptuna")
SKOPT, HYPERBAND, PBT = Service("Skopt"), Service("Hyperband"), Service("PBT")

ALGORITHM_SERVICE: dict[str, Service] = {
    "random": HYPEROPT, "tpe": HYPEROPT, "grid": OPTUNA, "multivariate-tpe": OPTUNA,
    "cmaes": GOPTUNA, "sobol": GOPTUNA, "bayesianoptimization": SKOPT,
    "hyperband": HYPERBAND, "pbt": PBT,
}

# ---------------------------------------------------------------------------------------------
# the table: Katib's behaviour per version, one row per distribution, shared by the algorithms
# of one service (KATIB_TABLE below)

_UNIFORM = Behaviour(FOLLOWS, S_UNIFORM, "uniformly over [min, max]")
_OPTUNA_LOG = Behaviour(FOLLOWS, S_LOG, "log-uniformly over [max(min, 1 for int or 1e-10 for "
                        "double), max], without the step", drops_step=True)
_OPTUNA_DROPS = Behaviour(STUCK, "", "leaves the parameter out of every suggestion (it has no "
                          "branch for {dist}) and trial creation fails on the missing value")
_OPTUNA_RAISES = Behaviour(STUCK, "", "raises on {dist} when asked for suggestions (ValueError: "
                           "only UNIFORM and LOG_UNIFORM)")
_GRID = Behaviour(FOLLOWS, S_GRID, "every point of the step grid")
_GRID_IGNORES = Behaviour(IGNORED, S_GRID, "the points of the step grid, as for uniform")
_GOPTUNA_UNIFORM = Behaviour(IGNORED, S_UNIFORM, "uniformly over [min, max], on the step grid "
                             "if a step is set")
_GOPTUNA_LOG = Behaviour(FOLLOWS, S_LOG, "log-uniformly over [min, max], without the step",
                         drops_step=True)
_GOPTUNA_RAISES = Behaviour(STUCK, "", "fails to build its search space ('unsupported "
                            "distribution'): validation reports that as INTERNAL, which Katib's "
                            "controller treats as valid, and every suggestion call then fails")
# skopt's Integer(min, max) / Real(min, max, prior) never read the step (skopt/base_service.py)
_SKOPT_INT = Behaviour(IGNORED, S_UNIFORM, "uniform integers over [min, max], without the step",
                       drops_step=True)
_SKOPT_ALWAYS_LOG = Behaviour(IGNORED, S_LOG, "every double log-uniformly over [min, max]",
                              positive_min=True, drops_step=True)
_SKOPT_LOG = Behaviour(FOLLOWS, S_LOG, "log-uniformly over [min, max] (prior \"log-uniform\")",
                       positive_min=True, drops_step=True)
_SKOPT_UNIFORM = Behaviour(FOLLOWS, S_UNIFORM, "uniformly over [min, max], without the step",
                           drops_step=True)
_SKOPT_RAISES = Behaviour(STUCK, "", "raises on {dist} when it builds its optimizer on the "
                          "first suggestion call (ValueError: only UNIFORM and LOG_UNIFORM)")
_HYPEROPT_Q = ("; with a step (always for an int, 1 by default) {q}: round(x / step) * step, "
               "half to even, multiples of the step that can lie outside [min, max], then int() "
               "for an int")
_HYPEROPT_UNIFORM = Behaviour(FOLLOWS, S_UNIFORM, "uniformly over [min, max]"
                              + _HYPEROPT_Q.format(q="hp.quniform"), step_multiples=True)
_HYPEROPT_LOG = Behaviour(FOLLOWS, S_LOG, "log-uniformly over [min, max] (math.log(min))"
                          + _HYPEROPT_Q.format(q="hp.qloguniform"), positive_min=True,
                          step_multiples=True)
_HYPEROPT_NORMAL = Behaviour(FOLLOWS, S_NORMAL, "a normal with mu = (min + max) / 2, sigma = "
                             "(max - min) / 6 that is not clipped to [min, max]")
_HYPEROPT_LOG_NORMAL = Behaviour(FOLLOWS, S_NORMAL, "a log-normal with mu, sigma taken on "
                                 "ln(min)..ln(max) that is not clipped to [min, max]",
                                 positive_min=True)
# hyperband/parsing_util.py: an int is int(round(x)) of a uniform x over [min, max], a double x
_HYPERBAND_UNIFORM = Behaviour(IGNORED, S_UNIFORM, "uniformly over [min, max], ignoring the step",
                               drops_step=True)
_PBT_GRID = Behaviour(IGNORED, S_GRID, "uniformly from the step grid")


def _same(behaviour: Behaviour) -> dict[Era, Behaviour]:
    return {era: behaviour for era in ERAS}


def _rows(**by_distribution: dict[Era, Behaviour]) -> dict[str, dict[Era, Behaviour]]:
    """One row per distribution; the keyword names are Katib's spellings (uniform, logUniform...)."""
    if set(by_distribution) != set(DISTRIBUTIONS):
        raise ValueError(f"table row needs exactly {DISTRIBUTIONS}, got {sorted(by_distribution)}")
    return by_distribution


_HYPEROPT_ROWS = _rows(uniform=_same(_HYPEROPT_UNIFORM), logUniform=_same(_HYPEROPT_LOG),
                       normal=_same(_HYPEROPT_NORMAL), logNormal=_same(_HYPEROPT_LOG_NORMAL))
_OPTUNA_NORMAL = {V0_19: _OPTUNA_DROPS, PR_2666: _OPTUNA_RAISES, PR_2689: _OPTUNA_RAISES}
_OPTUNA_ROWS = _rows(uniform=_same(_UNIFORM), logUniform=_same(_OPTUNA_LOG),
                     normal=_OPTUNA_NORMAL, logNormal=_OPTUNA_NORMAL)
_GRID_ROWS = _rows(uniform=_same(_GRID), logUniform=_same(_GRID_IGNORES),
                   normal=_OPTUNA_NORMAL, logNormal=_OPTUNA_NORMAL)
_GOPTUNA_BEFORE = {V0_19: _GOPTUNA_UNIFORM, PR_2666: _GOPTUNA_UNIFORM}
_GOPTUNA_REJECTS = {**_GOPTUNA_BEFORE, PR_2689: _GOPTUNA_RAISES}
_GOPTUNA_DOUBLE = _rows(uniform=_same(_UNIFORM),
                        logUniform={**_GOPTUNA_BEFORE, PR_2689: _GOPTUNA_LOG},
                        normal=_GOPTUNA_REJECTS, logNormal=_GOPTUNA_REJECTS)
_GOPTUNA_INT = _rows(uniform=_same(_UNIFORM), logUniform=_GOPTUNA_REJECTS,
                     normal=_GOPTUNA_REJECTS, logNormal=_GOPTUNA_REJECTS)
_SKOPT_INT_BEFORE = {V0_19: _SKOPT_INT, PR_2666: _SKOPT_INT}
_SKOPT_DOUBLE_BEFORE = {V0_19: _SKOPT_ALWAYS_LOG, PR_2666: _SKOPT_ALWAYS_LOG}
_SKOPT_INT_ROWS = _rows(uniform=_same(Behaviour(FOLLOWS, S_UNIFORM, "uniform integers over "
                                                "[min, max], without the step", drops_step=True)),
                        logUniform={**_SKOPT_INT_BEFORE, PR_2689: _SKOPT_LOG},
                        normal={**_SKOPT_INT_BEFORE, PR_2689: _SKOPT_RAISES},
                        logNormal={**_SKOPT_INT_BEFORE, PR_2689: _SKOPT_RAISES})
_SKOPT_DOUBLE_ROWS = _rows(uniform={**_SKOPT_DOUBLE_BEFORE, PR_2689: _SKOPT_UNIFORM},
                           logUniform={**_SKOPT_DOUBLE_BEFORE, PR_2689: _SKOPT_LOG},
                           normal={**_SKOPT_DOUBLE_BEFORE, PR_2689: _SKOPT_RAISES},
                           logNormal={**_SKOPT_DOUBLE_BEFORE, PR_2689: _SKOPT_RAISES})
_HYPERBAND_ROWS = _rows(uniform=_same(Behaviour(FOLLOWS, S_UNIFORM, "uniformly over [min, max], "
                                                "ignoring the step", drops_step=True)),
                        logUniform=_same(_HYPERBAND_UNIFORM), normal=_same(_HYPERBAND_UNIFORM),
                        logNormal=_same(_HYPERBAND_UNIFORM))
_PBT_ROWS = _rows(uniform=_same(Behaviour(FOLLOWS, S_GRID, "uniformly from the step grid")),
                  logUniform=_same(_PBT_GRID), normal=_same(_PBT_GRID), logNormal=_same(_PBT_GRID))

# algorithm -> parameter type -> distribution -> era -> behaviour
KATIB_TABLE: dict[str, dict[str, dict[str, dict[Era, Behaviour]]]] = {
    "random": {"int": _HYPEROPT_ROWS, "double": _HYPEROPT_ROWS},
    "tpe": {"int": _HYPEROPT_ROWS, "double": _HYPEROPT_ROWS},
    "multivariate-tpe": {"int": _OPTUNA_ROWS, "double": _OPTUNA_ROWS},
    "grid": {"int": _GRID_ROWS, "double": _GRID_ROWS},
    "cmaes": {"int": _GOPTUNA_INT, "double": _GOPTUNA_DOUBLE},
    "sobol": {"int": _GOPTUNA_INT, "double": _GOPTUNA_DOUBLE},
    "bayesianoptimization": {"int": _SKOPT_INT_ROWS, "double": _SKOPT_DOUBLE_ROWS},
    "hyperband": {"int": _HYPERBAND_ROWS, "double": _HYPERBAND_ROWS},
    "pbt": {"int": _PBT_ROWS, "double": _PBT_ROWS},
}
_LIST = Behaviour(IGNORED, S_LIST, "a value of the list")

# ---------------------------------------------------------------------------------------------
# kubetune run

NO_LOCAL_ENGINE = frozenset({"pbt"})  # known to Katib, no local suggester
# kubetune run samples normal/logNormal exactly as Katib's hyperopt service for these
# (kubetune.algorithms.space, unclipped_normal=True): the same draws on a cluster and locally.
LOCAL_UNCLIPPED_NORMAL = frozenset(a for a, s in ALGORITHM_SERVICE.items() if s is HYPEROPT)
# ... and a step as hyperopt's hp.quniform / hp.qloguniform (kubetune.algorithms.space,
# hyperopt_quantised=True) rather than the grid min + k * step.
LOCAL_HYPEROPT_QUANTISED = LOCAL_UNCLIPPED_NORMAL
# kubetune's grid samples the step grid whatever the distribution (grid.py does not call
# check_distributions), so it neither follows nor refuses normal/logNormal.
LOCAL_STEP_GRID = frozenset({"grid"})
# what kubetune run samples: (short words, details)
_LOCAL_WORDS = {
    UNIFORM: ("uniformly", "uniformly over [min, max], on the step grid"),
    LOG_UNIFORM: ("log-uniformly", "log-uniformly over [max(min, 1 for int or 1e-10 for double), "
                  "max], snapped to the step grid"),
    NORMAL: ("a normal truncated to [min, max]", "a normal truncated to [min, max], mu = (min + "
             "max) / 2, sigma = (max - min) / 6"),
    LOG_NORMAL: ("a log-normal truncated to [min, max]", "a log-normal truncated to [min, max], mu "
                 "and sigma taken on ln(min)..ln(max)"),
}
_LOCAL_SAMPLE = {UNIFORM: S_UNIFORM, LOG_UNIFORM: S_LOG, NORMAL: S_TRUNCATED, LOG_NORMAL: S_TRUNCATED}
_LOCAL_HYPEROPT = {  # LOCAL_UNCLIPPED_NORMAL / _HYPEROPT_QUANTISED: what _HYPEROPT_ROWS say
    UNIFORM: _HYPEROPT_UNIFORM,
    LOG_UNIFORM: Behaviour(FOLLOWS, S_LOG, "log-uniformly over [min, max] (refusing min <= 0, "
                           "which hangs Katib)" + _HYPEROPT_Q.format(q="hp.qloguniform"),
                           step_multiples=True),
    NORMAL: Behaviour(FOLLOWS, S_NORMAL, "hyperopt's normal, mu = (min + max) / 2, sigma = (max - "
                      "min) / 6, not clipped to [min, max] (with a step: round(x / step) * step)"),
    LOG_NORMAL: Behaviour(FOLLOWS, S_NORMAL, "hyperopt's log-normal, mu and sigma taken on "
                          "ln(min)..ln(max), not clipped to [min, max] (with a step: round(x / "
                          "step) * step)"),
}


def samples_unclipped_normal(algorithm: str) -> bool:
    """kubetune run samples normal/logNormal for `algorithm` as Katib's hyperopt does."""
    return algorithm in LOCAL_UNCLIPPED_NORMAL


def samples_hyperopt_quantised(algorithm: str) -> bool:
    """kubetune run quantises a step as Katib's hyperopt does (hp.quniform, hp.qloguniform)."""
    return algorithm in LOCAL_HYPEROPT_QUANTISED


def local_sampling(dist: str) -> str:
    """How kubetune run samples `dist`, in a few words ("log-uniformly", "a normal truncated...")."""
    return _LOCAL_WORDS[dist][0]


def _era_rows(algorithm: str, ptype: str, dist: str) -> dict[Era, Behaviour] | None:
    if ptype in LIST_TYPES and algorithm in KATIB_TABLE:
        return _same(_LIST)
    return KATIB_TABLE.get(algorithm, {}).get(ptype, {}).get(dist)


def _with_dist(behaviour: Behaviour, dist: str) -> Behaviour:
    return replace(behaviour, detail=behaviour.detail.format(dist=dist))


def katib_behaviour(algorithm: str, ptype: str, dist: str, era: Era = NEWEST) -> Behaviour | None:
    """What `era` of Katib does; None for algorithms/distributions not in the table."""
    rows = _era_rows(algorithm, ptype, dist)
    return None if rows is None else _with_dist(rows[era], dist)


def katib_history(algorithm: str, ptype: str, dist: str) -> list[tuple[tuple[Era, ...], Behaviour]]:
    """Katib's behaviour over `ERAS`, consecutive equal eras merged; [] when not in the table."""
    rows = _era_rows(algorithm, ptype, dist)
    history: list[tuple[tuple[Era, ...], Behaviour]] = []
    for era in ERAS if rows else ():
        behaviour = _with_dist(rows[era], dist)
        if history and history[-1][1] == behaviour:
            history[-1] = (history[-1][0] + (era,), behaviour)
        else:
            history.append(((era,), behaviour))
    return history


def katib_rejects(algorithm: str, ptype: str, dist: str) -> Behaviour | None:
    """The newest Katib's rejection of this distribution, or None when it accepts it."""
    behaviour = katib_behaviour(algorithm, ptype, dist)
    return behaviour if behaviour is not None and behaviour.outcome in KATIB_REJECTIONS else None


def supported(algorithm: str, ptype: str) -> tuple[str, ...]:
    """Distributions the newest Katib accepts for this algorithm and type."""
    return tuple(d for d in DISTRIBUTIONS if katib_behaviour(algorithm, ptype, d) is not None
                 and not katib_rejects(algorithm, ptype, d))


def local_behaviour(algorithm: str, ptype: str, dist: str, *,
                    allow_normal: bool = False) -> Behaviour | None:
    """What `kubetune run` does; None when it has no suggester for the algorithm."""
    if algorithm not in KATIB_TABLE or algorithm in NO_LOCAL_ENGINE:
        return None
    if ptype in LIST_TYPES:
        return _LIST
    if algorithm in LOCAL_STEP_GRID:
        return _GRID if dist == UNIFORM else _GRID_IGNORES
    if katib_rejects(algorithm, ptype, dist) and not allow_normal:
        return Behaviour(REFUSED, "", "refuses it unless the algorithm setting "
                         f"kubetune.allow_normal: \"true\" is given, then samples {_LOCAL_WORDS[dist][0]}")
    if dist not in _LOCAL_WORDS:
        return None
    hyperopt = LOCAL_UNCLIPPED_NORMAL if dist in (NORMAL, LOG_NORMAL) else LOCAL_HYPEROPT_QUANTISED
    if algorithm in hyperopt and dist in _LOCAL_HYPEROPT:
        return _LOCAL_HYPEROPT[dist]
    return Behaviour(FOLLOWS, _LOCAL_SAMPLE[dist], _LOCAL_WORDS[dist][1])


def is_benign(behaviour: Behaviour, dist: str) -> bool:
    """Samples what `dist` asks for (IGNORED that happens to draw it anyway counts)."""
    if behaviour.outcome == FOLLOWS:
        return True
    return behaviour.outcome == IGNORED and behaviour.sample == _NATURAL.get(dist)


def same_everywhere(algorithm: str, ptype: str, dist: str) -> bool:
    """Every Katib version and kubetune run draw the same thing, as declared."""
    local = local_behaviour(algorithm, ptype, dist)
    history = katib_history(algorithm, ptype, dist)
    if not history:
        return False
    return all(is_benign(b, dist) and (local is None or b.sample == local.sample)
               for _, b in history)


def draws_step_multiples(algorithm: str, ptype: str, dist: str) -> bool:
    """Does a step mean round(x / step) * step (multiples of the step counted from 0, hyperopt's
    hp.quniform...) rather than min + k * step, on some Katib version or in kubetune run?"""
    local = local_behaviour(algorithm, ptype, dist)
    return (local is not None and local.step_multiples) or any(
        b.step_multiples for _, b in katib_history(algorithm, ptype, dist))


def needs_positive_min(algorithm: str, ptype: str, dist: str
                       ) -> tuple[tuple[Era, ...], Behaviour, bool] | None:
    """(the Katib versions whose service fails on every suggestion call unless min > 0, the newest
    such behaviour, whether `kubetune run` refuses min <= 0 too: it does where the newest Katib
    fails and it has a suggester); None when no version needs it."""
    found = [(eras, b) for eras, b in katib_history(algorithm, ptype, dist) if b.positive_min]
    if not found:
        return None
    eras = tuple(era for group, _ in found for era in group)
    refused = NEWEST in eras and local_behaviour(algorithm, ptype, dist) is not None
    return eras, found[-1][1], refused


def step_ignored(algorithm: str, ptype: str, dist: str, low: float | int, high: float | int,
                 step: float | int | None) -> tuple[tuple[Era, ...], StepValues] | None:
    """(the Katib versions whose service never reads this step and draws any value of [min, max],
    the grid min + k * step meant) when that changes what is drawn (a double step, an int step
    above 1); None otherwise. `kubetune run` keeps the step (module doc)."""
    if step in (None, 0) or low is None or high is None or (ptype == "int" and step == 1):
        return None
    eras = tuple(era for group, b in katib_history(algorithm, ptype, dist) if b.drops_step
                 for era in group)
    if not eras:
        return None
    try:
        return eras, step_grid(low, high, step)
    except (InvalidOperation, ValueError, OverflowError):
        return None


# Katib's hyperband reads a discrete list as integers (hyperband/parsing_util.py:
# [int(x) for x in list]): a list of doubles fails every suggestion call, a categorical one works.
DISCRETE_INTS_ONLY = frozenset({"hyperband"})


def list_type(algorithm: str, ptype: str) -> str:
    """The parameterType that lists the values of an int or double parameter for `algorithm`."""
    return "categorical" if ptype == "double" and algorithm in DISCRETE_INTS_ONLY else "discrete"


# ---------------------------------------------------------------------------------------------
# where a step's values differ from the grid (kubetune.experiment.step_values computes them)


def step_changes_values(algorithm: str, ptype: str, dist: str, low: float | int, high: float | int,
                        step: float | int | None) -> tuple[StepValues, StepValues] | None:
    """(the values drawn, the grid min + k * step meant) when `algorithm` draws other values
    than the grid for this step; None when they are the same (or there is no step)."""
    if step in (None, 0) or low is None or high is None or not draws_step_multiples(algorithm, ptype, dist):
        return None
    try:
        drawn, grid = step_multiples(low, high, step), step_grid(low, high, step)
    except (InvalidOperation, ValueError, OverflowError):
        return None
    return None if (drawn.first, drawn.count) == (grid.first, grid.count) else (drawn, grid)


def era_span(eras: tuple[Era, ...]) -> str:
    """Consecutive eras in words: 'Katib v0.19.0 and master before PR #2689', ..."""
    first, last = eras[0], eras[-1]
    after = ERAS[ERAS.index(last) + 1] if last is not NEWEST else None
    if first is V0_19:
        if after is None:
            return "every Katib version (v0.19.0 and master)"
        return first.name if after is PR_2666 else f"{first.name} and master before {after.change}"
    return first.name if after is None else f"{first.name} (before {after.change})"
