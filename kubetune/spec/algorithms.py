"""Per-algorithm settings checks: Katib's stage-B `ValidateAlgorithmSettings` (katib-semantics 2.2).

A rejection there marks the Suggestion and then the Experiment Failed, so we report these as
errors. The checks reproduce the services' Python parsing (int()/float() on the setting
strings) so the same spellings pass and fail.

Other modules register kubetune's own algorithms with `register_algorithm(name, check)`
(or by adding to EXTRA_ALGORITHMS): a registered name counts as known to katib-config and its
check runs like the built-in ones.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

from .access import as_list
from .errors import Problem, did_you_mean, error, show
from .space import Parameter, check_parameter, space_size


@dataclass(frozen=True)
class AlgorithmContext:
    """What a settings check sees."""

    name: str
    settings: tuple[tuple[str, str], ...]  # (name, value) as written, in order
    spec: dict  # the decoded, defaulted spec
    path: str = "spec.algorithm"  # or spec.earlyStopping

    def setting_path(self, index: int, part: str = "value") -> str:
        return f"{self.path}.algorithmSettings[{index}].{part}"

    @property
    def settings_dict(self) -> dict[str, str]:
        return dict(self.settings)  # later entries win, as in the services' dict()

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


Check = Callable[[AlgorithmContext], list[Problem]]


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
    hint = did_you_mean(name, allowed) or f"allowed: {allowed_text}"
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
    for i, (name, _) in enumerate(ctx.settings):
        if name in table:
            problems += table[name](i)
        else:
            problems.append(_unknown(ctx, i, tuple(table)))
    return problems


def _ge(lo: float) -> Callable[[Any], bool]:
    return lambda v: v >= lo


def _gt(lo: float) -> Callable[[Any], bool]:
    return lambda v: v > lo


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


# ---------------------------------------------------------------------------------------------
# hyperopt: random, tpe


def check_random(ctx: AlgorithmContext) -> list[Problem]:
    table = {"random_state": lambda i: _number_setting(ctx, i, "int", _ge(0), "an integer >= 0")}
    return _needs_parameters(ctx) + _settings_table(ctx, table)


def check_tpe(ctx: AlgorithmContext) -> list[Problem]:
    table = {
        "gamma": lambda i: _number_setting(ctx, i, "float", lambda v: 0 < v < 1, "in (0, 1)"),
        "prior_weight": lambda i: _number_setting(ctx, i, "float", _gt(0), "greater than 0"),
        "n_EI_candidates": lambda i: _number_setting(ctx, i, "int", _gt(0), "an integer > 0"),
        "random_state": lambda i: _number_setting(ctx, i, "int", _ge(0), "an integer >= 0"),
    }
    return _needs_parameters(ctx) + _settings_table(ctx, table)


# ---------------------------------------------------------------------------------------------
# optuna: grid, multivariate-tpe


def grid_size(ctx: AlgorithmContext) -> int | None:
    params = [p for _, p in ctx.parameters()]
    try:
        return space_size(params)
    except ValueError:
        return None


def check_grid(ctx: AlgorithmContext) -> list[Problem]:
    table = {"random_state": lambda i: _number_setting(ctx, i, "int", _ge(0), "an integer >= 0")}
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


def check_multivariate_tpe(ctx: AlgorithmContext) -> list[Problem]:
    rule = lambda i: _number_setting(ctx, i, "int", _ge(0), "an integer >= 0")  # noqa: E731
    table = {"n_startup_trials": rule, "n_ei_candidates": rule, "random_state": rule}
    return _needs_parameters(ctx) + _settings_table(ctx, table)


# ---------------------------------------------------------------------------------------------
# goptuna: cmaes, sobol (Go; most setting mistakes surface only at run time, see lint)


def check_cmaes(ctx: AlgorithmContext) -> list[Problem]:
    problems = _needs_parameters(ctx)
    numeric = [p for p in ctx.raw_parameters() if p.get("parameterType") in ("int", "double")]
    if ctx.spec.get("parameters") and len(numeric) < 2:
        problems.append(error("spec.parameters",
                              f"cmaes needs at least two int/double parameters; found {len(numeric)}",
                              "use random, tpe or bayesianoptimization for a single numeric parameter"))
    return problems + _duplicate_names(ctx)


def check_sobol(ctx: AlgorithmContext) -> list[Problem]:
    return _needs_parameters(ctx) + _duplicate_names(ctx)


# ---------------------------------------------------------------------------------------------
# skopt: bayesianoptimization


def check_bayesianoptimization(ctx: AlgorithmContext) -> list[Problem]:
    table = {
        "base_estimator": lambda i: _choice_setting(ctx, i, ("GP", "RF", "ET", "GBRT")),
        "n_initial_points": lambda i: _number_setting(ctx, i, "int", _ge(0), "an integer >= 0"),
        "acq_func": lambda i: _choice_setting(ctx, i, ("gp_hedge", "LCB", "EI", "PI", "EIps", "PIps")),
        "acq_optimizer": lambda i: _choice_setting(ctx, i, ("auto", "sampling", "lbfgs")),
        "random_state": lambda i: _number_setting(ctx, i, "int", _ge(0), "an integer >= 0"),
    }
    return _needs_parameters(ctx) + _settings_table(ctx, table)


# ---------------------------------------------------------------------------------------------
# hyperband (mirrors HyperbandService.ValidateAlgorithmSettings line by line)


def hyperband_min_parallel(r_l: float, eta_text: str | None) -> int:
    """ceil(eta ** s_max) with s_max = int(ln r_l / ln eta); raises like the service does."""
    eta = 3
    if eta_text is not None:
        eta = int(float(eta_text))
        if eta <= 0:
            eta = 3
    s_max = int(math.log(r_l) / math.log(eta))
    return int(math.ceil(eta ** s_max))


def check_hyperband(ctx: AlgorithmContext) -> list[Problem]:
    problems = _needs_parameters(ctx)
    settings = ctx.settings_dict
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
                                 f"brackets ({exc})", "r_l must be a number > 0 and eta a number > 1")]
    parallel = ctx.spec.get("parallelTrialCount")
    if isinstance(parallel, int) and parallel < need:
        problems.append(error("spec.parallelTrialCount",
                              f"found {parallel}; hyperband with these settings needs at least {need}",
                              f"set parallelTrialCount: {need} (ceil(eta ** s_max))"))
    names = {p.get("name") for p in ctx.raw_parameters() if isinstance(p.get("name"), str)}
    if settings["resource_name"] not in names:
        problems.append(error(ctx.setting_path(ctx.index_of("resource_name")),
                              f"resource_name: {show(settings['resource_name'])} is not a parameter name",
                              did_you_mean(settings["resource_name"], [n for n in names if n])
                              or "name one of spec.parameters"))
    return problems


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
    for i, (name, text) in enumerate(ctx.settings):
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
    for i, (name, text) in enumerate(ctx.settings):
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

# kubetune's own algorithms (e.g. "fixed-product"), registered by the modules implementing them.
EXTRA_ALGORITHMS: dict[str, Check] = {}
EXTRA_EARLY_STOPPING: dict[str, Check] = {}


def register_algorithm(name: str, check: Check) -> None:
    """Make `name` a known algorithm whose settings are checked by `check(ctx) -> problems`."""
    EXTRA_ALGORITHMS[name] = check


def register_early_stopping(name: str, check: Check) -> None:
    EXTRA_EARLY_STOPPING[name] = check


def algorithm_check(name: str) -> Check | None:
    return EXTRA_ALGORITHMS.get(name) or KATIB_ALGORITHMS.get(name)


def early_stopping_check(name: str) -> Check | None:
    return EXTRA_EARLY_STOPPING.get(name) or KATIB_EARLY_STOPPING.get(name)


def known_algorithms() -> list[str]:
    return sorted(set(KATIB_ALGORITHMS) | set(EXTRA_ALGORITHMS))


def known_early_stopping() -> list[str]:
    return sorted(set(KATIB_EARLY_STOPPING) | set(EXTRA_EARLY_STOPPING))
