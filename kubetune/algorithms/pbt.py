"""Katib's pbt service (pkg/suggestion/v1beta1/pbt): settings checks and lint only.

Population-based training needs a Katib cluster (checkpoints on a volume shared by the trials);
kubetune run has no port of it. `check_pbt` mirrors PbtService.ValidateAlgorithmSettings:
`suggestion_trial_dir`, `n_population` (int >= 5) and `truncation_threshold` (in [0, 1]) are
required, and any `resample_probability` fails the service's validation (it compares the raw
string with numbers). The service ignores settings it does not know.
"""
from __future__ import annotations

from kubetune.algorithms._checks import AlgorithmContext, missing_settings, needs_parameters, parses
from kubetune.algorithms.registry import IGNORES, Algorithm
from kubetune.experiment.errors import Problem, error, show, warning
from kubetune.experiment.lint import lint_parameters
from kubetune.experiment.types import Experiment

PBT_REQUIRED = ("suggestion_trial_dir", "n_population", "truncation_threshold")
MAX_NAME = 26  # pbt names trials <name>-<uuid4> (name + 37 chars); Job names stop at 63


def check_pbt(ctx: AlgorithmContext) -> list[Problem]:
    problems = needs_parameters(ctx)
    settings = ctx.settings_dict
    missing = missing_settings(ctx, PBT_REQUIRED, 'e.g. suggestion_trial_dir: "/var/log/katib/checkpoints/", '
                               'n_population: "40", truncation_threshold: "0.2"')
    if missing is not None:
        return problems + [missing]
    i = ctx.index_of("n_population")
    ok, n = parses(int, settings["n_population"])
    if not ok or n < 5:
        problems.append(error(ctx.setting_path(i), f"n_population: found {show(settings['n_population'])}; "
                              "must be an integer >= 5"))
        return problems
    i = ctx.index_of("truncation_threshold")
    ok, t = parses(float, settings["truncation_threshold"])
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


def lint_pbt(exp: Experiment) -> list[Problem]:
    problems = []
    if exp.spec.get("resumePolicy") != "FromVolume":
        problems.append(warning("spec.resumePolicy", "pbt needs resumePolicy: FromVolume on a cluster: only "
                                "then is the checkpoint volume created and mounted at suggestion_trial_dir",
                                "resumePolicy: FromVolume"))
    for i, _, p in lint_parameters(exp.spec):
        if p is not None and p.type == "double" and p.step is None:
            problems.append(warning(f"spec.parameters[{i}].feasibleSpace.step", "pbt samples doubles from a "
                                    "grid and fails without a step", 'add e.g. step: "0.01"'))
    name = exp.name if isinstance(exp.name, str) else ""
    if len(name) > MAX_NAME:
        problems.append(warning("metadata.name", f"pbt names trials <name>-<uuid4> (name + 37 chars); "
                                f"{len(name)} chars makes Job names longer than 63",
                                f"shorten the name to at most {MAX_NAME} characters"))
    return problems


ALGORITHMS = (
    Algorithm("pbt", check_pbt, lint=lint_pbt, unknown_settings=IGNORES, repeats_points=False),
)
