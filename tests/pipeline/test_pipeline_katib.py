"""The search component's katib backend against the fake Kubernetes API server
(tests/cluster/fake_apiserver.py): it creates the right Experiment, waits for Katib
(scripted: one step per GET of the Experiment), outputs the top-k trials, fails with Katib's
reason, and treats 409 (already exists: a retried step) as resume."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from fake_apiserver import status_body
from katib_objects import condition

from kubetune.steps.search import SearchFailed, run_katib
from kubetune.steps.steps import search_step

pytestmark = pytest.mark.filterwarnings("ignore:You may be attemping to run a task:RuntimeWarning")

NS = "team-a"
RUN_ID = "3f2a9c1e-7b6d-4e8f-9a0b-1c2d3e4f5a6b"
NAME = "kt-cells-3f2a9c1e"
LABEL = "katib.kubeflow.org/experiment"

SEARCH_ARGS = dict(
    backend="katib", run_id=RUN_ID, data_path="/datasets/digits", data_args=["--val-ratio=0.2"], model="cells",
    search_space="cells", algorithm="tpe", max_trials=3, parallel_trials=2, max_failed_trials=1, epochs=2,
    image_size=32, batch_size=32, gpus_per_trial=1, accelerator="nvidia.com/gpu", top_k=2,
    work_dir="/models/kubetune", namespace=NS, trial_image="registry.example/kubetune-trainer:1",
    datasets_pvc="team-datasets", models_pvc="team-models", seed=5, poll_interval=0.2, timeout=60.0)


def katib_trial(name: str, lr: str, state: str, accuracy: str | None = None, loss: str = "0.5") -> dict:
    conditions = [condition("Created", "TrialCreated", "Trial is created")]
    status: dict = {"startTime": "2026-11-22T10:00:01Z", "conditions": conditions}
    if state == "Running":
        conditions.append(condition("Running", "TrialRunning", "Trial is running"))
    else:
        conditions.append(condition("Running", "TrialRunning", "Trial is running", status="False"))
        conditions.append(condition(state, f"Trial{state}", f"Trial has {state.lower()}"))
        status["completionTime"] = "2026-11-22T10:01:00Z"
    if accuracy is not None:
        status["observation"] = {"metrics": [{"name": "accuracy", "min": "0.1", "max": accuracy, "latest": accuracy},
                                             {"name": "loss", "min": loss, "max": "2.3", "latest": loss}]}
    return {"apiVersion": "kubeflow.org/v1beta1", "kind": "Trial",
            "metadata": {"name": name, "namespace": NS, "labels": {LABEL: NAME},
                         "creationTimestamp": f"2026-11-22T10:00:0{len(name) % 10}Z"},
            "spec": {"parameterAssignments": [{"name": "lr", "value": lr}, {"name": "optimizer", "value": "sgd"}]},
            "status": status}


def experiment_status(conditions: list[dict], best: str = "", accuracy: str = "") -> dict:
    optimal: dict = {"observation": {}}
    if best:
        optimal = {"bestTrialName": best, "parameterAssignments": [{"name": "lr", "value": "0.01"}],
                   "observation": {"metrics": [{"name": "accuracy", "min": "0.1", "max": accuracy, "latest": accuracy}]}}
    return {"conditions": conditions, "currentOptimalTrial": optimal, "trials": 3}


CREATED = condition("Created", "ExperimentCreated", "Experiment is created")
RUNNING = condition("Running", "ExperimentRunning", "Experiment is running")


def katib_succeeds(fake) -> list:
    """Katib's controllers, one step per GET of the Experiment: trials run, then all succeed."""
    def running(f):
        f.set_status("experiments", NS, NAME, experiment_status([CREATED, RUNNING]))
        f.put("trials", katib_trial(f"{NAME}-aaa", "0.01", "Running"))
        f.put("trials", katib_trial(f"{NAME}-bbb", "0.1", "Running"))

    def done(f):
        f.put("trials", katib_trial(f"{NAME}-aaa", "0.01", "Succeeded", "0.93"))
        f.put("trials", katib_trial(f"{NAME}-bbb", "0.1", "Succeeded", "0.97", loss="0.1"))
        f.put("trials", katib_trial(f"{NAME}-ccc", "0.5", "Failed"))
        f.put("trials", katib_trial(f"{NAME}-ddd", "0.2", "Succeeded", "0.95"))
        f.set_status("experiments", NS, NAME, experiment_status(
            [CREATED, {**RUNNING, "status": "False"},
             condition("Succeeded", "ExperimentMaxTrialsReached", "Experiment has succeeded because max trial count "
                                                                  "has reached")], f"{NAME}-bbb", "0.97"))
    return [running, done]


