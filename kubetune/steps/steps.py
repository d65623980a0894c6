"""One function per pipeline step, taking plain values and output directories: the KFP components
in pipelines/components.py only call these and copy the results into KFP artifacts, so every step
runs (and is tested) without KFP.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import yaml

from kubetune.steps import say as say_line
from kubetune.steps.data import PreparedData, load_prepared, prepare_dataset
from kubetune.steps.experiment import ExperimentSettings, experiment_name, render_experiment
from kubetune.steps.search import SearchResult, run_search

SEARCH_JSON = "search.json"
EXPERIMENT_YAML = "experiment.yaml"


def default_cache_dir(work_dir: str) -> str:
    return f"{work_dir.rstrip('/')}/cache" if work_dir else ""


def prepare_step(dataset: str, out_dir: str, *, work_dir: str, image_size: int, val_ratio: float, test_ratio: float,
                 split: str, seed: int, skip_corrupt: bool, say: Callable[[str], None] = say_line) -> PreparedData:
    return prepare_dataset(dataset, out_dir, work_dir=work_dir, image_size=image_size, val_ratio=val_ratio,
                           test_ratio=test_ratio, split=split, seed=seed, skip_corrupt=skip_corrupt,
                           cache_dir=default_cache_dir(work_dir), say=say)


def search_step(out_dir: str, *, backend: str, run_id: str, data_path: str, data_args: list[str], model: str,
                search_space: str, algorithm: str, max_trials: int, parallel_trials: int, max_failed_trials: int,
                epochs: int, image_size: int, batch_size: int, gpus_per_trial: int, accelerator: str,
                top_k: int, work_dir: str, namespace: str, trial_image: str, datasets_pvc: str, models_pvc: str,
                trial_args: list[str] | None = None, seed: int | None = None, poll_interval: float = 30.0,
                timeout: float | None = None, name_prefix: str = "", say: Callable[[str], None] = say_line) -> SearchResult:
    """Render the Experiment, write it to <out_dir>/experiment.yaml, run it, write search.json."""
    if backend == "katib":
        _check_on_trial_volumes(dataset=data_path, work_dir=work_dir)
    name = experiment_name(name_prefix or f"kt-{model}", run_id)
    trials_dir = f"{work_dir.rstrip('/')}/{name}/models"
    settings = ExperimentSettings(
        name=name, data_path=data_path, trials_dir=trials_dir, model=model, search_space=search_space,
        algorithm=algorithm, max_trials=max_trials, parallel_trials=parallel_trials,
        max_failed_trials=max_failed_trials, epochs=epochs, image_size=image_size, batch_size=batch_size,
        gpus_per_trial=gpus_per_trial, accelerator=accelerator, namespace=namespace, trial_image=trial_image,
        datasets_pvc=datasets_pvc, models_pvc=models_pvc, data_args=list(data_args or []),
        trial_args=list(trial_args or []), seed=seed)
    experiment = render_experiment(settings)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / EXPERIMENT_YAML).write_text(yaml.safe_dump(experiment, sort_keys=False), encoding="utf-8")
    say(f"rendered experiment {name} ({len(experiment['spec']['parameters'])} search parameters) into "
        f"{out / EXPERIMENT_YAML}")
    result = run_search(backend, experiment, trials_dir=trials_dir, top_k=top_k, workdir=work_dir,
                        namespace=namespace, poll_interval=poll_interval, timeout=timeout, say=say)
    (out / SEARCH_JSON).write_text(json.dumps(result.to_json(), indent=2) + "\n", encoding="utf-8")
    return result


def _check_on_trial_volumes(**paths: str) -> None:
    """Katib trials see only their claims, mounted at /datasets and /models: refuse paths elsewhere."""
    from kubetune.steps.experiment import DATASETS_MOUNT, MODELS_MOUNT, ExperimentSettingsError

    for label, path in paths.items():
        if not any(path == m or path.startswith(m + "/") for m in (DATASETS_MOUNT, MODELS_MOUNT)):
            raise ExperimentSettingsError(
                f"{label} {path!r} is not on a volume the Katib trials mount: put it under {DATASETS_MOUNT} "
                f"(the datasets claim) or {MODELS_MOUNT} (the models claim), as the pipeline's steps mount them")


def top_trial_dicts(result: SearchResult) -> list[dict[str, Any]]:
    """The top-k as plain dicts (a KFP list parameter)."""
    return [{"name": t.name, "objective": t.objective, "params": t.params, "metrics": t.metrics,
             "checkpoint": t.checkpoint, "state": t.state} for t in result.top]


def export_step(top_trials: list[dict], out_dir: str, *, store: str, store_endpoint: str, prefix: str,
                model_name: str, say: Callable[[str], None] = say_line):
    """Export the best trial (the first of top_trials) into out_dir and publish it."""
    from kubetune.steps.export import ExportError, export_and_publish

    if not top_trials:
        raise ExportError("no trial to export: the search step returned none")
    best = top_trials[0]
    # the prefix is this run's experiment name: a retried step replaces its own earlier publish
    return export_and_publish(best["checkpoint"], store, prefix, model_name, out_dir=out_dir, overwrite=True,
                              metadata={"trial": best["name"], "objective": best.get("objective"),
                                        "params": best.get("params") or {}, "experiment": prefix},
                              endpoint=store_endpoint or None, say=say)


def ensemble_step(top_trials: list[dict], dataset_dir: str, out_dir: str, *, size: int, method: str,
                  objective_type: str, say: Callable[[str], None] = say_line) -> dict:
    from kubetune.steps.ensemble import ensemble_top_k

    # test.csv next to dataset.json: on KFP the Dataset artifact is downloaded to this pod's own path
    test_csv = Path(dataset_dir) / "test.csv"
    if not test_csv.is_file():
        test_csv = Path(load_prepared(dataset_dir).test_csv)
    members = top_trials[:max(1, size)]
    return ensemble_top_k(members, str(test_csv), out_dir, method=method, objective_type=objective_type, say=say)


def report_step(search_dir: str, dataset_dir: str, ensemble_dir: str, model: dict | None, *, title: str) -> str:
    from kubetune.steps.report import leaderboard_markdown

    search = json.loads((Path(search_dir) / SEARCH_JSON).read_text(encoding="utf-8"))
    ensemble = json.loads((Path(ensemble_dir) / "report.json").read_text(encoding="utf-8"))["summary"]
    dataset = load_prepared(dataset_dir).to_json()
    return leaderboard_markdown(search, model, ensemble, title=title, dataset=dataset)
