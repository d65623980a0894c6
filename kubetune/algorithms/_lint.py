"""Lint that needs to know the algorithm: what its Katib service accepts but then fails on,
ignores or does differently from kubetune run.

`algorithm_lint(exp)` runs the rules every algorithm shares, reading the facts its `Algorithm`
states (does it repeat points, resume, reject unknown settings...), then the algorithm's own
`lint` and the early-stopping algorithm's. The distribution warnings read the per-version table
of kubetune.experiment.distributions. Lint that needs no algorithm is kubetune.experiment.lint.
"""
from __future__ import annotations

from kubetune.algorithms._checks import (
    ALGORITHM_PATH,
    ALLOW_NORMAL,
    AlgorithmContext,
    is_kubetune_setting,
    kubetune_flag,
    positive_min_message,
)
from kubetune.algorithms.earlystopping import find_early_stopping
from kubetune.algorithms.registry import FORWARDS, IGNORES, REJECTS, Algorithm, find_algorithm, run_time_problems
from kubetune.experiment import distributions as dist_table
from kubetune.experiment.access import as_dict, as_str, dig
from kubetune.experiment.errors import Problem, show, warning
from kubetune.experiment.lint import lint_parameters
from kubetune.experiment.space import Parameter, space_size
from kubetune.experiment.step_values import show_values, step_multiples
from kubetune.experiment.types import Experiment
from kubetune.experiment.validate import settings_of

# Default for an algorithm nobody registered (validation reports the name itself).
_UNREGISTERED = Algorithm("", lambda ctx: [])


def parsed_space_size(spec: dict, algorithm: str = "") -> int | None:
    """The number of distinct points when every parameter parses and the space is finite: the
    grid min + k * step, or what `algorithm` draws where kubetune.experiment.distributions says
    it draws something else (random and tpe: the multiples of the step that hyperopt's rounding
    gives; an unclipped normal: any value)."""
    params = lint_parameters(spec)
    parsed = [p for _, _, p in params if p is not None]
    if not parsed or len(parsed) != len(params):
        return None
    try:
        if not algorithm:
            return space_size(parsed)
        total = 1
        for p in parsed:
            count = _drawn_count(algorithm, p)
            if count is None:
                return None
            total *= count
        return total
    except (ValueError, ArithmeticError):
        return None


def _drawn_count(algorithm: str, p: Parameter) -> int | None:
    dist = p.distribution or dist_table.UNIFORM
    local = dist_table.local_behaviour(algorithm, p.type, dist) if p.is_numeric else None
    if local is None:
        return p.cardinality()
    if local.sample == dist_table.S_NORMAL:
        return None  # not clipped to [min, max]: unbounded
    step = p.step or (1 if p.type == "int" else None)
    if not local.step_multiples or step is None:
        return p.cardinality()
    low = p.min
    if dist == dist_table.LOG_UNIFORM:  # kubetune run's floor (Katib's hyperopt refuses min <= 0)
        low = max(low, 1 if p.type == "int" else 1e-10)
    return step_multiples(low, p.max, step).count


def algorithm_lint(exp: Experiment) -> list[Problem]:
    """Every algorithm-aware warning for `exp` (errors of run-time checks become warnings)."""
    spec = exp.spec if isinstance(exp.spec, dict) else {}
    name = as_str(dig(spec, "algorithm", "algorithmName"))
    algorithm = find_algorithm(name) or _UNREGISTERED
    problems = _budget(spec, name, algorithm)
    if not algorithm.rejects_duplicate_names:
        problems += _duplicate_names(spec)
    if algorithm.lint is not None:
        problems += algorithm.lint(exp)
    if spec.get("resumePolicy") == "FromVolume" and not algorithm.resumable:
        problems.append(warning("spec.resumePolicy", f"{name} keeps its bookkeeping in memory: after a "
                                "restart from the volume it errors on trials it did not create",
                                "use random, tpe, bayesianoptimization or hyperband to resume from a volume"))
    problems += _settings(spec, name, algorithm)
    problems += _distributions(spec, name)
    problems += _early_stopping(exp, spec)
    return [p if p.severity == "warning" else warning(p.path, p.message, p.hint) for p in problems]


