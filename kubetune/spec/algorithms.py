"""Algorithm settings: the one place that says which `algorithmSettings` are valid.

Katib checks settings in stage B (katib-semantics 2.2): the suggestion service's
`ValidateAlgorithmSettings`. A rejection there marks the Suggestion and then the Experiment
Failed. The checks reproduce the services' Python parsing (int()/float() on the setting strings)
so the same spellings pass and fail. Every problem is a `Problem` at
`spec.algorithm.algorithmSettings[i].value` (or `.name`) saying what was found and what is allowed.

Two kinds of checks per algorithm:

* `check_<algorithm>` (registry `KATIB_ALGORITHMS`): what Katib's validation rejects. Run by
  `kubetune validate` (errors) and by the local engine before it builds a suggester.
* `run_<algorithm>` (registry `KATIB_RUN_CHECKS`): what Katib's validation lets through.
  Errors are values the local engine cannot run (the hint says whether Katib's service then
  fails on every GetSuggestions call, leaving the experiment hanging, e.g. multivariate-tpe
  `n_ei_candidates: "0"`); warnings are settings the service ignores. `kubetune validate` shows
  all of them as lint warnings; `kubetune run` refuses the errors and logs the warnings.

Settings named `kubetune.*` are kubetune's own extensions (`KUBETUNE_SETTINGS`, e.g.
`kubetune.allow_normal: "true"`: a truncated normal for algorithms whose Katib service rejects
normal/logNormal). Every algorithm accepts them here and the algorithm checks skip them; their
values are checked by `check_kubetune_settings`. Lint warns that a Katib cluster rejects
(or ignores) them.

The local engine (`kubetune.engine.suggest`) imports this module, never the reverse: it runs
`settings_errors` + `run_time_problems` on `AlgorithmContext.for_parameters(...)` and turns the
errors into SuggestionError. Adding an algorithm (e.g. kubetune's own `fixed-product`) is two
registrations, one per layer:

    kubetune.spec.algorithms.register_algorithm("fixed-product", check_fixed_product)  # settings
    kubetune.engine.suggest.register_algorithm("fixed-product", make_fixed_product)    # sampling

`check_fixed_product(ctx) -> list[Problem]` sees every setting (iterate `ctx.katib_settings()`
to skip the `kubetune.*` ones); the name then counts as known to katib-config for validation.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping, Sequence

from .access import as_list
from .errors import Problem, did_you_mean, error, show, warning
from .space import Parameter, check_parameter, space_size

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


Check = Callable[[AlgorithmContext], list[Problem]]

# What happens to a run-time problem, added to its hint so it reads right in lint and engine.
FAILS_AT_RUN_TIME = ("Katib's validation lets this through, then every suggestion call fails and "
                     "the experiment hangs; kubetune run refuses to start")
REFUSED_LOCALLY = "Katib's validation lets this through; kubetune run refuses it"


# ---------------------------------------------------------------------------------------------
# kubetune's own settings (kubetune.*)

KUBETUNE_PREFIX = "kubetune."
ALLOW_NORMAL = "kubetune.allow_normal"
# name -> allowed values (compared after strip().lower()); algorithm settings only
KUBETUNE_SETTINGS: dict[str, tuple[str, ...]] = {ALLOW_NORMAL: ("true", "false")}
# What a Katib cluster's suggestion service does with a setting it does not know (2.2); lint
# uses it to tell whether a kubetune.* setting breaks `kubectl apply`.
REJECTS_UNKNOWN_SETTINGS = frozenset({"random", "tpe", "multivariate-tpe", "grid",
                                      "bayesianoptimization", "enas"})
IGNORES_UNKNOWN_SETTINGS = frozenset({"cmaes", "sobol", "hyperband", "pbt"})
FORWARDS_UNKNOWN_SETTINGS = frozenset({"darts"})  # passed on to the trials


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
        elif not isinstance(value, str) or value.strip().lower() not in known[name]:
            problems.append(error(ctx.setting_path(i), f"{name}: found {show(value)}; must be one of "
                                  f"{', '.join(known[name])}"))
    return problems


# ---------------------------------------------------------------------------------------------
# helpers


def _py(parse: Callable[[str], Any], text: str) -> tuple[bool, Any]:
    try:
        return True, parse(text)
    except (ValueError, TypeError, OverflowError):
        return False, None


def _unknown(ctx: AlgorithmContext, i: int, allowed: tuple[str, ...]) -> Problem:
    name = ctx.settings[i][0]
    allowed_text = ", ".join(allowed) if allowed else "none"
    hint = " ".join(h for h in (did_you_mean(name, allowed), f"allowed: {allowed_text}") if h)
    return error(ctx.setting_path(i, "name"),
                 f"unknown setting {show(name)} for algorithm {ctx.name}", hint)


def _number_setting(ctx: AlgorithmContext, i: int, kind: str, ok: Callable[[Any], bool],
                    rule: str) -> list[Problem]:
    name, text = ctx.settings[i]
    parsed_ok, value = _py(int if kind == "int" else float, text)
    if not parsed_ok:
        want = "an integer" if kind == "int" else "a number"
        return [error(ctx.setting_path(i), f"{name}: found {show(text)}; must be {want}",
                      f"{rule}; the value is a quoted string in YAML, e.g. value: \"3\"")]
    if not ok(value):
        return [error(ctx.setting_path(i), f"{name}: found {show(text)}; must be {rule}")]
    return []


def _choice_setting(ctx: AlgorithmContext, i: int, choices: tuple[str, ...]) -> list[Problem]:
    name, text = ctx.settings[i]
    if text in choices:
        return []
    return [error(ctx.setting_path(i), f"{name}: found {show(text)}; must be one of {', '.join(choices)}",
                  did_you_mean(text, choices))]


def _settings_table(ctx: AlgorithmContext, table: dict[str, Callable[[int], list[Problem]]]
                    ) -> list[Problem]:
    problems: list[Problem] = []
    for i, name, _ in ctx.katib_settings():
        if name in table:
            problems += table[name](i)
        else:
            problems.append(_unknown(ctx, i, tuple(table)))
    return problems


def _ge(lo: float) -> Callable[[Any], bool]:
    return lambda v: v >= lo


def _gt(lo: float) -> Callable[[Any], bool]:
    return lambda v: v > lo


def _at_run_time(problems: list[Problem], katib_fails: bool) -> list[Problem]:
    """The same problems, with the hint saying that Katib's validation lets them through and
    whether the service then fails on them (else only kubetune's engine refuses them)."""
    verdict = FAILS_AT_RUN_TIME if katib_fails else REFUSED_LOCALLY
    return [error(p.path, p.message, "; ".join(h for h in (p.hint, verdict) if h)) for p in problems]


def _run_number(ctx: AlgorithmContext, i: int, kind: str, ok: Callable[[Any], bool],
                rule: str) -> list[Problem]:
    """A number Katib only reads at run time: text that does not parse fails there; a value out
    of range is refused by kubetune (Katib's behaviour with it is not known to fail)."""
    parsed, _ = _py(int if kind == "int" else float, ctx.settings[i][1])
    return _at_run_time(_number_setting(ctx, i, kind, ok, rule), katib_fails=not parsed)


def _ignored(ctx: AlgorithmContext, used: tuple[str, ...], service: str) -> list[Problem]:
    """Warnings for settings a service neither validates nor uses."""
    problems = []
    for i, name, _ in ctx.katib_settings():
        if name not in used:
            used_text = ", ".join(used) if used else "none"
            hint = " ".join(h for h in (did_you_mean(name, used), f"it uses: {used_text}") if h)
            problems.append(warning(ctx.setting_path(i, "name"),
                                    f"{ctx.name} ignores setting {show(name)} ({service} does too)", hint))
    return problems


def _needs_parameters(ctx: AlgorithmContext) -> list[Problem]:
    if ctx.spec.get("parameters") or ctx.spec.get("nasConfig") is None:
        return []  # (neither at all is the webhook's error)
    return [error("spec.nasConfig", f"algorithm {ctx.name} searches spec.parameters and does not use "
                  "spec.nasConfig", "enas and darts are the algorithms that use spec.nasConfig")]


def _duplicate_names(ctx: AlgorithmContext) -> list[Problem]:
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


def _non_negative_int(ctx: AlgorithmContext) -> Callable[[int], list[Problem]]:
    """The rule most services apply to random_state and counts: Python int(text) >= 0."""
    return lambda i: _number_setting(ctx, i, "int", _ge(0), "an integer >= 0")


# ---------------------------------------------------------------------------------------------
# hyperopt: random, tpe


def check_random(ctx: AlgorithmContext) -> list[Problem]:
    table = {"random_state": _non_negative_int(ctx)}
    return _needs_parameters(ctx) + _settings_table(ctx, table)


def check_tpe(ctx: AlgorithmContext) -> list[Problem]:
    table = {
        "gamma": lambda i: _number_setting(ctx, i, "float", lambda v: 0 < v < 1, "in (0, 1)"),
        "prior_weight": lambda i: _number_setting(ctx, i, "float", _gt(0), "greater than 0"),
        "n_EI_candidates": lambda i: _number_setting(ctx, i, "int", _gt(0), "an integer > 0"),
        "random_state": _non_negative_int(ctx),
    }
    return _needs_parameters(ctx) + _settings_table(ctx, table)


def run_tpe(ctx: AlgorithmContext) -> list[Problem]:
    """An infinite prior_weight passes `> 0` but makes every TPE weight infinite."""
    problems = []
    for i, name, text in ctx.katib_settings():
        ok, value = _py(float, text)
        if name == "prior_weight" and ok and value > 0 and not math.isfinite(value):
            problems += _at_run_time([error(ctx.setting_path(i), f"{name}: found {show(text)}; must be "
                                            "a finite number greater than 0")], katib_fails=False)
    return problems


# ---------------------------------------------------------------------------------------------
# optuna: grid, multivariate-tpe


def grid_size(ctx: AlgorithmContext) -> int | None:
    params = [p for _, p in ctx.parameters()]
    try:
        return space_size(params)
    except ValueError:
        return None


def check_grid(ctx: AlgorithmContext) -> list[Problem]:
    table = {"random_state": _non_negative_int(ctx)}
    problems = _needs_parameters(ctx) + _settings_table(ctx, table)
    grid_ok = True
    for i, param in ctx.parameters():
        if param.type == "double" and param.step is None:
            grid_ok = False
            problems.append(error(f"spec.parameters[{i}].feasibleSpace.step",
                                  f"grid needs a step for double parameter {show(param.name)}",
                                  'add e.g. step: "0.01", or use a categorical list'))
        else:
            try:
                param.cardinality()
            except ValueError as exc:
                grid_ok = False
                problems.append(error(f"spec.parameters[{i}].feasibleSpace", f"grid cannot be built: {exc}"))
    max_trials = ctx.spec.get("maxTrialCount")
    if grid_ok and isinstance(max_trials, int):
        size = grid_size(ctx)
        if size is not None and max_trials > size:
            problems.append(error("spec.maxTrialCount",
                                  f"found {max_trials}; the grid has only {size} points",
                                  f"set maxTrialCount to at most {size}"))
    return problems


MULTIVARIATE_TPE_SETTINGS = ("n_startup_trials", "n_ei_candidates", "random_state")


def check_multivariate_tpe(ctx: AlgorithmContext) -> list[Problem]:
    # Katib's optuna service: int(value) >= 0 for all three ("should be greate or equal than zero").
    table = {name: _non_negative_int(ctx) for name in MULTIVARIATE_TPE_SETTINGS}
    return _needs_parameters(ctx) + _settings_table(ctx, table)


def run_multivariate_tpe(ctx: AlgorithmContext) -> list[Problem]:
    """n_ei_candidates 0 passes Katib's `>= 0`; Optuna's TPESampler then fails on every ask."""
    problems = []
    for i, name, text in ctx.katib_settings():
        ok, value = _py(int, text)
        if name == "n_ei_candidates" and ok and value == 0:
            problems += _at_run_time([error(ctx.setting_path(i), f"{name}: found {show(text)}; must be "
                                            "an integer >= 1",
                                            "Optuna's TPESampler draws n_ei_candidates samples per ask")],
                                     katib_fails=True)
    return problems


# ---------------------------------------------------------------------------------------------
# goptuna: cmaes, sobol (Go; goptuna validates no setting: mistakes surface only at run time)


CMAES_SETTINGS = ("random_state", "sigma", "restart_strategy")
CMAES_RESTART_STRATEGIES = ("ipop", "bipop", "none")


def check_cmaes(ctx: AlgorithmContext) -> list[Problem]:
    problems = _needs_parameters(ctx)
    numeric = [p for p in ctx.raw_parameters() if p.get("parameterType") in ("int", "double")]
    if ctx.spec.get("parameters") and len(numeric) < 2:
        problems.append(error("spec.parameters",
                              f"cmaes needs at least two int/double parameters; found {len(numeric)}",
                              "use random, tpe or bayesianoptimization for a single numeric parameter"))
    return problems + _duplicate_names(ctx)


def run_cmaes(ctx: AlgorithmContext) -> list[Problem]:
    """goptuna builds its study from the settings inside GetSuggestions: a bad value fails there."""
    problems = []
    for i, name, _ in ctx.katib_settings():
        if name == "random_state":
            problems += _run_number(ctx, i, "int", _ge(0), "an integer >= 0")
        elif name == "sigma":
            problems += _run_number(ctx, i, "float", lambda v: 0 < v < math.inf,
                                    "a finite number greater than 0")
        elif name == "restart_strategy":
            problems += _at_run_time(_choice_setting(ctx, i, CMAES_RESTART_STRATEGIES), katib_fails=True)
    return problems + _ignored(ctx, CMAES_SETTINGS, "goptuna's CMA-ES")


def check_sobol(ctx: AlgorithmContext) -> list[Problem]:
    return _needs_parameters(ctx) + _duplicate_names(ctx)


def run_sobol(ctx: AlgorithmContext) -> list[Problem]:
    return _ignored(ctx, (), "goptuna's Sobol sampler")


# ---------------------------------------------------------------------------------------------
# skopt: bayesianoptimization

BAYESIAN_ESTIMATORS = ("GP", "RF", "ET", "GBRT")
BAYESIAN_ACQ_FUNCS = ("gp_hedge", "LCB", "EI", "PI", "EIps", "PIps")
BAYESIAN_ACQ_OPTIMIZERS = ("auto", "sampling", "lbfgs")


def check_bayesianoptimization(ctx: AlgorithmContext) -> list[Problem]:
    table = {
        "base_estimator": lambda i: _choice_setting(ctx, i, BAYESIAN_ESTIMATORS),
        "n_initial_points": _non_negative_int(ctx),
        "acq_func": lambda i: _choice_setting(ctx, i, BAYESIAN_ACQ_FUNCS),
        "acq_optimizer": lambda i: _choice_setting(ctx, i, BAYESIAN_ACQ_OPTIMIZERS),
        "random_state": _non_negative_int(ctx),
    }
    return _needs_parameters(ctx) + _settings_table(ctx, table)


# ---------------------------------------------------------------------------------------------
# hyperband (mirrors HyperbandService.ValidateAlgorithmSettings line by line)

HYPERBAND_SETTINGS = ("resource_name", "r_l", "eta")
# Bookkeeping Katib's hyperband service writes back into the settings itself (3.5).
HYPERBAND_STATE = ("s_max", "b_l", "r", "n", "current_s", "current_i", "evaluating_trials")
HYPERBAND_DEFAULT_ETA = 3


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
    problems = _needs_parameters(ctx)
    settings = {name: value for _, name, value in ctx.katib_settings()}
    if "r_l" not in settings or "resource_name" not in settings:
        missing = [k for k in ("r_l", "resource_name") if k not in settings]
        return problems + [error(f"{ctx.path}.algorithmSettings",
                                 f"hyperband needs settings r_l and resource_name; missing {', '.join(missing)}",
                                 "r_l is the maximum resource (e.g. epochs), resource_name the parameter "
                                 "that receives it")]
    i_rl = ctx.index_of("r_l")
    ok, r_l = _py(float, settings["r_l"])
    if not ok or r_l < 0:
        return problems + [error(ctx.setting_path(i_rl), f"r_l: found {show(settings['r_l'])}; "
                                 "must be a positive number")]
    blame = "r_l"
    if "eta" in settings:
        eta_ok, eta = _py(lambda t: int(float(t)), settings["eta"])
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
                               "cluster ignores it") for p in _non_negative_int(ctx)(i)]
        elif name in HYPERBAND_STATE:
            problems.append(warning(ctx.setting_path(i, "name"), f"{name} is bookkeeping that Katib's "
                                    "hyperband service writes into the settings itself; kubetune ignores it",
                                    "remove it"))
    used = HYPERBAND_SETTINGS + HYPERBAND_STATE + ("random_state",)
    return problems + _ignored(ctx, used, "Katib's hyperband")


