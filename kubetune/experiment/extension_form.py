"""kubetune's extensions written as algorithm settings: the form a Katib suggestion service sees.

Katib's gRPC `Experiment` (what `GetSuggestions` receives) carries the spec but no metadata, so a
suggestion service never sees the `kubetune.io/*` annotations. The same extensions can therefore
be written as `spec.algorithm.algorithmSettings` entries, with the same values:

| annotation form               | settings form (`algorithmSettings[].name`)
|-------------------------------|--------------------------------------------
| kubetune.io/conditions        | kubetune.conditions
| kubetune.io/objectives        | kubetune.objectives
| kubetune.io/population-size   | kubetune.population_size

`kubetune run` and `kubetune validate` accept either form (one extension in both forms is an
error); `kubetune serve suggestion` reads the settings form; `kubetune convert katib --services`
turns the annotations into settings. A Katib install without kubetune's services rejects the
settings form (Katib's own services refuse unknown settings) - that is what the annotation form
is for. Problems found in a setting's value are reported at the setting's path.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Mapping, Sequence

from .conditions import ANNOTATION_PATH as CONDITIONS_PATH
from .conditions import CONDITIONS_ANNOTATION, ConditionalSpace, parse_conditions
from .errors import Problem, error
from .objectives import ANNOTATION_PATH as OBJECTIVES_PATH
from .objectives import OBJECTIVES_ANNOTATION, POPULATION_ANNOTATION, POPULATION_PATH, Objectives, parse_objectives
from .space import Parameter

CONDITIONS_SETTING = "kubetune.conditions"
OBJECTIVES_SETTING = "kubetune.objectives"
POPULATION_SETTING = "kubetune.population_size"
# annotation -> the algorithm setting holding the same value
SETTING_FOR = {
    CONDITIONS_ANNOTATION: CONDITIONS_SETTING,
    OBJECTIVES_ANNOTATION: OBJECTIVES_SETTING,
    POPULATION_ANNOTATION: POPULATION_SETTING,
}
FORM_SETTINGS = tuple(SETTING_FOR.values())
_ANNOTATION_PATHS = {CONDITIONS_ANNOTATION: CONDITIONS_PATH, OBJECTIVES_ANNOTATION: OBJECTIVES_PATH,
                     POPULATION_ANNOTATION: POPULATION_PATH}


def extension_values(annotations: Mapping[str, Any] | None, settings: Sequence[tuple[str, Any]],
                     path: str = "spec.algorithm") -> tuple[dict[str, Any], dict[str, str], list[Problem]]:
    """(annotation name -> value from whichever form, annotation path -> the setting path it came
    from, errors). `settings` is (name, value) in spec order; a repeated name: the last wins."""
    values = {k: v for k, v in (annotations or {}).items() if k in SETTING_FOR}
    moved: dict[str, str] = {}
    problems: list[Problem] = []
    for annotation, setting in SETTING_FOR.items():
        index = max((i for i, (name, _) in enumerate(settings) if name == setting), default=None)
        if index is None:
            continue
        setting_path = f"{path}.algorithmSettings[{index}].value"
        if annotation in values:
            problems.append(error(setting_path, f"{setting} repeats the annotation {annotation}",
                                  "write the extension once: as the annotation (plain Katib ignores it) or as "
                                  "the setting (for kubetune's Katib services)"))
            continue
        values[annotation] = settings[index][1]
        moved[_ANNOTATION_PATHS[annotation]] = setting_path
    return values, moved, problems


def _relocated(problems: list[Problem], moved: Mapping[str, str]) -> list[Problem]:
    out = []
    for p in problems:
        for old, new in moved.items():
            if (at := p.moved(old, new)) is not None:
                p = replace(at, message=at.message.replace("annotation", "setting"),
                            hint=at.hint.replace(POPULATION_ANNOTATION, POPULATION_SETTING)
                            .replace(OBJECTIVES_ANNOTATION, OBJECTIVES_SETTING))
                break
        out.append(p)
    return out


@dataclass(frozen=True)
class Extensions:
    conditions: ConditionalSpace | None
    objectives: Objectives | None
    problems: list[Problem]
    moved: Mapping[str, str] = field(default_factory=dict)  # annotation path -> setting path

    def path(self, annotation_path: str) -> str:
        """Where the extension was written (its setting's path in the settings form)."""
        return self.moved.get(annotation_path, annotation_path)

    @property
    def errors(self) -> list[str]:
        return [str(p) for p in self.problems if p.is_error]


def parse_extensions(annotations: Mapping[str, Any] | None, settings: Sequence[tuple[str, Any]],
                     parameters: Sequence[Parameter], metric_names: Sequence[str], objective_type: str
                     ) -> Extensions:
    """The conditional space and the objectives of an Experiment, from its annotations or its
    algorithm settings, and the errors found in them."""
    values, moved, problems = extension_values(annotations, settings)
    conditions, found = parse_conditions(values, parameters)
    objectives, more = parse_objectives(values, metric_names, objective_type)
    return Extensions(conditions, objectives, problems + _relocated(found + more, moved), moved)


def settings_form(annotations: Mapping[str, Any], settings: Sequence[Mapping[str, Any]]
                  ) -> tuple[dict[str, Any], list[dict[str, Any]], list[str]]:
    """(annotations without the moved ones, algorithmSettings with them appended, moved names):
    the annotation form rewritten into the settings form."""
    kept = dict(annotations)
    out = [dict(s) for s in settings]
    moved = []
    for annotation, setting in SETTING_FOR.items():
        if annotation in kept and not any(s.get("name") == setting for s in out):
            out.append({"name": setting, "value": kept.pop(annotation)})
            moved.append(annotation)
    return kept, out, moved
