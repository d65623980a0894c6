"""`kubetune convert nni`: an NNI experiment (config v1/v2 + search space) -> a Katib Experiment.

    from kubetune.convert.nni import convert_nni
    result = convert_nni("config.yml", image="registry/me/trial:1")
    Path("experiment.yaml").write_text(result.text)        # YAML with the notes as comments
    for note in result.notes: print(note)                    # approximations, substitutions, drops

Mapping (nni-semantics 8; details in docs/nni-migration.md):

* trialConcurrency -> parallelTrialCount; maxTrialNum/maxTrialNumber -> maxTrialCount (clamped to
  the number of distinct points of a finite space, and to the grid size for grid); NNI never fails
  an experiment for failed trials, but a trial that always fails would burn the whole budget, so
  maxFailedTrialCount is a quarter of maxTrialCount (at least parallelTrialCount + 1, at most 100).
* maxExecDuration/maxExperimentDuration -> annotation `kubetune.io/max-duration` (the local engine
  honours it; Katib has no such limit); maxTrialDuration -> the Job's activeDeadlineSeconds.
* tuner/advisor -> algorithm (kubetune.convert.nni_tuners), assessor -> earlyStopping.
* search space -> parameters (kubetune.convert.nni_encode).
* trial command + codeDir -> the primary container of a batch Job (kubetune.convert.nni_trial): the
  command is split like a shell would (`shlex`) and run without a shell; a leading `cd DIR &&`
  becomes workingDir and leading `VAR=value` words become env; codeDir is /code in the image;
  gpuNum -> nvidia.com/gpu. A command running the kubetune trainer (`python -m trainer train ...`)
  gets the parameters as flags and reports `accuracy` (no workingDir, no `--resume FILE`); any other
  command is an NNI trial script and runs under `python -m kubetune.compat.nni_launch --`, which
  puts the `nni` shim first on PYTHONPATH; the shim reads the parameters from env vars and prints
  `default=<value>` metric lines. NNI's kubeflow / frameworkcontroller platforms give a PyTorchJob
  or TFJob with a replica per role instead (kubetune.convert.nni_k8s).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kubetune.experiment.duration import MAX_DURATION_ANNOTATION
from kubetune.experiment.yaml_writer import dump_experiment
from .errors import ConvertError, Note, Problems
from .nni_config import load_nni_config
from .nni_config_common import NniConfig
from .nni_encode import SPACE_ENV, Encoder
from .nni_space import cardinality, parse_space
from .nni_trial import CODE_DIR, DEFAULT_IMAGE, command_key, is_trainer, split_command, trial_template
from .nni_tuners import PBT_CHECKPOINT_DIR, TunerPlan, plan_assessor, plan_tuner

SHIM_OBJECTIVE = "default"  # NNI's unnamed metric; the shim prints default=<value>
TRAINER_OBJECTIVE = "accuracy"  # validation accuracy, printed by the trainer every epoch
DEFAULT_MAX_TRIALS = 99999  # NNI v1's default maxTrialNum (v2: unlimited)
SHELL_FRAGILE = re.compile(r"[\s'\"\\$`|&;<>()*?#~{}\[\]!]")
FAILURE_BUDGET_CAP = 100  # failed trials a converted experiment tolerates at most (NNI: no limit)


@dataclass
class Conversion:
    document: dict
    text: str
    notes: list[Note]
    mode: str  # 'trainer' | 'shim'
    name: str
    code_dir: Path  # local directory that /code stands for
    config: NniConfig = field(repr=False, default=None)  # type: ignore[assignment]

    @property
    def local_paths(self) -> dict[str, str]:
        """Path overrides a local run needs (the image's code directory -> the NNI codeDir); none for
        the trainer, which needs no code directory."""
        return {} if self.mode == "trainer" else {CODE_DIR: str(self.code_dir)}


def convert_nni(config_path: str | Path, *, image: str | None = None, namespace: str | None = None) -> Conversion:
    """Convert an NNI config file; ConvertError lists every problem (file, key path, allowed values)."""
    try:
        return _convert(config_path, image=image, namespace=namespace)
    except RecursionError:  # a nested choice thousands of levels deep
        raise ConvertError([f"{config_path}: the search space is nested too deeply; allowed: nested choices a "
                            "few levels deep"]) from None


def _convert(config_path: str | Path, *, image: str | None, namespace: str | None) -> Conversion:
    cfg = load_nni_config(config_path)
    space_problems = Problems(cfg.space_source or cfg.source)
    notes: list[Note] = list(cfg.notes)
    entries = parse_space(cfg.space, space_problems, notes)
    if not cfg.space and not space_problems:
        space_problems.add("", "the search space is empty; Katib needs at least one parameter")
    problems = Problems(cfg.source)
    plan = plan_tuner(cfg.tuner, entries, problems) if cfg.tuner else None
    assessor = plan_assessor(cfg.assessor, problems)
    working_dir, env_words, argv = split_command(cfg.trial_command, command_key(cfg), problems)
    all_problems = space_problems.items + problems.items
    if all_problems:
        raise ConvertError(all_problems)
    assert plan is not None
    mode = "trainer" if is_trainer(argv) else "shim"
    fragile = [a for a in argv if SHELL_FRAGILE.search(a)]
    if fragile:
        notes.append(Note("trial.command" if cfg.version == 1 else "trialCommand",
                          f"argument(s) {', '.join(map(repr, fragile[:3]))} contain spaces or shell characters: "
                          "fine locally, but on a cluster Katib joins the command's words with spaces under sh -c, "
                          "which splits or expands them; move them into a script or a config file"))
    if mode == "shim" and not cfg.code_dir.is_dir():
        notes.append(Note("trial.codeDir" if cfg.version == 1 else "trialCodeDirectory",
                          f"{cfg.code_dir} does not exist here; a local run maps /code to it"))
    encoder = Encoder(plan.algorithm, mode, space_problems, problems)
    if plan.kind == "fixed_product":
        encoder.fixed_product(entries, plan.product or 2.0, cfg.max_trials)
    elif plan.kind == "batch":
        encoder.batch(entries[0])
    else:
        encoder.encode_space(entries)
    if plan.kind in ("hyperband", "bohb"):
        encoder.trial_budget(plan.resource_max or 60)
    if plan.kind == "pbt":
        encoder.out.record["pbt"] = {"dir": PBT_CHECKPOINT_DIR}
    if space_problems or problems:
        raise ConvertError(space_problems.items + problems.items)
    return _assemble(cfg, plan, assessor, encoder, entries, mode, working_dir, env_words, argv, notes,
                     image=image, namespace=namespace)


# -- trial command -----------------------------------------------------------------------------
# -- assembly ------------------------------------------------------------------------------------
def _k8s_name(raw: str | None, fallback: str) -> str:
    name = re.sub(r"[^a-z0-9-]+", "-", (raw or fallback).lower()).strip("-")
    if not name or not name[0].isalpha():
        name = "nni-" + name
    return name[:40].rstrip("-") or "nni-experiment"


def _assemble(cfg: NniConfig, plan: TunerPlan, assessor, encoder: Encoder, entries, mode: str, working_dir: str,
              env_words, argv: list[str], notes: list[Note], *, image: str | None, namespace: str | None) -> Conversion:
    out = encoder.out
    notes += plan.notes + assessor.notes + out.notes
    name = _k8s_name(cfg.name, Path(cfg.source).stem)
    # objective
    direction = plan.optimize_mode or assessor.optimize_mode or "maximize"
    if plan.optimize_mode and assessor.optimize_mode and plan.optimize_mode != assessor.optimize_mode:
        notes.append(Note("assessor.classArgs.optimize_mode", f"{assessor.optimize_mode} differs from the tuner's "
                                                              f"{plan.optimize_mode}; Katib has one direction: "
                                                              f"{plan.optimize_mode}"))
    metric = TRAINER_OBJECTIVE if mode == "trainer" else SHIM_OBJECTIVE
    objective: dict[str, Any] = {"type": direction, "objectiveMetricName": metric}
    if mode == "trainer":
        objective["additionalMetricNames"] = ["loss"]
        objective["metricStrategies"] = [{"name": metric, "value": "latest"}, {"name": "loss", "value": "latest"}]
    else:
        objective["metricStrategies"] = [{"name": metric, "value": "latest"}]
    # budgets
    parallel = cfg.concurrency
    max_trials = cfg.max_trials
    if max_trials is None:
        max_trials = DEFAULT_MAX_TRIALS
        notes.append(Note("maxTrialNum" if cfg.version == 1 else "maxTrialNumber",
                          f"not set (NNI: {'99999' if cfg.version == 1 else 'unlimited'}); maxTrialCount "
                          f"{DEFAULT_MAX_TRIALS}"))
    size = _space_size(out.parameters)
    if plan.kind in ("grid", "batch", "fixed_product") and size is not None and max_trials > size:
        notes.append(Note("", f"maxTrialCount {max_trials} lowered to the grid size {size} (Katib rejects more)"))
        max_trials = size
    elif plan.kind == "plain" and size is not None and max_trials > size and all(cardinality(e) for e in entries):
        notes.append(Note("", f"maxTrialCount {max_trials} lowered to {size}, the number of distinct points of the "
                              "search space (NNI 2.7+ stops there too: its tuners never repeat a point)"))
        max_trials = size
    if plan.kind == "hyperband":
        from kubetune.algorithms.hyperband import hyperband_min_parallel

        need = hyperband_min_parallel(float(plan.resource_max or 60), plan.settings.get("eta"))
        if parallel < need:
            notes.append(Note("trialConcurrency", f"{parallel} raised to {need}: Katib's hyperband needs "
                                                  "parallelTrialCount >= ceil(eta^s_max)"))
            parallel = need
        if max_trials != parallel:
            notes.append(Note("", f"maxTrialCount {max_trials} set to parallelTrialCount {parallel}: Katib's "
                                  "hyperband reliably runs only its first bracket (NNI loops over brackets)"))
            max_trials = parallel
    spec: dict[str, Any] = {
        "objective": objective,
        "algorithm": {"algorithmName": plan.algorithm},
        "parallelTrialCount": parallel,
        "maxTrialCount": max_trials,
        "maxFailedTrialCount": _failure_budget(max_trials, parallel, notes),
    }
    if plan.settings:
        spec["algorithm"]["algorithmSettings"] = [{"name": k, "value": v} for k, v in plan.settings.items()]
    if assessor.early_stopping:
        spec["earlyStopping"] = assessor.early_stopping
    if plan.kind == "pbt":
        spec["resumePolicy"] = "FromVolume"
    spec["parameters"] = out.parameters
    problems = Problems(cfg.source)
    spec["trialTemplate"] = trial_template(cfg, mode, name, out, working_dir, env_words, argv, image,
                                           retain=bool(assessor.early_stopping), notes=notes, problems=problems)
    problems.raise_if_any()
    metadata: dict[str, Any] = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    annotations = {"kubetune.io/converted-from": f"nni-v{cfg.version}:{Path(cfg.source).name}"}
    if cfg.name and cfg.name != name:
        annotations["kubetune.io/nni-experiment-name"] = cfg.name
    if cfg.max_duration:
        written, _ = cfg.max_duration
        annotations[MAX_DURATION_ANNOTATION] = written if isinstance(written, str) else f"{written}s"
        notes.append(Note("maxExecDuration" if cfg.version == 1 else "maxExperimentDuration",
                          f"-> annotation {MAX_DURATION_ANNOTATION}: {annotations[MAX_DURATION_ANNOTATION]} (kubetune's "
                          "local engine stops creating trials after it and lets running ones finish; Katib has no "
                          "experiment duration limit and ignores it)"))
    metadata["annotations"] = annotations
    if cfg.platform == "remote":
        notes.append(Note("machineList", f"NNI ran trials over SSH on {len(cfg.machines)} remote machine(s). On "
                                         "Kubernetes each trial is a pod: its nvidia.com/gpu limit places it on a GPU "
                                         "node; bake the Python environment (pythonPath/preCommand) into the image. "
                                         "No SSH settings are carried over"))
    document = {"apiVersion": "kubeflow.org/v1beta1", "kind": "Experiment", "metadata": metadata, "spec": spec}
    _self_check(document, cfg)
    text = dump_experiment(document, _header(cfg, mode, image, notes), out.comments)
    return Conversion(document, text, notes, mode, name, cfg.code_dir, cfg)


def _failure_budget(max_trials: int, parallel: int, notes: list[Note]) -> int:
    """maxFailedTrialCount: NNI never fails an experiment for failed trials, but a trial that always
    fails (a missing file, a bad flag) would then burn the whole budget. A quarter of the trials
    (at most FAILURE_BUDGET_CAP), and never fewer than one round of parallel trials plus one."""
    budget = min(max_trials, max(parallel + 1, min(FAILURE_BUDGET_CAP, math.ceil(max_trials / 4))))
    notes.append(Note("", f"maxFailedTrialCount {budget} (of maxTrialCount {max_trials}): NNI never stops for failed "
                          f"trials, but a trial that always fails would use up the whole budget; the experiment now "
                          f"fails at {budget} failed trials. Raise it if trials fail now and then (e.g. out of memory "
                          "on large batches); it can be edited on a running experiment"))
    return budget


def _space_size(parameters: list[dict]) -> int | None:
    from kubetune.experiment.space import parse_parameters, space_size

    try:
        return space_size(parse_parameters({"parameters": parameters}))
    except Exception:  # an infinite or unparsable space has no size
        return None


def _self_check(document: dict, cfg: NniConfig) -> None:
    """The output must load as a Katib Experiment; anything else is a converter defect."""
    from kubetune.algorithms import service_errors
    from kubetune.experiment import SpecError, experiment_from_dict

    try:
        experiment_from_dict(document, source="<converted>", service_checks=service_errors)
    except SpecError as exc:
        raise ConvertError([f"{cfg.source}: internal error: the converted Experiment is invalid:\n{exc}"]) from None


def _header(cfg: NniConfig, mode: str, image: str | None, notes: list[Note]) -> list[str]:
    source = Path(cfg.source).name
    run_here = ("kubetune run THIS_FILE [--set-path /data=...]" if mode == "trainer" else
                "kubetune run THIS_FILE --set-path /code=<the NNI trial code directory> [--set-path /data=...]")
    head = [f"Katib Experiment converted by `kubetune convert nni` from the NNI config {source} (config v{cfg.version}).",
            f"Run it here:    {run_here}",
            "               (or in one go: kubetune convert nni CONFIG --run)",
            "Run on Katib:   kubectl apply -f THIS_FILE"]
    if mode == "trainer":
        head.append("Trial: the kubetune trainer; parameters are passed as --flags, the objective is the validation "
                    "accuracy it prints each epoch.")
    else:
        head.append("Trial: an NNI trial script run through the `nni` shim (python -m kubetune.compat.nni_launch): "
                    f"parameters arrive in env vars decoded with {SPACE_ENV}; the objective `default` is what the")
        head.append("script reports (report_intermediate_result / report_final_result; the final value is printed "
                    "last, and metricStrategies latest makes it the trial's objective).")
    if image is None:
        head.append(f"Image: {DEFAULT_IMAGE} (kubetune + trainer + the nni shim); "
                    + ("" if mode == "trainer" else "build your own FROM it with the trial code COPY'd to /code, and ")
                    + "pass --image to the converter.")
    else:
        head.append(f"Image: {image} (must hold the trial code at /code and kubetune, which provides the nni shim).")
    if notes:
        head.append("")
        head.append("Notes (approximations, substitutions and dropped settings):")
        for n in notes:
            head.append(f"  - {n}")
    return head
