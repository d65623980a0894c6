"""Which of a trial's parameters are inactive (kubetune.io/conditions): `momentum` for an adam
trial carries its neutral placeholder value, which means nothing; tables and `best` show it as
inactive instead. The condition model is imported only for experiments that have conditions."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Mapping

CONDITIONS_ANNOTATION = "kubetune.io/conditions"  # kubetune.experiment.conditions.CONDITIONS_ANNOTATION
ANNOTATIONS_FILE = "annotations.json"  # kubetune.engine.extensions.ANNOTATIONS_FILE

InactiveOf = Callable[[Mapping[str, str]], frozenset]


def never(_assignments: Mapping[str, str]) -> frozenset:
    return frozenset()


def inactive_rule(annotations: Mapping | None, spec: dict) -> InactiveOf:
    """assignments -> names of the inactive parameters (none without kubetune.io/conditions or
    when the annotation cannot be read: the run itself reported that)."""
    if not annotations or CONDITIONS_ANNOTATION not in annotations:
        return never
    from kubetune.experiment.conditions import parse_conditions
    from kubetune.experiment.errors import SpecError
    from kubetune.experiment.space import parse_parameters

    try:
        space, problems = parse_conditions(annotations, parse_parameters(spec))
    except (SpecError, ValueError, TypeError):
        return never
    if space is None or any(p.is_error for p in problems):
        return never
    return lambda assignments: frozenset(n for n in assignments if not space.is_active(n, assignments))


def annotations_of_run(run_dir: str | Path) -> dict:
    """The kubetune.io/* annotations the engine kept beside a run's state ({} when none)."""
    try:
        data = json.loads((Path(run_dir) / ANNOTATIONS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
