"""Why trials failed on a cluster: `trials`, `status` and `watch -n` read a failed trial's pod (its
primary container's exit code, OOMKilled, log tail) through the fake API server and say it the way
the local commands do, instead of Katib's "Job has reached the specified backoff limit"; RBAC 403
and deleted pods fall back to Katib's message with one note."""
from __future__ import annotations

import json

import pytest
from fake_apiserver import status_body
from katib_objects import NS, experiment_doc, failed_status, katib_defaulted, running_status, trial, trial_pod

KATIB_SAYS = "Job has reached the specified backoff limit"
TRAINER_ERROR = "epoch=1 accuracy=0.5 loss=0.7\nloading data\n[trainer] error: data path /x does not exist\n"
TRACEBACK = ('Traceback (most recent call last):\n  File "/app/train.py", line 12, in <module>\n    main()\n'
             '  File "/app/train.py", line 9, in main\n    raise ValueError("lr must be positive, got -0.1")\n'
             'ValueError: lr must be positive, got -0.1\n')


def klog(lines: str) -> str:
    """The collector sidecar's output: every line of the trial's file as a klog Info line, then its
    own complaint when the training container failed."""
    head = "I1122 10:00:04.000000       1 main.go:{}] {}"
    out = [head.format(400, "Trial Name: tiny-aaa")] + [head.format(143, ln) for ln in lines.splitlines()]
    out.append("F1122 10:00:50.000000       1 main.go:423] Failed to wait for worker container: training "
               "container is failed. Unable to read file /var/log/katib/7.pid for pid 7, error: open: no such file")
    return "\n".join(out) + "\n"