# ---------------------------------------------------------------------------------------------
# pbt (mirrors PbtService.ValidateAlgorithmSettings)

PBT_REQUIRED = ("suggestion_trial_dir", "n_population", "truncation_threshold")


def check_pbt(ctx: AlgorithmContext) -> list[Problem]:
    problems = _needs_parameters(ctx)
    settings = ctx.settings_dict
    missing = [k for k in PBT_REQUIRED if k not in settings]
    if missing:
        return problems + [error(f"{ctx.path}.algorithmSettings",
                                 f"pbt needs settings {', '.join(PBT_REQUIRED)}; missing {', '.join(missing)}",
                                 'e.g. suggestion_trial_dir: "/var/log/katib/checkpoints/", '
                                 'n_population: "40", truncation_threshold: "0.2"')]
    i = ctx.index_of("n_population")
    ok, n = _py(int, settings["n_population"])
    if not ok or n < 5:
        problems.append(error(ctx.setting_path(i), f"n_population: found {show(settings['n_population'])}; "
                              "must be an integer >= 5"))
        return problems
    i = ctx.index_of("truncation_threshold")
    ok, t = _py(float, settings["truncation_threshold"])
    if not ok or not 0 <= t <= 1:
        problems.append(error(ctx.setting_path(i), "truncation_threshold: found "
                              f"{show(settings['truncation_threshold'])}; must be a number in [0, 1]"))
        return problems
    if "resample_probability" in settings:
        # The service compares the raw string with numbers: TypeError -> rejected, always.
        problems.append(error(ctx.setting_path(ctx.index_of("resample_probability"), "name"),
                              "resample_probability makes Katib's pbt validation fail whatever its value",
                              "remove it; pbt then perturbs values by x0.8 / x1.2"))
    return problems


