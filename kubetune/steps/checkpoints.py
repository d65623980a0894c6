"""Where a trial left its checkpoint: render the trial's command from its Experiment (the stored spec
of a local run, or the Experiment object on the cluster), find the trainer's output flag, and map
container paths to local ones the way `kubetune run` did (the path mappings and image entrypoints it
ran with, remembered in the experiment's state, overridden by --set-path; emptyDir -> the trial's
folder; for experiments the pipeline ran, its empty stand-ins for the claims)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kubetune.results import TrialRow, optimal_trial
from kubetune.trainer_flags import option_value

CHECKPOINT = "best.pt"


class CheckpointNotFound(LookupError):
    """The trial's checkpoint cannot be located or is not on this machine; the message says why."""


@dataclass
class TrialCheckpoint:
    experiment: str
    trial: TrialRow
    objective_metric: str
    objective_type: str
    checkpoint: Path


def out_dir_of(argv: list[str]) -> str | None:
    """The value of the trainer's --out flag (`--out=X`, `--output-dir X`, any spelling the trainer
    accepts); the last one wins."""
    return option_value(argv, "out")


def _primary(spec: dict, trial: TrialRow, namespace: str):
    from kubetune.engine.template import TemplateError, primary_container, render_workload

    template = spec["trialTemplate"]
    try:
        workload = render_workload(template, trial.assignments, trial.name, namespace)
        return primary_container(workload, template.get("primaryContainerName", ""))
    except TemplateError as e:
        raise CheckpointNotFound(f"trial {trial.name}: its command cannot be rendered from the Experiment: {e}; "
                                 "give --checkpoint FILE") from None


def _pick(trials: list[TrialRow], objective_type: str, wanted: str | None, experiment: str) -> TrialRow:
    if wanted:
        matches = [t for t in trials if t.name == wanted or t.name.endswith(wanted)]
        if len(matches) != 1:
            raise CheckpointNotFound(f"trial {wanted!r} {'is ambiguous' if matches else 'not found'} in experiment "
                                     f"{experiment} ({', '.join(t.name for t in (matches or trials)[:10])})")
        return matches[0]
    best = optimal_trial(trials, objective_type)
    if best is None:
        raise CheckpointNotFound(f"experiment {experiment} has no trial with an objective value yet")
    return best


def local_checkpoint(workdir: str, name: str, *, trial: str | None = None,
                     set_paths: dict[str, str] | None = None) -> TrialCheckpoint:
    """The best (or the named) trial's best.pt of a local experiment in workdir."""
    from kubetune.engine.local import LocalOverrides, local_launch
    from kubetune.engine.state import ExperimentState, StateError

    exp_dir = Path(workdir) / name
    db = exp_dir / "state.db"
    if not db.is_file():
        known = sorted(p.parent.name for p in Path(workdir).glob("*/state.db"))
        raise CheckpointNotFound(f"no experiment {name!r} in {workdir}"
                                 + (f" (experiments there: {', '.join(known)})" if known else "; give --workdir"))
    try:
        state = ExperimentState(db, readonly=True)
    except StateError as e:
        raise CheckpointNotFound(str(e)) from None
    try:
        exp, trials = state.experiment(), state.trials()
        ran_with = state.run_setting("local_overrides") or {}  # the last `kubetune run`'s --set-path & co.
    finally:
        state.close()
    objective = exp["spec"].get("objective") or {}
    objective_type = objective.get("type", "maximize")
    row = _pick(trials, objective_type, trial, name)
    pc = _primary(exp["spec"], row, exp["namespace"])
    trial_dir = exp_dir / "trials" / row.name
    paths = {**(ran_with.get("paths") or {}), **(set_paths or {})}
    claims = {v.get("name") for v in pc.pod_spec.get("volumes") or [] if "persistentVolumeClaim" in v}
    for mount in pc.container.get("volumeMounts") or []:  # what the pipeline's local search mapped them to
        stand_in = exp_dir / "volumes" / str(mount.get("name"))
        if mount.get("name") in claims and mount.get("mountPath") not in paths and stand_in.is_dir():
            paths[mount["mountPath"]] = str(stand_in)
    from kubetune.engine.template import TemplateError

    try:
        # env values do not move the checkpoint: a Secret-sourced one needs no value here
        env = {str(v.get("name")): "" for v in pc.container.get("env") or [] if "valueFrom" in v}
        launch = local_launch(pc, LocalOverrides(paths=paths, env=env, images=ran_with.get("images") or {}),
                              trial_dir, row.name, exp["namespace"])
    except TemplateError as e:
        raise CheckpointNotFound(f"trial {row.name}: {e}") from None
    out = out_dir_of(launch.argv)
    candidates = [Path(launch.cwd) / out / CHECKPOINT] if out else []
    candidates += sorted(trial_dir.rglob(CHECKPOINT))  # an output folder inside the trial's own folder
    for path in candidates:
        if path.is_file():
            return TrialCheckpoint(name, row, objective.get("objectiveMetricName", "objective"), objective_type, path)
    where = f" (its --out is {out})" if out else " (its command has no --out flag)"
    raise CheckpointNotFound(f"trial {row.name} of {name}: no {CHECKPOINT} found{where}; if the trial wrote to a "
                             "cluster path, map it with --set-path MOUNT=LOCAL_DIR, or give --checkpoint FILE")