def _budget(spec: dict, name: str, algorithm: Algorithm) -> list[Problem]:
    max_trials = spec.get("maxTrialCount")
    if not algorithm.repeats_points or not isinstance(max_trials, int):
        return []
    size = parsed_space_size(spec, name)
    if size is None or max_trials <= size:
        return []
    return [warning("spec.maxTrialCount", f"the search space has only {size} distinct points but "
                    f"maxTrialCount is {max_trials}; {name} will repeat points",
                    f"lower maxTrialCount to {size}, or use grid")]


def _duplicate_names(spec: dict) -> list[Problem]:
    """Repeated parameter names break most services silently (goptuna rejects them)."""
    problems = []
    seen: set = set()
    for i, raw, _ in lint_parameters(spec):
        if as_str(raw.get("name")) in seen:
            problems.append(warning(f"spec.parameters[{i}].name", f"duplicate parameter name "
                                    f"{show(raw.get('name'))}", "parameter names must be unique"))
        seen.add(as_str(raw.get("name")))
    return problems


def _settings(spec: dict, name: str, algorithm: Algorithm) -> list[Problem]:
    """Settings the service's validation lets through (the local engine refuses the fatal ones),
    and kubetune's own kubetune.* settings, which a Katib cluster does not know."""
    if not name:
        return []
    settings = settings_of(as_dict(spec.get("algorithm")))
    problems = run_time_problems(AlgorithmContext(name, settings, spec, ALGORITHM_PATH))
    effect = {
        REJECTS: (f"Katib's suggestion service for {name} rejects unknown settings, so on a cluster "
                  "the Experiment fails"),
        IGNORES: f"Katib's suggestion service for {name} ignores it",
        FORWARDS: f"Katib's {name} passes it on to every trial",
    }.get(algorithm.unknown_settings, f"a Katib cluster has no suggestion service for {name} that knows it")
    for i, (setting, _) in enumerate(settings):
        if is_kubetune_setting(setting):
            problems.append(warning(f"{ALGORITHM_PATH}.algorithmSettings[{i}].name",
                                    f"{setting} is a kubetune setting (used by kubetune run only); {effect}",
                                    "remove it before kubectl apply"))
    return problems


def _early_stopping(exp: Experiment, spec: dict) -> list[Problem]:
    es = spec.get("earlyStopping")
    found = find_early_stopping(as_str(es.get("algorithmName"))) if isinstance(es, dict) else None
    return [] if found is None or found.lint is None else found.lint(exp)


# ---------------------------------------------------------------------------------------------
# distributions: what a cluster does with each declared one, per Katib version, next to kubetune run


def _distributions(spec: dict, algorithm: str) -> list[Problem]:
    problems = []
    allow_normal = kubetune_flag(dict(settings_of(as_dict(spec.get("algorithm")))), ALLOW_NORMAL)
    for i, raw, p in lint_parameters(spec):
        space = as_dict(raw.get("feasibleSpace"))
        dist = space.get("distribution") or "uniform"
        path = f"spec.parameters[{i}].feasibleSpace"
        if p is None:
            continue
        if not p.is_numeric:
            if dist not in ("uniform", "unknown"):
                problems.append(warning(f"{path}.distribution", f"distribution {dist} is ignored for "
                                        f"{p.type} parameters", "remove it"))
            continue
        if dist not in dist_table.DISTRIBUTIONS or algorithm not in dist_table.KATIB_TABLE:
            continue  # `unknown` is warned about by kubetune.experiment.lint
        problems += _distribution_problems(path, algorithm, p, dist, allow_normal)
        problems += _step_problems(path, algorithm, p, dist)
    return problems