# ---------------------------------------------------------------------------------------------
# NAS: enas, darts


def _nas_operations(ctx: AlgorithmContext) -> list[Problem]:
    nas = ctx.spec.get("nasConfig")
    if not isinstance(nas, dict):
        return [error("spec.nasConfig", f"algorithm {ctx.name} needs spec.nasConfig",
                      "describe graphConfig and operations (katib-semantics 9)")]
    problems = []
    operations = as_list(nas.get("operations"))
    if not operations:
        problems.append(error("spec.nasConfig.operations", "at least one operation is required"))
    for i, op in enumerate(operations):
        path = f"spec.nasConfig.operations[{i}]"
        if not isinstance(op, dict):
            continue
        if not op.get("operationType"):
            problems.append(error(f"{path}.operationType", "required field is missing"))
        params = as_list(op.get("parameters"))
        if not params:
            problems.append(error(f"{path}.parameters", "each operation needs at least one parameter"))
        for j, p in enumerate(params):
            ppath = f"{path}.parameters[{j}]"
            if not isinstance(p, dict):
                continue
            if not p.get("name"):
                problems.append(error(f"{ppath}.name", "required field is missing"))
            ptype = p.get("parameterType")
            space = p.get("feasibleSpace") if isinstance(p.get("feasibleSpace"), dict) else {}
            if not ptype:
                problems.append(error(f"{ppath}.parameterType", "required field is missing"))
            elif ptype in ("categorical", "discrete"):
                if not space.get("list"):
                    problems.append(error(f"{ppath}.feasibleSpace.list", f"a {ptype} parameter needs a list"))
            elif ptype in ("int", "double"):
                if not space.get("min") and not space.get("max"):
                    problems.append(error(f"{ppath}.feasibleSpace", "min or max is required"))
                if ptype == "double":
                    ok, step = _py(float, space.get("step") or "")
                    if not ok or step <= 0:
                        problems.append(error(f"{ppath}.feasibleSpace.step",
                                              "a double operation parameter needs a step > 0"))
    return problems