def cluster_checkpoint(client, name: str, namespace: str, *, trial: str | None = None,
                       set_paths: dict[str, str] | None = None) -> TrialCheckpoint:
    """The best (Katib's currentOptimalTrial) or the named trial's best.pt of an Experiment on the
    cluster; the trial's output path is mapped to this machine with set_paths (a claim mounted
    here, or this command running in a pod that mounts it at the same path)."""
    from kubetune.cluster.results import ExperimentView, best_row, trial_rows

    experiment = client.get_experiment(name, namespace)
    view = ExperimentView.of(experiment)
    rows = trial_rows(client.list_trials(name, namespace), view)
    row = _pick(rows, view.objective_type, trial, name) if trial else best_row(experiment, rows)
    if row is None:
        raise CheckpointNotFound(f"experiment {namespace}/{name} has no best trial yet")
    pc = _primary(experiment["spec"], row, namespace)
    args = [str(a) for a in (pc.container.get("command") or []) + (pc.container.get("args") or [])]
    out = out_dir_of(args)
    if not out:
        raise CheckpointNotFound(f"trial {row.name}: its command has no --out flag; give --checkpoint FILE")
    path = out.rstrip("/") + "/" + CHECKPOINT
    for mount_path, local in sorted((set_paths or {}).items(), key=lambda kv: len(kv[0]), reverse=True):
        if path == mount_path or path.startswith(mount_path.rstrip("/") + "/"):
            path = local.rstrip("/") + path[len(mount_path.rstrip("/")):]
            break
    if not Path(path).is_file():
        volumes = {v.get("name"): v for v in pc.pod_spec.get("volumes") or []}
        mount = next((m for m in pc.container.get("volumeMounts") or []
                      if out.startswith(m.get("mountPath", "\0").rstrip("/") + "/") or out == m.get("mountPath")), None)
        hint = ""
        if mount is not None:
            volume = volumes.get(mount.get("name")) or {}
            if "emptyDir" in volume:
                hint = f"; it is on emptyDir volume {mount['name']}, which went away with the trial's pod"
            else:
                claim = (volume.get("persistentVolumeClaim") or {}).get("claimName", mount.get("name"))
                hint = (f"; it is on volume {mount['name']} (claim {claim}) at {mount['mountPath']}: mount that claim "
                        f"here and pass --set-path {mount['mountPath']}=LOCAL_DIR, or run this in a pod that mounts it")
        raise CheckpointNotFound(f"trial {row.name}: checkpoint {path} is not on this machine{hint}")
    objective = (experiment.get("spec") or {}).get("objective") or {}
    return TrialCheckpoint(name, row, objective.get("objectiveMetricName", "objective"), view.objective_type,
                           Path(path))