def katib_fails(fake) -> list:
    def failed(f):
        f.set_status("experiments", NS, NAME, experiment_status(
            [CREATED, condition("Failed", "ExperimentFailed",
                                'Suggestion has failed: Validation failed: Algorithm setting "n_startup_trials" '
                                "must be greater than 0")]))
    return [failed]


def created_experiment(fake) -> dict:
    posts = fake.seen("POST", "experiments")
    assert len(posts) == 1
    return posts[0].body


@pytest.mark.slow
def test_component_creates_the_experiment_and_outputs_the_top_k(fake_api, kubeconfig, kfp_local, capsys):
    from pipelines.components import search

    fake_api.timeline = katib_succeeds(fake_api)
    task = search(**SEARCH_ARGS)

    body = created_experiment(fake_api)
    assert body["metadata"]["name"] == NAME and body["metadata"]["namespace"] == NS
    spec = body["spec"]
    assert (spec["maxTrialCount"], spec["parallelTrialCount"], spec["maxFailedTrialCount"]) == (3, 2, 1)
    assert spec["algorithm"] == {"algorithmName": "tpe", "algorithmSettings": [{"name": "random_state", "value": "5"}]}
    assert [p["name"] for p in spec["parameters"]][:2] == ["lr", "optimizer"]
    pod = spec["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"]
    trainer = pod["containers"][0]
    assert trainer["image"] == "registry.example/kubetune-trainer:1"
    assert trainer["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert "--data=/datasets/digits" in trainer["args"] and "--val-ratio=0.2" in trainer["args"]
    assert f"--out=/models/kubetune/{NAME}/models/${{trialParameters.trialName}}" in trainer["args"]
    assert {v["name"]: v["persistentVolumeClaim"]["claimName"] for v in pod["volumes"]
            if "persistentVolumeClaim" in v} == {"datasets": "team-datasets", "models": "team-models"}

    top = task.outputs["top_trials"]
    assert [t["name"] for t in top] == [f"{NAME}-bbb", f"{NAME}-ddd"]  # top_k=2, best first, failed one left out
    assert top[0]["objective"] == pytest.approx(0.97)
    assert top[0]["params"] == {"lr": "0.1", "optimizer": "sgd"}
    assert top[0]["checkpoint"] == f"/models/kubetune/{NAME}/models/{NAME}-bbb/best.pt"
    assert task.outputs["best_trial"] == f"{NAME}-bbb"
    assert task.outputs["experiment_name"] == NAME
    assert task.outputs["metrics"].metadata["best_accuracy"] == pytest.approx(0.97)
    saved = json.loads((Path(task.outputs["experiment"].path) / "search.json").read_text())
    assert saved["status"]["currentOptimalTrial"]["bestTrialName"] == f"{NAME}-bbb"
    assert [t["state"] for t in saved["trials"]] == ["Succeeded", "Succeeded", "Succeeded", "Failed"]
    log = capsys.readouterr().out
    assert f"created Katib experiment {NS}/{NAME}" in log
    assert "trials 2: succeeded 0, running 2" in log  # progress while Katib runs it


@pytest.mark.slow
def test_component_fails_with_katibs_reason(fake_api, kubeconfig, kfp_local, capsys):
    from pipelines.components import search

    fake_api.timeline = katib_fails(fake_api)
    with pytest.raises(RuntimeError, match="FAILURE"):
        search(**SEARCH_ARGS)
    log = capsys.readouterr().out
    assert (f"SearchFailed: Katib experiment {NS}/{NAME} failed: ExperimentFailed: Suggestion has failed: "
            'Validation failed: Algorithm setting "n_startup_trials" must be greater than 0') in log


def test_already_exists_resumes_the_existing_experiment(fake_api, kubeconfig, tmp_path):
    # a retried step: the first attempt created the Experiment, which Katib has since finished
    lines: list[str] = []
    fake_api.timeline = katib_succeeds(fake_api)
    first = search_step(str(tmp_path / "first"), **SEARCH_ARGS, say=lines.append)
    posted = copy.deepcopy(created_experiment(fake_api))

    lines.clear()
    second = search_step(str(tmp_path / "second"), **SEARCH_ARGS, say=lines.append)
    posts = fake_api.seen("POST", "experiments")
    assert len(posts) == 2 and posts[1].body == posted  # same document sent again...
    assert len([k for k in fake_api.objects if k[0] == "experiments"]) == 1  # ...and nothing new was created
    assert any(f"{NS}/{NAME} already exists (a retried step): resuming" in line for line in lines)
    assert [t.name for t in second.top] == [t.name for t in first.top] == [f"{NAME}-bbb", f"{NAME}-ddd"]


def test_failed_experiment_raises_katibs_reason(fake_api, kubeconfig, tmp_path):
    fake_api.timeline = katib_fails(fake_api)
    with pytest.raises(SearchFailed, match="failed: ExperimentFailed: Suggestion has failed: Validation failed"):
        search_step(str(tmp_path / "out"), **SEARCH_ARGS, say=lambda _: None)
    assert (tmp_path / "out" / "experiment.yaml").is_file()  # what was submitted stays inspectable


def test_timeout_leaves_the_experiment_running_and_says_how_to_resume(fake_api, kubeconfig):
    from kubetune.steps.experiment import ExperimentSettings, render_experiment

    doc = render_experiment(ExperimentSettings(name=NAME, data_path="/datasets/d", trials_dir="/models/t", model="cells",
                                               namespace=NS, max_trials=2, parallel_trials=1))
    with pytest.raises(SearchFailed, match="has not finished after 1s; it keeps running on the cluster: retry"):
        run_katib(doc, trials_dir="/models/t", top_k=1, poll_interval=0.2, timeout=1.0, say=lambda _: None)
    assert fake_api.get("experiments", NS, NAME) is not None


def test_rbac_refusal_is_a_clear_cluster_error(fake_api, kubeconfig, tmp_path):
    from kubetune.cluster.client import Forbidden

    fake_api.forbid("POST", "experiments", "create", NS)
    with pytest.raises(Forbidden, match="RBAC forbids this: cannot create experiments.kubeflow.org in namespace team-a"):
        search_step(str(tmp_path / "out"), **SEARCH_ARGS, say=lambda _: None)


def test_katib_backend_refuses_paths_the_trials_cannot_see(tmp_path):
    from kubetune.steps.experiment import ExperimentSettingsError

    with pytest.raises(ExperimentSettingsError, match="dataset.*/home/me/digits.*not on a volume the Katib trials"):
        search_step(str(tmp_path), **{**SEARCH_ARGS, "data_path": "/home/me/digits"}, say=lambda _: None)


def test_no_trial_with_a_value_is_a_failure_not_an_empty_result(fake_api, kubeconfig, tmp_path):
    def all_failed(f):
        f.put("trials", katib_trial(f"{NAME}-aaa", "0.01", "Failed"))
        f.set_status("experiments", NS, NAME, experiment_status(
            [CREATED, condition("Succeeded", "ExperimentMaxTrialsReached", "max trial count reached")]))
    fake_api.timeline = [all_failed]
    with pytest.raises(SearchFailed, match="succeeded but no trial finished with accuracy"):
        search_step(str(tmp_path / "out"), **SEARCH_ARGS, say=lambda _: None)


def test_api_answer_after_create_error_is_reported(fake_api, kubeconfig, tmp_path):
    from kubetune.cluster.client import ClusterError

    fake_api.fail("POST", "experiments", 500, status_body(500, "InternalError", "etcdserver: request timed out"))
    with pytest.raises(ClusterError, match="etcdserver: request timed out"):
        search_step(str(tmp_path / "out"), **SEARCH_ARGS, say=lambda _: None)


def test_failed_experiment_says_what_the_trials_pods_say(fake_api, kubeconfig, tmp_path):
    """Katib's message says only that too many trials failed; the step's error adds why, from the
    failed trials' pods (kubetune.cluster.pods), as `kubetune trials -n` does."""
    from katib_objects import trial_pod

    def failed(f):
        f.put("trials", katib_trial(f"{NAME}-aaa", "0.01", "Failed"))
        f.pods[(NS, f"{NAME}-aaa-x7k2p")] = trial_pod(f"{NAME}-aaa", 2)
        f.pod_logs[(NS, f"{NAME}-aaa-x7k2p", "training")] = (
            "epoch=1 accuracy=0.1\n[trainer] error: data path /datasets/digits does not exist\n")
        f.set_status("experiments", NS, NAME, experiment_status(
            [CREATED, condition("Failed", "ExperimentMaxFailedTrialsReached",
                                "Experiment has failed because max failed count has reached")]))
    fake_api.timeline = [failed]
    with pytest.raises(SearchFailed) as info:
        search_step(str(tmp_path / "out"), **SEARCH_ARGS, say=lambda _: None)
    message = str(info.value)
    assert "max failed count has reached\nwhy trials failed:" in message, message
    assert f"{NAME}-aaa  Failed: exit code 2: [trainer] error: data path /datasets/digits does not exist" in message