ENAS_SETTINGS: dict[str, tuple[str, float, float, bool]] = {
    # name: (type, low, high, accepts "None"); floats must be in (low, high], ints >= low
    "controller_hidden_size": ("int", 1, math.inf, False),
    "controller_temperature": ("float", 0, math.inf, True),
    "controller_tanh_const": ("float", 0, math.inf, True),
    "controller_entropy_weight": ("float", 0, math.inf, True),
    "controller_baseline_decay": ("float", 0, 1, False),
    "controller_learning_rate": ("float", 0, 1, False),
    "controller_skip_target": ("float", 0, 1, False),
    "controller_skip_weight": ("float", 0, math.inf, True),
    "controller_train_steps": ("int", 1, math.inf, False),
    "controller_log_every_steps": ("int", 1, math.inf, False),
}


def check_enas(ctx: AlgorithmContext) -> list[Problem]:
    problems = _nas_operations(ctx)
    nas = ctx.spec.get("nasConfig")
    graph = nas.get("graphConfig") if isinstance(nas, dict) else None
    graph = graph if isinstance(graph, dict) else {}
    if isinstance(nas, dict):
        for key in ("numLayers", "inputSizes", "outputSizes"):
            if not graph.get(key):
                problems.append(error(f"spec.nasConfig.graphConfig.{key}", "required by enas (missing or zero)"))
    for i, name, text in ctx.katib_settings():
        if name not in ENAS_SETTINGS:
            problems.append(_unknown(ctx, i, tuple(ENAS_SETTINGS)))
            continue
        kind, low, high, none_ok = ENAS_SETTINGS[name]
        if none_ok and text == "None":
            continue
        if kind == "int":
            problems += _number_setting(ctx, i, "int", _ge(low), f"an integer >= {int(low)}")
        else:
            rule = f"in ({low}, {high}]" if high != math.inf else f"greater than {low}"
            problems += _number_setting(ctx, i, "float", lambda v, lo=low, hi=high: lo < v <= hi, rule)
    return problems


