"""The kubetune pipeline (KFP v2): prepare data -> search (Katib or the local engine) -> export the
best model to the store -> ensemble the top-k -> report.

    build_pipeline()                 the cluster pipeline (compiled into kubetune_pipeline.yaml)
    build_pipeline(for_local=True)   the same DAG for kfp.local: without the pod settings that
                                     kfp.local cannot resolve (resource requests from pipeline
                                     parameters) or ignores (volumes, secrets, tolerations)

Compile: `kubetune pipeline compile -o pipelines/kubetune_pipeline.yaml`; run locally:
`kubetune pipeline run --local ...`; see docs/pipeline.md.
"""

import inspect
from typing import NamedTuple

from kfp import dsl
from kfp.dsl import ClassificationMetrics, Markdown, Metrics, Model

from pipelines.components import ensemble, export_best, prepare_data, report, search

PIPELINE_NAME = "kubetune"
DATASETS_MOUNT, MODELS_MOUNT = "/datasets", "/models"  # as in kubetune.steps.experiment
STORE_SECRET = "kubetune-s3"  # manifests/minio.yaml's (and the chart's) S3 Secret
STORE_SECRET_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "S3_ENDPOINT")
GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}

Outputs = NamedTuple("Outputs", [("model", Model), ("leaderboard", Markdown), ("metrics", Metrics),
                                 ("confusion_matrix", ClassificationMetrics)])


def _kubernetes(volume_tasks: list, store_tasks: list, gpu_tasks: list, datasets_pvc, models_pvc) -> bool:
    """Volumes, the store Secret and GPU tolerations through kfp-kubernetes, when it is installed
    (it is an optional package; without it the compiled pipeline has no platform section)."""
    try:
        from kfp import kubernetes
    except ImportError:
        return False
    for task in volume_tasks:
        kubernetes.mount_pvc(task, pvc_name=datasets_pvc, mount_path=DATASETS_MOUNT)
        kubernetes.mount_pvc(task, pvc_name=models_pvc, mount_path=MODELS_MOUNT)
    optional = "optional" in inspect.signature(kubernetes.use_secret_as_env).parameters
    for task in store_tasks:
        kubernetes.use_secret_as_env(task, secret_name=STORE_SECRET,
                                     secret_key_to_env={key: key for key in STORE_SECRET_KEYS},
                                     **({"optional": True} if optional else {}))
    for task in gpu_tasks:
        kubernetes.add_toleration(task, **GPU_TOLERATION)
    return True


def build_pipeline(for_local: bool = False):
    """The pipeline function; for_local=True leaves out what kfp.local cannot run (see above)."""

    @dsl.pipeline(name=PIPELINE_NAME,
                  description="kubetune AutoML: prepare data, hyperparameter search (Katib Experiment or the local "
                              "engine), export the best model (ONNX, Triton layout) to the store with a checksummed "
                              "manifest, ensemble the top-k, Markdown leaderboard")
    def kubetune_pipeline(
        dataset: str = "/datasets/digits",
        model: str = "efficientnet-b0",
        search_space: str = "auto",
        algorithm: str = "tpe",
        max_trials: int = 12,
        parallel_trials: int = 3,
        max_failed_trials: int = 3,
        epochs: int = 10,
        image_size: int = 224,
        batch_size: int = 64,
        gpus_per_trial: int = 1,
        accelerator: str = "nvidia.com/gpu",
        ensemble_size: int = 3,
        ensemble_method: str = "soft",
        store: str = "s3://kubetune/models",
        store_endpoint: str = "",
        model_name: str = "",
        backend: str = "katib",
        namespace: str = "",
        work_dir: str = "/models/kubetune",
        trial_image: str = "ghcr.io/kubetune/kubetune-trainer:0.1.0",
        datasets_pvc: str = "kubetune-datasets",
        models_pvc: str = "kubetune-models",
        val_ratio: float = 0.2,
        test_ratio: float = 0.15,
        split: str = "stratified",
        seed: int = 0,
        skip_corrupt: bool = False,
        poll_interval: float = 30.0,
        search_timeout: float = 0.0,
        local_search_gpus: int = 0,
        ensemble_gpus: int = 0,
    ) -> Outputs:
        prep = prepare_data(dataset=dataset, work_dir=work_dir, image_size=image_size, val_ratio=val_ratio,
                            test_ratio=test_ratio, split=split, seed=seed, skip_corrupt=skip_corrupt)
        prep.set_display_name("prepare data").set_caching_options(False)  # the data may change under its path

        found = search(backend=backend, run_id=dsl.PIPELINE_JOB_ID_PLACEHOLDER,
                       data_path=prep.outputs["data_path"], data_args=prep.outputs["data_args"], model=model,
                       search_space=search_space, algorithm=algorithm, max_trials=max_trials,
                       parallel_trials=parallel_trials, max_failed_trials=max_failed_trials, epochs=epochs,
                       image_size=image_size, batch_size=batch_size, gpus_per_trial=gpus_per_trial,
                       accelerator=accelerator, top_k=ensemble_size, work_dir=work_dir, namespace=namespace,
                       trial_image=trial_image, datasets_pvc=datasets_pvc, models_pvc=models_pvc, seed=seed,
                       poll_interval=poll_interval, timeout=search_timeout)
        found.set_display_name("search").set_caching_options(False)  # never skip creating the Experiment

        exported = export_best(top_trials=found.outputs["top_trials"], experiment_name=found.outputs["experiment_name"],
                               model_name=model_name, model_family=model, store=store,
                               store_endpoint=store_endpoint)
        exported.set_display_name("export best model").set_caching_options(False)  # publishes to the store

        ens = ensemble(top_trials=found.outputs["top_trials"], data=prep.outputs["data"], size=ensemble_size,
                       method=ensemble_method, objective_type=found.outputs["objective_type"])
        ens.set_display_name("ensemble top-k")

        rep = report(experiment=found.outputs["experiment"], data=prep.outputs["data"],
                     model=exported.outputs["model"], predictions=ens.outputs["predictions"],
                     title="kubetune leaderboard")
        rep.set_display_name("report")

        if not for_local:
            for task, cpu, memory in ((prep, "2", "8Gi"), (found, "1", "4Gi"), (exported, "2", "8Gi"),
                                      (ens, "2", "8Gi"), (rep, "500m", "1Gi")):
                task.set_cpu_request(cpu).set_memory_request(memory)
            # GPUs for the pipeline's own pods (the trials' GPUs are in the Katib Experiment):
            # the search pod when backend=local runs its trials on the cluster node itself.
            found.set_accelerator_type(accelerator).set_accelerator_limit(local_search_gpus)
            ens.set_accelerator_type(accelerator).set_accelerator_limit(ensemble_gpus)
            _kubernetes([prep, found, exported, ens], [prep, exported], [found, ens], datasets_pvc, models_pvc)

        return Outputs(model=exported.outputs["model"], leaderboard=rep.outputs["leaderboard"],
                       metrics=ens.outputs["metrics"], confusion_matrix=ens.outputs["confusion_matrix"])

    return kubetune_pipeline


kubetune_pipeline = build_pipeline()