def _step_problems(path: str, algorithm: str, p: Parameter, dist: str) -> list[Problem]:
    """A step under an algorithm that draws round(x / step) * step (hyperopt: random, tpe) gives
    multiples of the step from 0, not the min + k * step the user likely meant."""
    changed = dist_table.step_changes_values(algorithm, p.type, dist, p.min, p.max, p.step)
    if changed is None:
        return []
    drawn, grid = changed
    step = p.format_value(p.step)
    message = (f"{algorithm} draws {show_values(drawn, p.type)} (multiples of {step} "
               f"from 0: Katib's hyperopt service, and kubetune run alike, round the draw to a multiple "
               f"of the step), not {show_values(grid, p.type)} (min + k * step)")
    intended = (f"list the values meant: parameterType discrete, feasibleSpace.list "
                f"[{show_values(grid, p.type, most=grid.count)}]" if grid.count <= 20
                else "list the values meant as a discrete parameter")
    return [warning(f"{path}.step", message, f"{intended}; or make min and max multiples of {step}")]


def _katib_does(algorithm: str, dist: str, b: dist_table.Behaviour) -> str:
    service = dist_table.ALGORITHM_SERVICE[algorithm].name.lower()
    if b.outcome == dist_table.FOLLOWS:
        return f"{service} samples {b.detail}"
    if b.outcome == dist_table.IGNORED:
        return f"{algorithm} ignores distribution {dist} ({service} samples {b.detail})"
    if b.outcome == dist_table.STUCK:
        return f"{service} {b.detail}, so the experiment hangs with no trials"
    return f"{service}'s validation rejects it ({b.detail}) and the experiment fails"


def _distribution_problems(path: str, algorithm: str, p: Parameter, dist: str,
                           allow_normal: bool) -> list[Problem]:
    problems = []
    history = dist_table.katib_history(algorithm, p.type, dist)
    local = dist_table.local_behaviour(algorithm, p.type, dist, allow_normal=allow_normal)
    differs = local is not None and (local.outcome == dist_table.REFUSED or
                                     any(b.sample != local.sample for _, b in history))
    if differs or not all(dist_table.is_benign(b, dist) for _, b in history):
        said = [f"{dist_table.era_span(eras)}: {_katib_does(algorithm, dist, b)}" for eras, b in history]
        if local is not None:
            verb = local.detail if local.outcome == dist_table.REFUSED else f"samples {local.detail}"
            said.append(f"kubetune run {verb}")
        message = "; ".join(said) + (" (a cluster run differs from kubetune run)" if differs else "")
        problems.append(warning(f"{path}.distribution", message,
                                _distribution_hint(algorithm, p.type, dist, history)))
    found = dist_table.needs_positive_min(algorithm, p.type, dist)
    if found is not None and not found[2] and p.min is not None and p.min <= 0:
        # (where kubetune run refuses it too, the run-time check log_min_problems says so)
        problems.append(warning(f"{path}.min", positive_min_message(algorithm, found) + ": every suggestion "
                                "call fails and the experiment hangs", "raise min above 0"))
    return problems


def _distribution_hint(algorithm: str, ptype: str, dist: str,
                       history: list[tuple[tuple, dist_table.Behaviour]]) -> str:
    stable = [d for d in dist_table.DISTRIBUTIONS if dist_table.same_everywhere(algorithm, ptype, d)]
    others = [a for a in dist_table.KATIB_TABLE
              if a != algorithm and dist_table.same_everywhere(a, ptype, dist)]
    hints = []
    if stable:
        hints.append(f"use {' or '.join(stable)}: {algorithm} samples "
                     f"{'it' if len(stable) == 1 else 'them'} the same on every Katib version and in "
                     "kubetune run")
    if others:
        hints.append(f"or pick an algorithm that samples {dist} the same everywhere ({', '.join(others)})")
    local = dist_table.local_behaviour(algorithm, ptype, dist)
    if local is not None and local.outcome == dist_table.REFUSED:
        hints.append('(kubetune.allow_normal: "true" makes only kubetune run sample it)')
    return "; ".join(hints) or "see docs/katib-compat.md (Distributions)"