DARTS_MINIMA: dict[str, tuple[str, float, str]] = {
    "num_epochs": ("int", 1, "an integer > 0"),
    "w_lr": ("float", 0, "a number >= 0"),
    "w_lr_min": ("float", 0, "a number >= 0"),
    "alpha_lr": ("float", 0, "a number >= 0"),
    "w_weight_decay": ("float", 0, "a number >= 0"),
    "alpha_weight_decay": ("float", 0, "a number >= 0"),
    "w_momentum": ("float", 0, "a number >= 0"),
    "w_grad_clip": ("float", 0, "a number >= 0"),
    "batch_size": ("int", 1, 'an integer >= 1 or "None"'),
    "num_workers": ("int", 0, "an integer >= 0"),
    "init_channels": ("int", 1, "an integer >= 1"),
    "print_step": ("int", 1, "an integer >= 1"),
    "num_nodes": ("int", 1, "an integer >= 1"),
    "stem_multiplier": ("int", 1, "an integer >= 1"),
}


def check_darts(ctx: AlgorithmContext) -> list[Problem]:
    problems = _nas_operations(ctx)
    for i, name, text in ctx.katib_settings():
        if name not in DARTS_MINIMA:
            continue  # darts forwards unknown settings to the trial
        kind, low, rule = DARTS_MINIMA[name]
        if name == "batch_size" and text == "None":
            continue
        problems += _number_setting(ctx, i, kind, _ge(low), rule)
    return problems


