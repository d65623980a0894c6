"""The Katib Experiment both engine benchmarks run: one double parameter x, random search,
a Job whose only container runs `container` (its args may use ${trialParameters.x})."""
from __future__ import annotations


def job_experiment(name: str, trials: int, parallel: int, container: dict) -> dict:
    return {
        "apiVersion": "kubeflow.org/v1beta1", "kind": "Experiment",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "objective": {"type": "maximize", "objectiveMetricName": "accuracy"},
            "algorithm": {"algorithmName": "random"},
            "maxTrialCount": trials, "parallelTrialCount": parallel, "maxFailedTrialCount": trials,
            "parameters": [{"name": "x", "parameterType": "double", "feasibleSpace": {"min": "0", "max": "1"}}],
            "trialTemplate": {
                "primaryContainerName": "training",
                "trialParameters": [{"name": "x", "reference": "x"}],
                "trialSpec": {"apiVersion": "batch/v1", "kind": "Job",
                              "spec": {"template": {"spec": {"containers": [{"name": "training", **container}],
                                                             "restartPolicy": "Never"}}}},
            },
        },
    }