@pytest.fixture(autouse=True)
def wide(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # reasons on one line, not clipped to 80 columns


def _failed_experiment(fake, names: list[str]) -> None:
    fake.put("experiments", katib_defaulted(experiment_doc()))
    for i, name in enumerate(names):
        fake.put("trials", trial("tiny", name, f"0.{i + 1}", "Failed", created=f"2026-11-22T10:00:0{i + 1}Z"))
    fake.set_status("experiments", NS, "tiny", failed_status(names))


def _text(s: str) -> str:
    return " ".join(s.split())


def _log_reads(fake) -> list:
    return [r for r in fake.seen("GET") if r.path.endswith("/log")]


def test_trainer_error_line_is_the_reason(fake, kubeconfig, kt):
    _failed_experiment(fake, ["tiny-aaa"])
    fake.pods[(NS, "tiny-aaa-x7k2p")] = trial_pod("tiny-aaa", 2)
    fake.pod_logs[(NS, "tiny-aaa-x7k2p", "training")] = TRAINER_ERROR
    for command in ("trials", "status"):
        r = kt(command, "tiny", "-n", NS, "--kubeconfig", kubeconfig)
        assert r.rc == 0, r.err
        assert "tiny-aaa Failed: exit code 2: [trainer] error: data path /x does not exist" in _text(r.out), command
        assert KATIB_SAYS not in r.out and "note" not in r.err
    read = _log_reads(fake)[-1]
    assert read.path == f"/api/v1/namespaces/{NS}/pods/tiny-aaa-x7k2p/log"
    assert read.query["container"] == ["training"] and read.query["tailLines"] == ["20"]
    assert int(read.query["limitBytes"][0]) <= 64 * 1024
    pods = [r for r in fake.seen("GET") if r.path.endswith("/pods")]
    assert pods[-1].query["labelSelector"] == ["katib.kubeflow.org/trial in (tiny-aaa)"]


def test_traceback_from_the_stdout_collector_sidecar(fake, kubeconfig, kt):
    """Katib's StdOut collector sends the primary container's output to a file that its sidecar
    prints (klog lines): the reason is the exception, not the sidecar's own complaint."""
    _failed_experiment(fake, ["tiny-aaa"])
    fake.pods[(NS, "tiny-aaa-x7k2p")] = trial_pod("tiny-aaa", 1, collector=True)
    fake.pod_logs[(NS, "tiny-aaa-x7k2p", "metrics-logger-and-collector")] = klog(TRACEBACK)
    r = kt("trials", "tiny", "-n", NS, "--kubeconfig", kubeconfig)
    assert r.rc == 0, r.err
    assert "tiny-aaa Failed: exit code 1: ValueError: lr must be positive, got -0.1" in _text(r.out)
    assert "Failed to wait" not in r.out
    assert [q.query["container"] for q in _log_reads(fake)] == [["training"], ["metrics-logger-and-collector"]]


def test_oomkilled_says_so_with_the_memory_limit(fake, kubeconfig, kt):
    _failed_experiment(fake, ["tiny-aaa"])
    fake.pods[(NS, "tiny-aaa-x7k2p")] = trial_pod("tiny-aaa", 137, "OOMKilled", memory_limit="512Mi")
    fake.pod_logs[(NS, "tiny-aaa-x7k2p", "training")] = "epoch=1 accuracy=0.5\nloading batch 12\n"
    r = kt("status", "tiny", "-n", NS, "--kubeconfig", kubeconfig)
    assert r.rc == 0, r.err
    assert ("tiny-aaa Failed: OOMKilled: container training ran out of memory (memory limit 512Mi), exit code 137"
            in _text(r.out))


def test_rbac_403_on_logs_falls_back_to_katib_with_one_note(fake, kubeconfig, kt):
    _failed_experiment(fake, ["tiny-aaa", "tiny-bbb"])
    for name in ("tiny-aaa", "tiny-bbb"):
        fake.pods[(NS, f"{name}-x7k2p")] = trial_pod(name, 2)
        fake.pod_logs[(NS, f"{name}-x7k2p", "training")] = TRAINER_ERROR
    fake.forbid("GET", "pods/log", "get", NS)
    r = kt("trials", "tiny", "-n", NS, "--kubeconfig", kubeconfig)
    assert r.rc == 0, r.err
    assert "!! exit code 2: Trial has failed. Job message: " + KATIB_SAYS in _text(r.out)  # both alike
    assert _text(r.err).count("RBAC forbids `get pods/log` in namespace team-a") == 1
    assert "kubectl auth can-i get pods/log -n team-a" in _text(r.err)
    assert len(_log_reads(fake)) == 1  # no second try after the 403


def test_rbac_403_on_listing_pods(fake, kubeconfig, kt):
    _failed_experiment(fake, ["tiny-aaa"])
    fake.forbid("GET", "pods", "list", NS)
    r = kt("status", "tiny", "-n", NS, "--kubeconfig", kubeconfig)
    assert r.rc == 0, r.err
    assert "tiny-aaa Failed: Trial has failed. Job message: " + KATIB_SAYS in _text(r.out)
    assert "RBAC forbids `list pods` in namespace team-a" in _text(r.err)
    assert len([q for q in fake.seen("GET") if q.path.endswith("/pods")]) == 1 and not _log_reads(fake)


def test_deleted_pods_fall_back_to_katib(fake, kubeconfig, kt):
    _failed_experiment(fake, ["tiny-aaa", "tiny-bbb"])
    # tiny-aaa: its pod is gone (retain: false); tiny-bbb: listed, then deleted before its log is read
    fake.pods[(NS, "tiny-bbb-x7k2p")] = trial_pod("tiny-bbb", 2)
    fake.fail("GET", "pods/log", 404, status_body(404, "NotFound", 'pods "tiny-bbb-x7k2p" not found',
                                                  {"name": "tiny-bbb-x7k2p", "kind": "pods"}))
    r = kt("trials", "tiny", "-n", NS, "--kubeconfig", kubeconfig)
    assert r.rc == 0, r.err
    text = _text(r.out)
    assert "tiny-aaa Failed: Trial has failed. Job message: " + KATIB_SAYS in text
    assert "tiny-bbb Failed: exit code 2: Trial has failed. Job message: " + KATIB_SAYS in text
    err = _text(r.err)
    assert "pods of some failed trials are gone" in err and "pod tiny-bbb-x7k2p no longer exists" in err
    # one list by Katib's trial label, then one by each job label for the trial still without a pod
    selectors = [q.query["labelSelector"][0] for q in fake.seen("GET") if q.path.endswith("/pods")]
    assert selectors == ["katib.kubeflow.org/trial in (tiny-bbb,tiny-aaa)", "job-name in (tiny-aaa)",
                         "training.kubeflow.org/job-name in (tiny-aaa)"]


def test_pods_without_katibs_label_are_found_by_their_job(fake, kubeconfig, kt):
    _failed_experiment(fake, ["tiny-aaa"])
    fake.pods[(NS, "tiny-aaa-master-0")] = trial_pod("tiny-aaa", 2, pod="tiny-aaa-master-0", labels={
        "training.kubeflow.org/job-name": "tiny-aaa", "training.kubeflow.org/replica-type": "master"})
    fake.pod_logs[(NS, "tiny-aaa-master-0", "training")] = TRAINER_ERROR
    r = kt("trials", "tiny", "-n", NS, "--kubeconfig", kubeconfig)
    assert "exit code 2: [trainer] error: data path /x does not exist" in _text(r.out)


def test_a_failed_init_container_and_metrics_unavailable(fake, kubeconfig, kt):
    _failed_experiment(fake, ["tiny-aaa"])
    pod = trial_pod("tiny-aaa", None, "PodInitializing")
    pod["spec"]["initContainers"] = [{"name": "fetch-dataset", "image": "minio/mc"}]
    pod["status"]["initContainerStatuses"] = [{"name": "fetch-dataset", "state": {"terminated": {
        "exitCode": 1, "reason": "Error"}}}]
    fake.pods[(NS, "tiny-aaa-x7k2p")] = pod
    fake.pod_logs[(NS, "tiny-aaa-x7k2p", "fetch-dataset")] = "mc: <ERROR> Unable to connect to minio:9000\n"
    fake.put("trials", trial("tiny", "tiny-bbb", "0.2", "MetricsUnavailable", created="2026-11-22T10:00:02Z"))
    fake.pods[(NS, "tiny-bbb-x7k2p")] = trial_pod("tiny-bbb", 0, "Completed")
    fake.pod_logs[(NS, "tiny-bbb-x7k2p", "training")] = "epoch 1 done, acc 0.5\n"
    r = kt("trials", "tiny", "-n", NS, "--kubeconfig", kubeconfig)
    text = _text(r.out)
    assert "init container fetch-dataset: exit code 1: mc: <ERROR> Unable to connect to minio:9000" in text
    assert "tiny-bbb MetricsUnavailable: Metrics are not available (exit code 0): epoch 1 done, acc 0.5" in text


def test_same_failure_is_said_once_and_json_reads_no_pod(fake, kubeconfig, kt):
    names = ["tiny-aaa", "tiny-bbb", "tiny-ccc"]
    _failed_experiment(fake, names)
    for name in names:
        fake.pods[(NS, f"{name}-x7k2p")] = trial_pod(name, 2)
        fake.pod_logs[(NS, f"{name}-x7k2p", "training")] = TRAINER_ERROR
    r = kt("trials", "tiny", "-n", NS, "--kubeconfig", kubeconfig)
    text = _text(r.out)
    assert "!! 3 of 3 finished trials failed the same way" in text
    assert "!! [trainer] error: data path /x does not exist" in text
    assert len([q for q in fake.seen("GET") if q.path.endswith("/pods")]) == 1  # one list for all three
    before = len(fake.requests)
    r = kt("trials", "tiny", "-n", NS, "--kubeconfig", kubeconfig, "-o", "json")
    assert json.loads(r.out)[0]["message"].endswith(KATIB_SAYS)
    assert not [q for q in fake.requests[before:] if "/pods" in q.path]


def test_watch_says_why_on_the_failure_line_and_at_the_end(fake, kubeconfig, kt):
    def running(f):
        f.put("experiments", katib_defaulted(experiment_doc(max_trials=3)))
        f.set_status("experiments", NS, "tiny", running_status(["tiny-aaa"]))
        f.put("trials", trial("tiny", "tiny-aaa", "0.1", "Running", created="2026-11-22T10:00:01Z"))

    def one_failed(f):
        f.put("trials", trial("tiny", "tiny-aaa", "0.1", "Failed", created="2026-11-22T10:00:01Z"))
        f.put("trials", trial("tiny", "tiny-bbb", "0.2", "Running", created="2026-11-22T10:00:02Z"))
        f.pods[(NS, "tiny-aaa-x7k2p")] = trial_pod("tiny-aaa", 137, "OOMKilled", memory_limit="1Gi")

    def all_failed(f):
        for i, name in enumerate(["tiny-bbb", "tiny-ccc"], 2):
            f.put("trials", trial("tiny", name, f"0.{i}", "Failed", created=f"2026-11-22T10:00:0{i}Z"))
            f.pods[(NS, f"{name}-x7k2p")] = trial_pod(name, 137, "OOMKilled", memory_limit="1Gi")
        f.set_status("experiments", NS, "tiny", failed_status(["tiny-aaa", "tiny-bbb", "tiny-ccc"]))

    fake.timeline = [running, running, one_failed, one_failed, all_failed, all_failed]
    r = kt("watch", "tiny", "-n", NS, "--kubeconfig", kubeconfig, "--interval", "0.2")
    assert r.rc == 1
    oom = "OOMKilled: container training ran out of memory (memory limit 1Gi), exit code 137"
    err = _text(r.err)
    assert f"failed tiny-aaa ({oom})" in err and f"failed tiny-ccc ({oom})" in err
    assert err.count("failed tiny-aaa") == 1  # said once, however many polls see it
    assert "!! 3 of 3 finished trials failed the same way (e.g. tiny-aaa):" in err
    assert f"!! 3 of 3 finished trials failed the same way (e.g. tiny-aaa): !! {oom}" in _text(r.out)
    assert KATIB_SAYS not in r.out
    # each failed trial's pod is looked up once however many polls see it
    assert len([q for q in fake.seen("GET") if q.path.endswith("/pods")]) == 2