# ---------------------------------------------------------------------------------------------
# early stopping: medianstop


def check_medianstop(ctx: AlgorithmContext) -> list[Problem]:
    table = {
        "min_trials_required": lambda i: _number_setting(ctx, i, "int", _gt(0), "an integer > 0"),
        "start_step": lambda i: _number_setting(ctx, i, "int", _ge(1), "an integer >= 1"),
    }
    return _settings_table(ctx, table)


# ---------------------------------------------------------------------------------------------
# registries

KATIB_ALGORITHMS: dict[str, Check] = {
    "random": check_random,
    "tpe": check_tpe,
    "grid": check_grid,
    "multivariate-tpe": check_multivariate_tpe,
    "cmaes": check_cmaes,
    "sobol": check_sobol,
    "bayesianoptimization": check_bayesianoptimization,
    "hyperband": check_hyperband,
    "pbt": check_pbt,
    "enas": check_enas,
    "darts": check_darts,
}
NAS_ALGORITHMS = frozenset({"enas", "darts"})
NOT_RUNNABLE_LOCALLY = frozenset({"enas", "darts"})  # known to Katib; kubetune's engine has no port

KATIB_EARLY_STOPPING: dict[str, Check] = {"medianstop": check_medianstop}

# What Katib's validation lets through (see the module docstring); algorithms not listed have none.
KATIB_RUN_CHECKS: dict[str, Check] = {
    "tpe": run_tpe,
    "multivariate-tpe": run_multivariate_tpe,
    "cmaes": run_cmaes,
    "sobol": run_sobol,
    "hyperband": run_hyperband,
}

