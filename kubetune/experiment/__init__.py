"""Katib `kubeflow.org/v1beta1` Experiments: load, default, validate, lint, search-space model.

    from kubetune.experiment import load_experiment
    exp = load_experiment("experiment.yaml")      # SpecError lists every problem, with field paths

Loading applies what Katib's admission webhook applies (decode, defaults, the webhook rules); the
algorithms' own settings checks and the algorithm-aware lint are kubetune.algorithms
(`kubetune.algorithms.check(exp) -> (errors, warnings)`, what `kubetune validate` prints).

load.py          YAML -> decode.py (Katib's types) -> defaults.py -> validate.py -> types.Experiment
katib_models.py  Katib's generated models, imported one module at a time (not the 325-model package)
validate.py      the webhook rules (katib-semantics 2.1); katib_config.py: the algorithm names it knows
lint.py          traps Katib accepts that need no algorithm knowledge
space.py         parameters and their feasible spaces; distributions.py: what each Katib
                 algorithm does with a distribution, per Katib version (the evidence table);
                 step_values.py: the values a step gives (grid or hyperopt's multiples)
extensions.py    kubetune's extensions (conditions.py, objectives.py, duration.py)
template.py, job_schema.py   the trial template's placeholders; the batch/v1 Job schema
errors.py, access.py         Problem / SpecError; reading untyped YAML safely
yaml_writer.py   writing Experiments as YAML
katib_text.py    how a value is written as Katib text (katib_string: every converter and space uses it)
"""
from __future__ import annotations

from .decode import register_extension_field
from .defaults import apply_defaults
from .errors import Problem, SpecError
from .lint import lint
from .load import experiment_from_dict, experiments_from_documents, load_documents, load_experiment, load_experiments
from .space import Parameter, parse_parameters
from .types import Algorithm, Experiment, Objective
from .validate import validate

__all__ = [
    "Algorithm", "Experiment", "Objective", "Parameter", "Problem", "SpecError", "apply_defaults",
    "experiment_from_dict", "experiments_from_documents", "lint", "load_documents", "load_experiment",
    "load_experiments", "parse_parameters", "register_extension_field", "validate",
]
