"""Render the search step's Katib Experiment from experiment_template.yaml and the pipeline's settings.

The same rendered document is created on the cluster (backend katib) or run by the local engine
(backend local). Everything is filled in as data (never by text substitution), then the result is
validated with Katib's webhook rules (kubetune.experiment) before anything is submitted or run.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from kubetune.steps.space import resolve_space, trial_parameter_name

TEMPLATE = Path(__file__).with_name("experiment_template.yaml")
DATASETS_MOUNT = "/datasets"  # the datasets claim, in trial pods and pipeline pods alike
MODELS_MOUNT = "/models"      # the models claim (trial outputs, the pipeline's work_dir)
MAX_NAME = 40                 # Katib's webhook: metadata.name <= 40 characters
TRIAL_NAME_PARAM = "trialName"


class ExperimentSettingsError(ValueError):
    """A pipeline setting that cannot make a valid Experiment (the message names the setting)."""


@dataclass
class ExperimentSettings:
    name: str
    data_path: str                    # --data as the trials see it
    trials_dir: str                   # each trial writes <trials_dir>/<trial name>/best.pt
    model: str = "efficientnet-b0"
    search_space: str = "auto"        # a built-in space name, `auto`, or inline YAML/JSON
    algorithm: str = "tpe"
    max_trials: int = 12
    parallel_trials: int = 3
    max_failed_trials: int = 3
    epochs: int = 10
    image_size: int = 224
    batch_size: int = 64
    gpus_per_trial: int = 0
    accelerator: str = "nvidia.com/gpu"
    namespace: str = ""
    trial_image: str = "ghcr.io/kubetune/kubetune-trainer:0.1.0"
    datasets_pvc: str = "kubetune-datasets"
    models_pvc: str = "kubetune-models"
    data_args: list[str] = field(default_factory=list)   # from prepare_data: --val-ratio, --cache-dir...
    trial_args: list[str] = field(default_factory=list)  # anything else for `python -m trainer train`
    seed: int | None = None                              # the algorithm's random_state


def experiment_name(prefix: str, run_id: str) -> str:
    """A Katib-valid name (lowercase, starts with a letter, <= 40 chars) unique per pipeline run."""
    clean = lambda s: re.sub(r"[^a-z0-9-]+", "-", s.lower()).strip("-")  # noqa: E731
    head = clean(prefix) or "kubetune"
    if not head[0].isalpha():
        head = "kt-" + head
    tail = clean(run_id).replace("-", "")[:8]
    name = f"{head[:MAX_NAME - len(tail) - 1]}-{tail}" if tail else head[:MAX_NAME]
    return re.sub(r"-+", "-", name).strip("-")


def _positive(settings: ExperimentSettings, field_name: str, minimum: int = 1) -> int:
    value = getattr(settings, field_name)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ExperimentSettingsError(f"{field_name}: must be an integer >= {minimum}, found {value!r}")
    return value


def render_experiment(settings: ExperimentSettings) -> dict:
    """The Experiment document for these settings; ExperimentSettingsError / SpaceError / SpecError
    (from kubetune.experiment, with field paths) when it would not be valid."""
    s = settings
    max_trials = _positive(s, "max_trials")
    parallel = min(_positive(s, "parallel_trials"), max_trials)
    max_failed = min(_positive(s, "max_failed_trials", 0), max_trials)
    for name in ("epochs", "image_size", "batch_size"):
        _positive(s, name)
    gpus = _positive(s, "gpus_per_trial", 0)
    for name in ("data_path", "trials_dir", "trial_image", "model"):
        if not str(getattr(s, name) or "").strip():
            raise ExperimentSettingsError(f"{name}: must not be empty")
    space_label, parameters = resolve_space(s.search_space, s.model)

    doc = yaml.safe_load(TEMPLATE.read_text(encoding="utf-8"))
    doc["metadata"]["name"] = s.name
    if s.namespace:
        doc["metadata"]["namespace"] = s.namespace
    doc["metadata"].setdefault("annotations", {})["kubetune.io/search-space"] = space_label
    spec = doc["spec"]
    spec["algorithm"] = {"algorithmName": s.algorithm}
    if s.seed is not None:
        spec["algorithm"]["algorithmSettings"] = [{"name": "random_state", "value": str(s.seed)}]
    spec["maxTrialCount"], spec["parallelTrialCount"], spec["maxFailedTrialCount"] = max_trials, parallel, max_failed
    spec["parameters"] = parameters

    taken: set[str] = {TRIAL_NAME_PARAM}
    trial_params, searched_args = [], []
    for p in parameters:
        tp = trial_parameter_name(p["name"], taken)
        trial_params.append({"name": tp, "reference": p["name"], "description": f"trainer option {p['name']}"})
        searched_args.append(f"--{p['name']}=${{trialParameters.{tp}}}")
    trial_params.append({"name": TRIAL_NAME_PARAM, "reference": "${trialSpec.Name}",
                         "description": "trial name (its output folder)"})
    template = spec["trialTemplate"]
    template["trialParameters"] = trial_params

    job = template["trialSpec"]["spec"]["template"]["spec"]
    container = job["containers"][0]
    container["image"] = s.trial_image
    container["args"] = [
        f"--data={s.data_path}", f"--model={s.model}", f"--image-size={s.image_size}",
        f"--epochs={s.epochs}", f"--batch-size={s.batch_size}", *s.data_args, *s.trial_args, *searched_args,
        f"--out={s.trials_dir.rstrip('/')}/${{trialParameters.{TRIAL_NAME_PARAM}}}", "--resume=auto",
    ]
    if gpus:
        container["resources"]["limits"][s.accelerator] = gpus
    else:  # no GPU asked: no toleration that would let the trial land on (and idle) a GPU node
        job.pop("tolerations", None)
    volumes = {v["name"]: v for v in job["volumes"]}
    volumes["datasets"]["persistentVolumeClaim"]["claimName"] = s.datasets_pvc
    volumes["models"]["persistentVolumeClaim"]["claimName"] = s.models_pvc

    from kubetune.algorithms import service_errors
    from kubetune.experiment import experiment_from_dict  # validates: SpecError with field paths

    experiment_from_dict(copy.deepcopy(doc), source=f"experiment {s.name}", service_checks=service_errors)
    return doc


def trial_checkpoint(trials_dir: str, trial: str) -> str:
    """Where a trial of a rendered Experiment leaves its best checkpoint."""
    return f"{trials_dir.rstrip('/')}/{trial}/best.pt"