# kubetune's own algorithms (e.g. "fixed-product"), registered by the modules implementing them.
EXTRA_ALGORITHMS: dict[str, Check] = {}
EXTRA_RUN_CHECKS: dict[str, Check] = {}
EXTRA_EARLY_STOPPING: dict[str, Check] = {}


def register_algorithm(name: str, check: Check, run_check: Check | None = None) -> None:
    """Make `name` a known algorithm whose settings are checked by `check(ctx) -> problems`.

    `check` returns errors (settings that cannot work); the optional `run_check` returns what a
    Katib cluster would accept but then fail on (errors) or ignore (warnings), for lint and the
    local engine. The engine's factory is registered separately, in kubetune.engine.suggest.
    """
    EXTRA_ALGORITHMS[name] = check
    if run_check is not None:
        EXTRA_RUN_CHECKS[name] = run_check
    else:
        EXTRA_RUN_CHECKS.pop(name, None)


def register_early_stopping(name: str, check: Check) -> None:
    EXTRA_EARLY_STOPPING[name] = check


def algorithm_check(name: str) -> Check | None:
    return EXTRA_ALGORITHMS.get(name) or KATIB_ALGORITHMS.get(name)


def run_check(name: str) -> Check | None:
    if name in EXTRA_ALGORITHMS:
        return EXTRA_RUN_CHECKS.get(name)
    return KATIB_RUN_CHECKS.get(name)


def early_stopping_check(name: str) -> Check | None:
    return EXTRA_EARLY_STOPPING.get(name) or KATIB_EARLY_STOPPING.get(name)


def known_algorithms() -> list[str]:
    return sorted(set(KATIB_ALGORITHMS) | set(EXTRA_ALGORITHMS))


def known_early_stopping() -> list[str]:
    return sorted(set(KATIB_EARLY_STOPPING) | set(EXTRA_EARLY_STOPPING))


# ---------------------------------------------------------------------------------------------
# entry points (validate, lint and the engine call these, never the checks directly)


def _guarded(check: Check | None, ctx: AlgorithmContext) -> list[Problem]:
    if check is None:
        return []
    try:
        return list(check(ctx))
    except Exception as exc:  # a registered check must not take validation down with it
        return [error(ctx.path, f"settings check of algorithm {ctx.name} failed: {exc!r}")]


def settings_errors(ctx: AlgorithmContext) -> list[Problem]:
    """Stage B: what Katib's ValidateAlgorithmSettings (or ValidateEarlyStoppingSettings, for a
    context at spec.earlyStopping) rejects, plus bad kubetune.* settings. Errors only.

    An algorithm nobody registered has no check (validate reports the unknown name itself).
    """
    early = ctx.path == EARLY_STOPPING_PATH
    check = early_stopping_check(ctx.name) if early else algorithm_check(ctx.name)
    if check is None:
        return []
    return check_kubetune_settings(ctx) + _guarded(check, ctx)


def run_time_problems(ctx: AlgorithmContext) -> list[Problem]:
    """What Katib's validation lets through: errors fail every suggestion call (the local engine
    refuses them, lint warns), warnings are settings the service ignores."""
    if ctx.path == EARLY_STOPPING_PATH:
        return []
    return _guarded(run_check(ctx.name), ctx)
