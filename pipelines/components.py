"""KFP v2 components of the kubetune pipeline: thin wrappers over kubetune.steps.steps.

Each function body is shipped inside the compiled pipeline and runs in the step's image, so it
imports what it needs itself and holds no logic: it calls one kubetune function and copies the
result into KFP's artifacts and outputs.

Images (install_kfp_package=False: the image must already hold kfp, kubetune and, for the steps
that touch models or images, the trainer):
  CONTROL_IMAGE  kubetune + kfp without torch (images/Dockerfile.pipeline): report
  STEP_IMAGE     kubetune + trainer + kfp: prepare_data, search (the local backend runs trainer
                 processes in the step's pod; the katib backend needs only kubetune), export_best, ensemble
"""
# No `from __future__ import annotations`: KFP reads the real annotation objects.

from typing import NamedTuple

from kfp import dsl
from kfp.dsl import Artifact, ClassificationMetrics, Dataset, Input, Markdown, Metrics, Model, Output

CONTROL_IMAGE = "ghcr.io/kubetune/kubetune-pipeline:0.1.0"
STEP_IMAGE = "ghcr.io/kubetune/kubetune-trainer:0.1.0"


@dsl.component(base_image=STEP_IMAGE, install_kfp_package=False)
def prepare_data(
    dataset: str,
    work_dir: str,
    image_size: int,
    val_ratio: float,
    test_ratio: float,
    split: str,
    seed: int,
    skip_corrupt: bool,
    data: Output[Dataset],
) -> NamedTuple("PreparedData", [("data_path", str), ("data_args", list), ("num_classes", int)]):
    """Check every image (unreadable ones listed), fix the held-out test split, build the decoded
    cache the trials reuse. The Dataset artifact holds dataset.json and test.csv."""
    import collections

    from kubetune.steps.steps import prepare_step

    prepared = prepare_step(dataset, data.path, work_dir=work_dir, image_size=image_size, val_ratio=val_ratio,
                            test_ratio=test_ratio, split=split, seed=seed, skip_corrupt=skip_corrupt)
    data.metadata.update({"source": prepared.source, "data_path": prepared.data_path, "classes": prepared.classes,
                          "counts": prepared.counts, "skipped": len(prepared.skipped), "layout": prepared.layout})
    out = collections.namedtuple("PreparedData", ["data_path", "data_args", "num_classes"])
    return out(prepared.data_path, prepared.trial_args, len(prepared.classes))


@dsl.component(base_image=STEP_IMAGE, install_kfp_package=False)
def search(
    backend: str,
    run_id: str,
    data_path: str,
    data_args: list,
    model: str,
    search_space: str,
    algorithm: str,
    max_trials: int,
    parallel_trials: int,
    max_failed_trials: int,
    epochs: int,
    image_size: int,
    batch_size: int,
    gpus_per_trial: int,
    accelerator: str,
    top_k: int,
    work_dir: str,
    namespace: str,
    trial_image: str,
    datasets_pvc: str,
    models_pvc: str,
    seed: int,
    poll_interval: float,
    timeout: float,
    experiment: Output[Artifact],
    metrics: Output[Metrics],
) -> NamedTuple("SearchOutputs", [("top_trials", list), ("best_trial", str), ("experiment_name", str),
                                  ("objective_type", str)]):
    """Hyperparameter search: a Katib Experiment (backend katib: created, 409 = resume, watched;
    fails with Katib's reason) or kubetune's local engine (backend local). Outputs the top-k trials
    (parameters, metrics, checkpoint) and the rendered Experiment with the final results."""
    import collections

    from kubetune.steps.steps import search_step, top_trial_dicts

    result = search_step(experiment.path, backend=backend, run_id=run_id, data_path=data_path, data_args=data_args,
                         model=model, search_space=search_space, algorithm=algorithm, max_trials=max_trials,
                         parallel_trials=parallel_trials, max_failed_trials=max_failed_trials, epochs=epochs,
                         image_size=image_size, batch_size=batch_size, gpus_per_trial=gpus_per_trial,
                         accelerator=accelerator, top_k=top_k, work_dir=work_dir, namespace=namespace,
                         trial_image=trial_image, datasets_pvc=datasets_pvc, models_pvc=models_pvc, seed=seed,
                         poll_interval=poll_interval, timeout=timeout if timeout > 0 else None)
    experiment.metadata.update({"name": result.experiment, "namespace": result.namespace, "backend": backend,
                                "trials": len(result.trials)})
    best = result.best
    metrics.log_metric(f"best_{result.objective_metric}", best.objective)
    metrics.log_metric("trials", len(result.trials))
    metrics.log_metric("trials_succeeded", sum(t.state == "Succeeded" for t in result.trials))
    out = collections.namedtuple("SearchOutputs", ["top_trials", "best_trial", "experiment_name", "objective_type"])
    return out(top_trial_dicts(result), best.name, result.experiment, result.objective_type)


