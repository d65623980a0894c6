"""Which of a trial's parameters are inactive (kubetune.io/conditions): `momentum` for an adam
trial carries its neutral placeholder value, which means nothing; tables and `best` show it as
inactive instead. The condition model is imported only for experiments that have conditions."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Mapping

CONDITIONS_ANNOTATION = "kubetune.io/conditions"  # kubetune.experiment.conditions.CONDITIONS_ANNOTATION
CONDITIONS_SETTING = "kubetune.conditions"  # kubetune.experiment.extension_form.CONDITIONS_SETTING
ANNOTATIONS_FILE = "annotations.json"  # kubetune.engine.extensions.ANNOTATIONS_FILE

InactiveOf = Callable[[Mapping[str, str]], frozenset]


def never(_assignments: Mapping[str, str]) -> frozenset:
    return frozenset()


def inactive_rule(annotations: Mapping | None, spec: dict) -> InactiveOf:
    """assignments -> names of the inactive parameters (none without conditions, given as the
    kubetune.io/conditions annotation or the kubetune.conditions algorithm setting, or when they
    cannot be read: the run itself reported that)."""
    algorithm = spec.get("algorithm") if isinstance(spec, dict) and isinstance(spec.get("algorithm"), dict) else {}
    if CONDITIONS_ANNOTATION not in (annotations or {}) and CONDITIONS_SETTING not in str(algorithm):
        return never  # (a cheap look: most runs have no conditions and load no experiment code)
    from kubetune.experiment.conditions import parse_conditions
    from kubetune.experiment.errors import SpecError
    from kubetune.experiment.extension_form import extension_values
    from kubetune.experiment.space import parse_parameters
    from kubetune.experiment.validate import settings_of

    try:
        values, _, problems = extension_values(annotations, settings_of(algorithm))
        if problems:
            return never
        space, problems = parse_conditions(values, parse_parameters(spec))
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
