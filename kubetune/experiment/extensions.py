"""kubetune's extensions of a Katib Experiment, checked together.

Each extension is explicit in the Experiment and degrades to something documented on a plain
Katib install (docs/search-spaces.md):

| extension                                  | kubetune run                     | plain Katib
|--------------------------------------------|----------------------------------|-----------------------------
| annotation kubetune.io/conditions          | define-by-run sampling           | ignored: every parameter sampled
| annotation kubetune.io/objectives          | NSGA-II, Pareto front in `best`  | ignored: objectiveMetricName only
| algorithmName fixed-product                | NNI 1.x FixedProductTuner        | rejected: use grid over the triples
| algorithmName asha, bohb                   | ASHA, BOHB (docs/multi-fidelity) | rejected: use hyperband
| earlyStopping percentile, successivehalving, patience | kubetune's own rules  | rejected: use medianstop
| annotation kubetune.io/max-duration        | no new trials after the duration | ignored: no duration limit

The conditions and objectives may also be written as `kubetune.*` algorithm settings, the form
kubetune's Katib suggestion service sees (extension_form.py).

`extension_problems(exp)` returns the errors (malformed annotations, combinations the local engine
cannot run); `kubetune.algorithms.check` adds them to Katib's validation errors.
"""
from __future__ import annotations

from .conditions import ANNOTATION_PATH as CONDITIONS_PATH
from .conditions import DEFINE_BY_RUN_ALGORITHMS, never_drawn
from .duration import MAX_DURATION_ANNOTATION, max_duration_seconds
from .errors import Problem, SpecError, error
from .types import Experiment
from .objectives import ANNOTATION_PATH as OBJECTIVES_PATH
from .objectives import NOT_WITH_OBJECTIVES
from .extension_form import parse_extensions
from .validate import settings_of


def extension_problems(exp: Experiment) -> list[Problem]:
    """Errors in kubetune's extensions of `exp` (empty for a plain Katib Experiment)."""
    annotations = exp.annotations
    try:
        parameters = exp.parameters
    except SpecError:
        return []  # validation reports the parameters themselves
    algorithm_spec = exp.spec.get("algorithm") if isinstance(exp.spec.get("algorithm"), dict) else {}
    found = parse_extensions(annotations, settings_of(algorithm_spec), parameters, exp.metric_names,
                             exp.objective.type)
    conditions, objectives, problems = found.conditions, found.objectives, list(found.problems)
    algorithm = exp.algorithm.name
    if conditions is not None:  # NSGA-II (objectives) draws the grid, as "" does
        problems += never_drawn(conditions, "" if objectives else algorithm, found.path(CONDITIONS_PATH))
    if conditions is not None and objectives is None and algorithm not in DEFINE_BY_RUN_ALGORITHMS:
        problems.append(error(found.path(CONDITIONS_PATH), f"kubetune run samples conditional parameters define-by-run, "
                              f"which {algorithm} cannot do",
                              f"use one of {', '.join(DEFINE_BY_RUN_ALGORITHMS)}, or remove the annotation to "
                              "search the flat space"))
    if objectives is not None and algorithm in NOT_WITH_OBJECTIVES:
        problems.append(error(found.path(OBJECTIVES_PATH), f"kubetune run replaces the algorithm by NSGA-II for a "
                              f"multi-objective search; {algorithm} cannot be replaced",
                              "use a sampling algorithm such as tpe or random (Katib runs it on "
                              "objectiveMetricName)"))
    try:
        max_duration_seconds(annotations)
    except ValueError as e:
        problems.append(error(f"metadata.annotations[{MAX_DURATION_ANNOTATION}]", str(e),
                              "write a duration such as 30m, 2h or 1d"))
    return problems