@dsl.component(base_image=STEP_IMAGE, install_kfp_package=False)
def export_best(
    top_trials: list,
    experiment_name: str,
    model_name: str,
    model_family: str,
    store: str,
    store_endpoint: str,
    model: Output[Model],
):
    """The best trial's checkpoint -> ONNX + metadata + Triton layout, published to the store under
    <store>/<experiment_name>/<model_name or model_family> with a MANIFEST.json of sha256s (written last).
    The Model artifact is the same directory."""
    from kubetune.steps.steps import export_step

    published = export_step(top_trials, model.path, store=store, store_endpoint=store_endpoint,
                            prefix=experiment_name, model_name=model_name or model_family)
    model.metadata.update({"store_uri": published.model_uri, "serving_uri": published.serving_uri,
                           "framework": "onnx", "triton_model_name": published.model_name,
                           "onnx_sha256": published.onnx_sha256, "files": published.files,
                           "trial": top_trials[0]["name"], "classes": published.metadata.get("classes", [])})


@dsl.component(base_image=STEP_IMAGE, install_kfp_package=False)
def ensemble(
    top_trials: list,
    data: Input[Dataset],
    size: int,
    method: str,
    objective_type: str,
    metrics: Output[Metrics],
    confusion_matrix: Output[ClassificationMetrics],
    predictions: Output[Dataset],
):
    """Predict the test split with the top-k trials, vote soft and hard, compare each member with
    the ensemble: Metrics and a confusion matrix for the KFP UI, the prediction CSVs as a Dataset."""
    from kubetune.steps.steps import ensemble_step

    summary = ensemble_step(top_trials, data.path, predictions.path, size=size, method=method,
                            objective_type=objective_type)
    metrics.log_metric("ensemble_accuracy", summary["accuracy"])
    metrics.log_metric("ensemble_macro_f1", summary["macro_f1"])
    for name, values in summary["by_method"].items():
        metrics.log_metric(f"{name}_accuracy", values["accuracy"])
    metrics.log_metric("best_member_accuracy", summary["best_member"]["accuracy"])
    metrics.log_metric("members", len(summary["members"]))
    confusion_matrix.log_confusion_matrix(summary["classes"], summary["confusion_matrix"])
    predictions.metadata.update({"method": summary["method"], "samples": summary["samples"]})


@dsl.component(base_image=CONTROL_IMAGE, install_kfp_package=False)
def report(
    experiment: Input[Artifact],
    data: Input[Dataset],
    model: Input[Model],
    predictions: Input[Dataset],
    title: str,
    leaderboard: Output[Markdown],
):
    """A Markdown leaderboard: every trial with its parameters and metrics, the chosen model and
    where it was published, the ensemble against its members, the confusion matrix."""
    from kubetune.steps.steps import report_step

    text = report_step(experiment.path, data.path, predictions.path,
                       {"model_uri": model.metadata.get("store_uri", model.uri),
                        "serving_uri": model.metadata.get("serving_uri", ""),
                        "files": model.metadata.get("files", "?")}, title=title)
    with open(leaderboard.path, "w", encoding="utf-8") as handle:
        handle.write(text)
    print(text, flush=True)
