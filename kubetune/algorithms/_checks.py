"""What every settings check shares: the context it sees, the rule helpers, kubetune.* settings.

A settings check mirrors one Katib service's `ValidateAlgorithmSettings` (katib-semantics 2.2): it
reproduces the service's Python parsing (int()/float() on the setting strings) so the same
spellings pass and fail, and returns `Problem`s at `spec.algorithm.algorithmSettings[i].value`
(or `.name`) saying what was found and what is allowed. A run-time check returns what the
service's validation lets through: errors the local engine cannot run (the hint says whether a
Katib cluster then fails on every GetSuggestions call), warnings for settings it ignores.

Settings named `kubetune.*` are kubetune's own extensions (`KUBETUNE_SETTINGS`, e.g.
`kubetune.allow_normal: "true"`: a truncated normal for algorithms whose Katib service rejects
normal/logNormal). Every algorithm accepts them, the algorithm checks skip them
(`ctx.katib_settings()`), and `check_kubetune_settings` checks their values.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping, Sequence

from kubetune.experiment import distributions as dist_table
from kubetune.experiment.access import as_list
from kubetune.experiment.errors import Problem, did_you_mean, error, show, warning
from kubetune.experiment.extension_form import FORM_SETTINGS
from kubetune.experiment.space import Parameter, check_parameter

ALGORITHM_PATH = "spec.algorithm"
EARLY_STOPPING_PATH = "spec.earlyStopping"


@dataclass(frozen=True)
class AlgorithmContext:
    """What a settings check sees."""

    name: str
    settings: tuple[tuple[str, str], ...]  # (name, value) as written, in order
    spec: dict  # the decoded, defaulted spec (or the part the engine knows, see for_parameters)
    path: str = ALGORITHM_PATH  # or spec.earlyStopping

    @classmethod
    def for_parameters(cls, name: str, settings: Mapping[str, str], parameters: Sequence[Any], *,
                       max_trial_count: int | None = None,
                       parallel_trial_count: int | None = None) -> AlgorithmContext:
        """The context of an algorithm known only by typed parameters (the engine's view).

        The parameters are written back in the string form Katib stores, so every check reads
        them exactly as it reads a spec; checks needing an unknown count are skipped.
        """
        spec: dict[str, Any] = {"parameters": [_parameter_document(p) for p in parameters]}
        if max_trial_count is not None:
            spec["maxTrialCount"] = max_trial_count
        if parallel_trial_count is not None:
            spec["parallelTrialCount"] = parallel_trial_count
        return cls(name, tuple(settings.items()), spec, ALGORITHM_PATH)

    def setting_path(self, index: int, part: str = "value") -> str:
        return f"{self.path}.algorithmSettings[{index}].{part}"

    @property
    def settings_dict(self) -> dict[str, str]:
        return dict(self.settings)  # later entries win, as in the services' dict()

    def katib_settings(self) -> Iterator[tuple[int, str, str]]:
        """(index, name, value) of every setting except kubetune's own `kubetune.*` ones."""
        for i, (name, value) in enumerate(self.settings):
            if not is_kubetune_setting(name):
                yield i, name, value

    def index_of(self, name: str) -> int | None:
        found = None
        for i, (n, _) in enumerate(self.settings):
            if n == name:
                found = i
        return found

    def parameters(self) -> list[tuple[int, Parameter]]:
        """(index, Parameter) for every parameter that parses (others are reported elsewhere)."""
        out = []
        for i, raw in enumerate(as_list(self.spec.get("parameters"))):
            param, _ = check_parameter(raw, f"spec.parameters[{i}]")
            if param is not None:
                out.append((i, param))
        return out

    def raw_parameters(self) -> list[dict]:
        return [p for p in as_list(self.spec.get("parameters")) if isinstance(p, dict)]


def _parameter_document(param: Any) -> dict:
    """A typed Parameter as the ParameterSpec mapping Katib stores (bounds as strings)."""
    space: dict[str, Any] = {}
    if param.type in ("int", "double"):
        for key in ("min", "max", "step"):
            value = getattr(param, key, None)
            if value is not None:
                space[key] = param.format_value(value)
        space["distribution"] = getattr(param, "distribution", None) or "uniform"
    else:
        space["list"] = [str(v) for v in param.values]
    return {"name": param.name, "parameterType": param.type, "feasibleSpace": space}


def missing_settings(ctx: AlgorithmContext, required: Sequence[str], hint: str) -> Problem | None:
    """The error for required settings that are not set ("<algorithm> needs settings ...; missing ..."),
    at spec.algorithm.algorithmSettings; None when all are set."""
    missing = [k for k in required if k not in ctx.settings_dict]
    if not missing:
        return None
    needs = ", ".join(required[:-1]) + " and " + required[-1] if len(required) > 1 else required[0]
    return error(f"{ctx.path}.algorithmSettings",
                 f"{ctx.name} needs settings {needs}; missing {', '.join(missing)}", hint)


Check = Callable[[AlgorithmContext], list[Problem]]

# What happens to a run-time problem, added to its hint so it reads right in lint and engine.
FAILS_AT_RUN_TIME = ("Katib's validation lets this through, then every suggestion call fails and "
                     "the experiment hangs; kubetune run refuses to start")
REFUSED_LOCALLY = "Katib's validation lets this through; kubetune run refuses it"


# ---------------------------------------------------------------------------------------------
# kubetune's own settings (kubetune.*)

KUBETUNE_PREFIX = "kubetune."
ALLOW_NORMAL = "kubetune.allow_normal"
# name -> allowed values (compared after strip().lower()); algorithm settings only. () = free
# text: the settings form of the conditions / objectives extensions, whose values
# kubetune.experiment.extension_form checks (with the parameters and metric names they need).
KUBETUNE_SETTINGS: dict[str, tuple[str, ...]] = {ALLOW_NORMAL: ("true", "false"),
                                                 **{name: () for name in FORM_SETTINGS}}


def is_kubetune_setting(name: str) -> bool:
    return isinstance(name, str) and name.startswith(KUBETUNE_PREFIX)


def split_kubetune_settings(settings: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """(Katib settings, kubetune.* settings)."""
    katib = {k: v for k, v in settings.items() if not is_kubetune_setting(k)}
    extensions = {k: v for k, v in settings.items() if is_kubetune_setting(k)}
    return katib, extensions


def kubetune_flag(settings: Mapping[str, str], name: str) -> bool:
    """A checked true/false kubetune setting; unset means false."""
    value = settings.get(name)
    return value is not None and value.strip().lower() == "true"


def check_kubetune_settings(ctx: AlgorithmContext) -> list[Problem]:
    """Unknown `kubetune.*` names and bad values: kubetune's own rule, an error everywhere."""
    known = KUBETUNE_SETTINGS if ctx.path == ALGORITHM_PATH else {}
    allowed = ", ".join(sorted(known)) or "none here"
    problems = []
    for i, (name, value) in enumerate(ctx.settings):
        if not is_kubetune_setting(name):
            continue
        if name not in known:
            hint = " ".join(h for h in (did_you_mean(name, known), f"kubetune settings: {allowed}") if h)
            problems.append(error(ctx.setting_path(i, "name"), f"unknown kubetune setting {show(name)}", hint))
        elif not isinstance(value, str) or (known[name] and value.strip().lower() not in known[name]):
            problems.append(error(ctx.setting_path(i), f"{name}: found {show(value)}; must be one of "
                                  f"{', '.join(known[name])}"))
    return problems


# ---------------------------------------------------------------------------------------------
# rule helpers


def parses(parse: Callable[[str], Any], text: str) -> tuple[bool, Any]:
    """(True, parse(text)) or (False, None): the services' int()/float() without the exception."""
    try:
        return True, parse(text)
    except (ValueError, TypeError, OverflowError):
        return False, None


def unknown_setting(ctx: AlgorithmContext, i: int, allowed: tuple[str, ...]) -> Problem:
    name = ctx.settings[i][0]
    allowed_text = ", ".join(allowed) if allowed else "none"
    hint = " ".join(h for h in (did_you_mean(name, allowed), f"allowed: {allowed_text}") if h)
    return error(ctx.setting_path(i, "name"),
                 f"unknown setting {show(name)} for algorithm {ctx.name}", hint)


def number_setting(ctx: AlgorithmContext, i: int, kind: str, ok: Callable[[Any], bool],
                   rule: str) -> list[Problem]:
    name, text = ctx.settings[i]
    parsed_ok, value = parses(int if kind == "int" else float, text)
    if not parsed_ok:
        want = "an integer" if kind == "int" else "a number"
        return [error(ctx.setting_path(i), f"{name}: found {show(text)}; must be {want}",
                      f"{rule}; the value is a quoted string in YAML, e.g. value: \"3\"")]
    if not ok(value):
        return [error(ctx.setting_path(i), f"{name}: found {show(text)}; must be {rule}")]
    return []


def choice_setting(ctx: AlgorithmContext, i: int, choices: tuple[str, ...]) -> list[Problem]:
    name, text = ctx.settings[i]
    if text in choices:
        return []
    return [error(ctx.setting_path(i), f"{name}: found {show(text)}; must be one of {', '.join(choices)}",
                  did_you_mean(text, choices))]


def settings_table(ctx: AlgorithmContext, table: dict[str, Callable[[int], list[Problem]]]
                   ) -> list[Problem]:
    """Each Katib setting checked by its rule in `table`; any other name is an error."""
    problems: list[Problem] = []
    for i, name, _ in ctx.katib_settings():
        if name in table:
            problems += table[name](i)
        else:
            problems.append(unknown_setting(ctx, i, tuple(table)))
    return problems


def at_least(lo: float) -> Callable[[Any], bool]:
    return lambda v: v >= lo


def above(lo: float) -> Callable[[Any], bool]:
    return lambda v: v > lo


def finite_above(lo: float) -> Callable[[Any], bool]:
    return lambda v: lo < v < math.inf


def non_negative_int(ctx: AlgorithmContext) -> Callable[[int], list[Problem]]:
    """The rule most services apply to random_state and counts: Python int(text) >= 0."""
    return lambda i: number_setting(ctx, i, "int", at_least(0), "an integer >= 0")


def at_run_time(problems: list[Problem], katib_fails: bool) -> list[Problem]:
    """The same problems, with the hint saying that Katib's validation lets them through and
    whether the service then fails on them (else only kubetune's engine refuses them)."""
    verdict = FAILS_AT_RUN_TIME if katib_fails else REFUSED_LOCALLY
    return [error(p.path, p.message, "; ".join(h for h in (p.hint, verdict) if h)) for p in problems]


def run_number(ctx: AlgorithmContext, i: int, kind: str, ok: Callable[[Any], bool],
               rule: str) -> list[Problem]:
    """A number Katib only reads at run time: text that does not parse fails there; a value out
    of range is refused by kubetune (Katib's behaviour with it is not known to fail)."""
    parsed, _ = parses(int if kind == "int" else float, ctx.settings[i][1])
    return at_run_time(number_setting(ctx, i, kind, ok, rule), katib_fails=not parsed)


def ignored_settings(ctx: AlgorithmContext, used: tuple[str, ...], service: str) -> list[Problem]:
    """Warnings for settings a service neither validates nor uses."""
    problems = []
    for i, name, _ in ctx.katib_settings():
        if name not in used:
            used_text = ", ".join(used) if used else "none"
            hint = " ".join(h for h in (did_you_mean(name, used), f"it uses: {used_text}") if h)
            problems.append(warning(ctx.setting_path(i, "name"),
                                    f"{ctx.name} ignores setting {show(name)} ({service} does too)", hint))
    return problems


def needs_parameters(ctx: AlgorithmContext) -> list[Problem]:
    """The hyperparameter algorithms search spec.parameters, not spec.nasConfig."""
    if ctx.spec.get("parameters") or ctx.spec.get("nasConfig") is None:
        return []  # (neither at all is the webhook's error)
    return [error("spec.nasConfig", f"algorithm {ctx.name} searches spec.parameters and does not use "
                  "spec.nasConfig", "enas and darts are the algorithms that use spec.nasConfig")]


def duplicate_names(ctx: AlgorithmContext) -> list[Problem]:
    """Repeated parameter names, as an error (for services that reject them)."""
    seen: set = set()
    problems = []
    for i, raw in enumerate(ctx.raw_parameters()):
        name = raw.get("name")
        if not isinstance(name, str):
            continue
        if name in seen:
            problems.append(error(f"spec.parameters[{i}].name", f"duplicate parameter name {show(name)}",
                                  f"algorithm {ctx.name} rejects repeated parameter names"))
        seen.add(name)
    return problems


def positive_min_message(algorithm: str, found: tuple) -> str:
    """Lint's and kubetune run's words for a log scale that needs min > 0 (`found`: what
    kubetune.experiment.distributions.needs_positive_min returned)."""
    eras, behaviour, _ = found
    service = dist_table.ALGORITHM_SERVICE[algorithm].name.lower()
    detail = behaviour.detail.split(";")[0]  # (what follows is about the step)
    return f"{dist_table.era_span(eras)}: {service} samples {detail}, which needs min > 0"


def log_min_problems(ctx: AlgorithmContext) -> list[Problem]:
    """min <= 0 where the newest Katib service takes a logarithm of min (hyperopt's math.log(min),
    skopt's log-uniform prior): its validation lets it through, then every suggestion call fails,
    so kubetune run refuses it (rather than raising min as the optuna service does). Read from the
    table of kubetune.experiment.distributions, for every algorithm (registry.run_time_problems)."""
    problems = []
    for i, p in ctx.parameters():
        if not p.is_numeric or p.min is None or p.min > 0:
            continue
        found = dist_table.needs_positive_min(ctx.name, p.type, p.distribution or "uniform")
        if found is not None and found[2]:
            problems += at_run_time([error(f"spec.parameters[{i}].feasibleSpace.min",
                                           positive_min_message(ctx.name, found),
                                           "raise min above 0")], katib_fails=True)
    return problems


def guarded(check: Check | None, ctx: AlgorithmContext) -> list[Problem]:
    """`check(ctx)`, with a crash turned into an error: a registered check must not take
    validation down with it."""
    if check is None:
        return []
    try:
        return list(check(ctx))
    except Exception as exc:
        return [error(ctx.path, f"settings check of algorithm {ctx.name} failed: {exc!r}")]
