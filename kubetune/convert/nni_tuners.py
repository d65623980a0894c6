"""NNI tuners, advisors and assessors -> Katib algorithm, early stopping and objective direction
(nni-semantics 4, 8.4, 8.5). Exact where Katib has the algorithm, the nearest one otherwise with a
note naming the substitution; a tuner with no equivalent is an error, never dropped silently."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import Note, Problems, join, show, suggestion
from .nni_config_common import Algo
from .nni_space import Entry

# lower-cased name or alias -> canonical NNI name
TUNER_NAMES = {
    "tpe": "TPE", "tpe_legacy": "TPE_legacy", "random": "Random", "anneal": "Anneal", "evolution": "Evolution",
    "smac": "SMAC", "batch": "BatchTuner", "batchtuner": "BatchTuner", "gridsearch": "GridSearch",
    "hyperband": "Hyperband", "bohb": "BOHB", "metis": "MetisTuner", "metistuner": "MetisTuner",
    "gp": "GPTuner", "gptuner": "GPTuner", "pbt": "PBTTuner", "pbttuner": "PBTTuner", "dngo": "DNGOTuner",
    "dngotuner": "DNGOTuner", "networkmorphism": "NetworkMorphism", "ppo": "PPOTuner", "ppotuner": "PPOTuner",
    "regularizedevolutiontuner": "RegularizedEvolutionTuner",
}
ASSESSOR_NAMES = {"medianstop": "Medianstop", "curvefitting": "Curvefitting"}
UNMAPPABLE = {
    "NetworkMorphism": "it searches network graphs, not a declared search space",
    "PPOTuner": "it is a NAS tuner over layer_choice/input_choice spaces",
    "RegularizedEvolutionTuner": "it is a NAS tuner over layer_choice/input_choice spaces",
}
CUSTOM_KNOWN = ("FixedProductTuner",)

_HYPEROPT_ARGS = ("optimize_mode", "parallel_optimize", "constant_liar_type")
CLASS_ARGS = {
    "TPE": ("optimize_mode", "seed", "tpe_args") + _HYPEROPT_ARGS[1:],
    "TPE_legacy": _HYPEROPT_ARGS, "Anneal": _HYPEROPT_ARGS,
    "Random": ("optimize_mode", "seed"),
    "Evolution": ("optimize_mode", "population_size"),
    "SMAC": ("optimize_mode", "config_dedup"),
    "BatchTuner": (), "GridSearch": ("optimize_mode",),
    "Hyperband": ("optimize_mode", "R", "eta", "exec_mode"),
    "BOHB": ("optimize_mode", "min_budget", "max_budget", "eta", "min_points_in_model", "top_n_percent",
             "num_samples", "random_fraction", "bandwidth_factor", "min_bandwidth", "config_space"),
    "MetisTuner": ("optimize_mode", "no_resampling", "no_candidates", "selection_num_starting_points",
                   "cold_start_num", "exploration_probability"),
    "GPTuner": ("optimize_mode", "utility", "kappa", "xi", "nu", "alpha", "cold_start_num",
                "selection_num_warm_up", "selection_num_starting_points"),
    "PBTTuner": ("optimize_mode", "all_checkpoint_dir", "population_size", "factor", "factors",
                 "resample_probability", "fraction"),
    "DNGOTuner": ("optimize_mode", "sample_size", "trials_per_update", "num_epochs_per_training"),
    "FixedProductTuner": ("product",),
}
TPE_ARGS = ("constant_liar_type", "n_startup_jobs", "n_ei_candidates", "linear_forgetting", "prior_weight", "gamma")
ASSESSOR_ARGS = {"Medianstop": ("optimize_mode", "start_step"),
                 "Curvefitting": ("epoch_num", "optimize_mode", "start_step", "threshold", "gap")}
# optimize_mode defaults of NNI's code (the 1.x docs wrongly said maximize for TPE/Anneal)
MINIMIZE_BY_DEFAULT = ("TPE", "TPE_legacy", "Anneal")
NO_DIRECTION = ("Random", "GridSearch", "BatchTuner", "FixedProductTuner")
NESTED_OK = ("TPE", "TPE_legacy", "Random", "Anneal", "Evolution", "GridSearch")
PBT_CHECKPOINT_DIR = "/var/log/katib/checkpoints/"


@dataclass
class TunerPlan:
    nni_name: str
    algorithm: str
    settings: dict[str, str] = field(default_factory=dict)
    kind: str = "plain"  # plain | grid | batch | fixed_product | hyperband | bohb | pbt
    optimize_mode: str | None = None  # as set or defaulted by the tuner; None: taken from elsewhere
    product: float | None = None
    resource_max: int | None = None  # hyperband: r_l; bohb: max_resource
    notes: list[Note] = field(default_factory=list)


@dataclass
class AssessorPlan:
    early_stopping: dict | None
    optimize_mode: str | None
    notes: list[Note] = field(default_factory=list)


def canonical_tuner(algo: Algo) -> str | None:
    if algo.builtin is not None:
        return TUNER_NAMES.get(algo.builtin.lower())
    return algo.class_name if algo.class_name in CUSTOM_KNOWN else None


def plan_tuner(algo: Algo, entries: list[Entry], problems: Problems) -> TunerPlan | None:
    name = canonical_tuner(algo)
    where = algo.path
    if name is None:
        if algo.builtin is not None:
            problems.add(join(where, algo.name_key), f"unknown built-in tuner {show(algo.builtin)}"
                         f"{suggestion(algo.builtin, sorted(set(TUNER_NAMES.values())))}",
                         sorted(set(TUNER_NAMES.values()) - set(UNMAPPABLE)))
        else:
            problems.add(join(where, "className"),
                         f"custom tuner {algo.label} has no Katib equivalent; kubetune knows the custom "
                         f"tuners {', '.join(CUSTOM_KNOWN)} (NNI's EfficientNet example). Replace it with a "
                         "built-in tuner (e.g. TPE, Random, GridSearch) in the NNI config, or package it as a "
                         "custom Katib suggestion service",
                         sorted(set(TUNER_NAMES.values()) - set(UNMAPPABLE)) + list(CUSTOM_KNOWN))
        return None
    if name in UNMAPPABLE:
        problems.add(where, f"tuner {name} has no Katib equivalent: {UNMAPPABLE[name]}")
        return None
    args = algo.class_args
    allowed = CLASS_ARGS[name]
    for key in args:
        if key not in allowed:
            problems.unknown_key(join(where, "classArgs"), key, allowed or ["(none)"], what=f"{name} argument")
    mode = args.get("optimize_mode")
    if mode is not None and mode not in ("maximize", "minimize"):
        problems.add(join(where, "classArgs.optimize_mode"), f"found {show(mode)}", ["maximize", "minimize"])
        mode = None
    plan_note = None
    if mode is None and name not in NO_DIRECTION:
        mode = "minimize" if name in MINIMIZE_BY_DEFAULT else "maximize"
        if name in MINIMIZE_BY_DEFAULT:
            plan_note = Note(join(where, "classArgs.optimize_mode"),
                             f"not set: NNI's {name} minimizes by default (its code; the 1.x docs said maximize), "
                             "so the objective is minimized")
    if any(e.nested for e in entries) and name not in NESTED_OK:
        problems.add(where, f"{name} does not support nested choices (NNI rejects them too)", NESTED_OK)
    plan = _MAPPERS[name](name, args, entries, where, problems)
    if plan is None:
        return None
    plan.optimize_mode = mode
    if plan_note:
        plan.notes.insert(0, plan_note)
    return plan


def _int_arg(args: dict, key: str, default: Any, where: str, problems: Problems, low: int = 0) -> Any:
    value = args.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not float(value).is_integer() or value < low:
        problems.add(join(where, f"classArgs.{key}"), f"found {show(value)}; must be an integer >= {low}")
        return default
    return int(value)


def _num_arg(args: dict, key: str, default: Any, where: str, problems: Problems) -> Any:
    value = args.get(key, default)
    if isinstance(value, str):  # YAML 1.1: 1e-3 without a decimal point is a string
        try:
            value = float(value)
        except ValueError:
            pass
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
        problems.add(join(where, f"classArgs.{key}"), f"found {show(value)}; must be a number")
        return default
    return value


def _ignored(args: dict, keys, where: str, why: str) -> list[Note]:
    given = [k for k in keys if k in args]
    return [Note(join(where, "classArgs"), f"{', '.join(given)}: {why}")] if given else []


def _tpe(name, args, entries, where, problems) -> TunerPlan:
    plan = TunerPlan(name, "tpe")
    seed = _int_arg(args, "seed", None, where, problems)
    if name == "TPE":
        tpe_args = args.get("tpe_args") or {}
        if not isinstance(tpe_args, dict):
            problems.add(join(where, "classArgs.tpe_args"), f"found {show(tpe_args)}; must be a mapping")
            tpe_args = {}
        for key in tpe_args:
            if key not in TPE_ARGS:
                problems.unknown_key(join(where, "classArgs.tpe_args"), key, TPE_ARGS, what="tpe_args key")
        for nni_key, katib_key in (("gamma", "gamma"), ("prior_weight", "prior_weight"),
                                   ("n_ei_candidates", "n_EI_candidates")):
            if nni_key in tpe_args:
                value = _num_arg(tpe_args, nni_key, None, join(where, "classArgs.tpe_args"), problems)
                if value is not None:
                    plan.settings[katib_key] = str(int(value) if katib_key == "n_EI_candidates" else value)
        plan.notes += _ignored(tpe_args, ("n_startup_jobs", "linear_forgetting", "constant_liar_type"),
                               join(where, "classArgs.tpe_args"), "no Katib setting; Katib's defaults apply")
    if seed is not None:
        plan.settings["random_state"] = str(seed)
    plan.notes += _ignored(args, ("parallel_optimize", "constant_liar_type"), where,
                           "no Katib setting (Katib's tpe handles parallel trials itself)")
    if name == "Anneal":
        plan.notes.append(Note(where, "Katib has no anneal algorithm; using the nearest, tpe (model-based search "
                                      "that also concentrates around good points)"))
    else:
        plan.notes.append(Note(where, f"{name} -> tpe (hyperopt TPE, the same family). Katib's tpe models the "
                                      "results after its first batch of parallelTrialCount random trials; NNI's "
                                      "after 20 (n_startup_jobs)"))
    return plan


def _random(name, args, entries, where, problems) -> TunerPlan:
    plan = TunerPlan(name, "random")
    seed = _int_arg(args, "seed", None, where, problems)
    if seed is not None:
        plan.settings["random_state"] = str(seed)
    return plan


def _evolution(name, args, entries, where, problems) -> TunerPlan:
    numeric = [e for e in entries if e.type != "choice"]
    if len(numeric) >= 2 and len(numeric) == len(entries):
        plan = TunerPlan(name, "cmaes")
        plan.notes.append(Note(where, "Katib has no evolution tuner; using the nearest, cmaes (an evolution "
                                      "strategy over the numeric parameters)"))
    else:
        plan = TunerPlan(name, "random")
        plan.notes.append(Note(where, "Katib has no evolution tuner and cmaes needs >= 2 numeric parameters and no "
                                      "choices; using random search"))
    plan.notes += _ignored(args, ("population_size",), where, "no Katib setting")
    return plan


def _bayesian(name, args, entries, where, problems) -> TunerPlan:
    # Katib v0.19's skopt samples every double log-uniformly (master since PR #2689 follows the
    # distribution): only a space of log-scale numbers means the same on every Katib version.
    linear = [e.key for e in entries if e.type in ("uniform", "quniform", "normal", "qnormal")]
    if linear:
        plan = TunerPlan(name, "tpe")
        plan.notes.append(Note(where, f"{name} would map to bayesianoptimization, but Katib v0.19's skopt samples "
                                      f"every double log-uniformly, which changes the meaning of "
                                      f"{', '.join(linear)}; using tpe, the nearest model-based search that samples "
                                      "them as NNI does on every Katib version"))
        return plan
    plan = TunerPlan(name, "bayesianoptimization")
    plan.settings["base_estimator"] = "RF" if name == "SMAC" else "GP"
    if name in ("MetisTuner", "GPTuner"):
        cold = _int_arg(args, "cold_start_num", 10, where, problems)
        plan.settings["n_initial_points"] = str(cold)
    if name == "GPTuner":
        utility = args.get("utility", "ei")
        table = {"ei": "EI", "ucb": "LCB", "poi": "PI"}
        if utility not in table:
            problems.add(join(where, "classArgs.utility"), f"found {show(utility)}", list(table))
        else:
            plan.settings["acq_func"] = table[utility]
    what = {"SMAC": "random-forest SMBO (skopt forest instead of SMAC3)",
            "MetisTuner": "GP model without Metis's resampling and outlier logic",
            "GPTuner": "Gaussian-process BO (close)", "DNGOTuner": "GP instead of DNGO's neural surrogate"}[name]
    plan.notes.append(Note(where, f"{name} -> bayesianoptimization: {what}"))
    plan.notes += _ignored(args, [k for k in CLASS_ARGS[name] if k not in ("optimize_mode", "cold_start_num",
                                                                              "utility")], where, "no Katib setting")
    return plan


def _grid(name, args, entries, where, problems) -> TunerPlan:
    plan = TunerPlan(name, "grid", kind="grid")
    continuous = [e.key for e in entries if not e.nested and e.type not in ("choice", "randint", "quniform",
                                                                              "qloguniform")]
    if continuous:
        plan.notes.append(Note(where, f"grid over continuous parameters ({', '.join(continuous)}): NNI 2.6+ refines "
                                      "them forever by bisection (NNI <= 2.5 rejects them); kubetune takes the first "
                                      "3 levels (7 values each)"))
    plan.notes.append(Note(where, "Katib's grid visits the points in random order, not NNI's enumeration order"))
    return plan


def _batch(name, args, entries, where, problems) -> TunerPlan | None:
    if len(entries) != 1 or entries[0].type != "choice" or entries[0].nested:
        problems.add(where, "BatchTuner needs a search space with exactly one choice parameter whose options are "
                            f"the configurations to run; found {len(entries)} parameter(s)")
        return None
    plan = TunerPlan(name, "grid", kind="batch")
    plan.notes.append(Note(where, "BatchTuner -> grid over the option indices: every configuration runs once; "
                                  "Katib's order is random, not the listing order"))
    return plan


def _hyperband(name, args, entries, where, problems) -> TunerPlan:
    plan = TunerPlan(name, "hyperband", kind="hyperband")
    r = _num_arg(args, "R", 60, where, problems)
    eta = _int_arg(args, "eta", 3, where, problems, low=2)
    r = int(r) if r and float(r).is_integer() and r >= 1 else 60
    plan.resource_max = r
    plan.settings.update({"resource_name": "TRIAL_BUDGET", "r_l": str(r), "eta": str(eta)})
    plan.notes.append(Note(where, f"Hyperband -> hyperband (the same successive halving, r_l = R = {r}, eta = {eta}); "
                                  "the resource reaches the trial as TRIAL_BUDGET"))
    plan.notes += _ignored(args, ("exec_mode",), where, "no Katib setting")
    return plan


def _bohb(name, args, entries, where, problems) -> TunerPlan:
    """NNI's BOHB -> kubetune's bohb: the same brackets and model settings (hpbandster's names)."""
    plan = TunerPlan(name, "bohb", kind="bohb")
    r = _num_arg(args, "max_budget", 3, where, problems)
    low = _num_arg(args, "min_budget", 1, where, problems)
    eta = _int_arg(args, "eta", 3, where, problems, low=2)
    if not (r and float(r).is_integer() and r >= 1):
        problems.add(join(where, "classArgs.max_budget"), f"found {show(r)}; must be an integer >= 1 "
                                                          "(the trial's TRIAL_BUDGET, e.g. epochs)")
        r = 3
    r = int(r)
    if low is None or not 1 <= low <= r:
        plan.notes.append(Note(join(where, "classArgs.min_budget"), f"{show(low)} raised to 1: TRIAL_BUDGET is an "
                                                                    f"integer in [1, {r}]"))
        low = 1
    plan.resource_max = r
    plan.settings.update({"resource_name": "TRIAL_BUDGET", "min_resource": f"{low:g}", "max_resource": str(r),
                          "eta": str(eta)})
    for key in ("min_points_in_model", "num_samples"):
        value = _int_arg(args, key, None, where, problems, low=1 if key == "num_samples" else 0)
        if value is not None:
            plan.settings[key] = str(value)
    for key in ("top_n_percent", "random_fraction"):
        value = _num_arg(args, key, None, where, problems)
        if value is not None:
            plan.settings[key] = f"{value:g}"
    plan.notes.append(Note(where, f"BOHB -> bohb (kubetune's BOHB: hyperband brackets from min_budget {low:g} to "
                                  f"max_budget {r}, eta {eta}, new configurations from a TPE model); the budget "
                                  "reaches the trial as TRIAL_BUDGET. A Katib cluster has no bohb service"))
    plan.notes += _ignored(args, ("bandwidth_factor", "min_bandwidth", "config_space"), where,
                           "not used (bohb's kernel densities are optuna's TPE; the space comes from searchSpace)")
    return plan


def _pbt(name, args, entries, where, problems) -> TunerPlan:
    plan = TunerPlan(name, "pbt", kind="pbt")
    population = _int_arg(args, "population_size", 10, where, problems)
    if population is not None and population < 5:
        plan.notes.append(Note(join(where, "classArgs.population_size"), f"{population} raised to 5 (Katib's pbt "
                                                                         "needs n_population >= 5)"))
        population = 5
    fraction = _num_arg(args, "fraction", 0.2, where, problems)
    plan.settings.update({"suggestion_trial_dir": PBT_CHECKPOINT_DIR, "n_population": str(population),
                          "truncation_threshold": str(fraction)})
    plan.notes.append(Note(where, "PBTTuner -> pbt (same idea; Katib perturbs values by x0.8/x1.2 and runs only on "
                                  "a cluster: kubetune's local engine has no pbt). Checkpoints: "
                                  f"load_checkpoint_dir = save_checkpoint_dir = {PBT_CHECKPOINT_DIR}<trial name>"))
    plan.notes += _ignored(args, ("resample_probability", "factor", "factors", "all_checkpoint_dir"), where,
                           "not used (Katib's pbt rejects resample_probability; checkpoints live under "
                           "suggestion_trial_dir)")
    return plan


def _fixed_product(name, args, entries, where, problems) -> TunerPlan | None:
    product = _num_arg(args, "product", None, where, problems)
    if product is None:
        problems.add(join(where, "classArgs.product"), "FixedProductTuner needs classArgs.product (e.g. 2)")
        return None
    keys = {e.key: e for e in entries}
    missing = [k for k in ("alpha", "beta", "gamma") if k not in keys]
    if missing:
        problems.add(where, f"FixedProductTuner filters on alpha, beta and gamma; the search space lacks "
                            f"{', '.join(missing)}")
        return None
    for e in entries:
        if e.nested or e.type not in ("choice", "randint", "quniform"):
            problems.add(e.path, f"FixedProductTuner is NNI 1.x grid search, which enumerates only choice, randint "
                                 f"and quniform; found {e.type}{' (nested)' if e.nested else ''}",
                         ["choice", "randint", "quniform"])
    plan = TunerPlan(name, "grid", kind="fixed_product", product=float(product))
    plan.notes.append(Note(where, f"custom FixedProductTuner recognised as NNI's EfficientNet example (grid search "
                                  f"keeping |alpha*beta^2*gamma^2 - {product}| < 0.1, NNI 1.x semantics); the tuner "
                                  "file itself is not read. Katib cannot constrain three parameters, so the allowed "
                                  "(alpha, beta, gamma) triples are one categorical parameter `scaling` searched with "
                                  "grid"))
    return plan


_MAPPERS = {
    "TPE": _tpe, "TPE_legacy": _tpe, "Anneal": _tpe, "Random": _random, "Evolution": _evolution,
    "SMAC": _bayesian, "MetisTuner": _bayesian, "GPTuner": _bayesian, "DNGOTuner": _bayesian,
    "GridSearch": _grid, "BatchTuner": _batch, "Hyperband": _hyperband, "BOHB": _bohb, "PBTTuner": _pbt,
    "FixedProductTuner": _fixed_product,
}


def plan_assessor(algo: Algo | None, problems: Problems) -> AssessorPlan:
    if algo is None:
        return AssessorPlan(None, None)
    where = algo.path
    name = ASSESSOR_NAMES.get(algo.builtin.lower()) if algo.builtin else None
    notes = []
    if algo.include_intermediate:
        notes.append(Note(join(where, "includeIntermediateResults"), "implicit in Katib: early-stopped trials always "
                                                                    "feed the algorithm"))
    if name is None:
        what = f"custom assessor {algo.label}" if algo.builtin is None else f"assessor {algo.builtin!r}"
        notes.append(Note(where, f"{what} dropped: Katib's only early-stopping algorithm is medianstop "
                                 "(trials run to the end)"))
        return AssessorPlan(None, None, notes)
    args = algo.class_args
    for key in args:
        if key not in ASSESSOR_ARGS[name]:
            problems.unknown_key(join(where, "classArgs"), key, ASSESSOR_ARGS[name], what=f"{name} argument")
    mode = args.get("optimize_mode", "maximize")
    if mode not in ("maximize", "minimize"):
        problems.add(join(where, "classArgs.optimize_mode"), f"found {show(mode)}", ["maximize", "minimize"])
        mode = "maximize"
    if name == "Curvefitting":
        notes.append(Note(where, "Curvefitting dropped: Katib has no learning-curve assessor (only medianstop); "
                                 "trials run to the end"))
        return AssessorPlan(None, mode, notes)
    start = _int_arg(args, "start_step", 0, where, problems)
    start = max(1, start or 0)
    notes.append(Note(where, f"Medianstop -> medianstop (start_step {start}, min_trials_required 1). Rules differ: "
                             "Katib compares a trial once, at its start_step-th report, with the mean of the "
                             "succeeded trials' running averages (frozen when the trial starts); NNI re-checks at "
                             "every step against the median at that step"))
    es = {"algorithmName": "medianstop",
          "algorithmSettings": [{"name": "min_trials_required", "value": "1"},
                                {"name": "start_step", "value": str(start)}]}
    return AssessorPlan(es, mode, notes)
