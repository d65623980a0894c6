"""`kubetune submit` against the fake API server: the body sent, namespaces, 409 handling
(--resume/--replace), dry runs, and invalid Experiments stopped before any request."""
from __future__ import annotations

import copy

import pytest
import yaml
from katib_objects import NS, experiment_doc, write


def test_submit_creates_exactly_the_experiment_in_the_file(fake, kubeconfig, kt, tmp_path):
    doc = experiment_doc()
    path = write(tmp_path / "exp.yaml", doc)
    r = kt("submit", path, "-n", NS, "--kubeconfig", kubeconfig)
    assert r.rc == 0, r.err
    assert "experiment team-a/tiny created" in r.err and "kubetune watch tiny -n team-a" in r.err
    posts = fake.seen("POST")
    assert len(posts) == 1
    assert posts[0].path == "/apis/kubeflow.org/v1beta1/namespaces/team-a/experiments"
    assert posts[0].body == doc  # as written: Katib's webhook does the defaulting, as for kubectl apply
    assert "dryRun" not in posts[0].query
    assert [r.method for r in fake.requests] == ["POST"]  # nothing else was touched
    assert fake.get("experiments", NS, "tiny")["spec"] == doc["spec"]


def test_namespace_from_flag_then_file_then_context(fake, kubeconfig, kt, tmp_path):
    # -n wins over the file's namespace (said on stderr)
    path = write(tmp_path / "exp.yaml", experiment_doc(namespace="kubeflow-user"))
    r = kt("submit", path, "-n", "team-b", "--kubeconfig", kubeconfig)
    assert r.rc == 0, r.err
    assert "metadata.namespace kubeflow-user replaced by -n team-b" in r.err
    assert fake.seen("POST")[-1].body["metadata"]["namespace"] == "team-b"
    assert fake.get("experiments", "team-b", "tiny") is not None
    # no -n: the file's namespace
    r = kt("submit", path, "--kubeconfig", kubeconfig)
    assert r.rc == 0, r.err
    assert fake.get("experiments", "kubeflow-user", "tiny") is not None
    # neither: the kubeconfig context's namespace (team-a)
    path = write(tmp_path / "nons.yaml", experiment_doc(name="nons", namespace=None))
    r = kt("submit", path, "--kubeconfig", kubeconfig)
    assert r.rc == 0, r.err
    assert fake.seen("POST")[-1].path.endswith("/namespaces/team-a/experiments")
    assert fake.get("experiments", NS, "nons")["metadata"]["namespace"] == NS


def test_name_flag_renames(fake, kubeconfig, kt, tmp_path):
    path = write(tmp_path / "exp.yaml", experiment_doc())
    r = kt("submit", path, "-n", NS, "--name", "tiny-2", "--kubeconfig", kubeconfig)
    assert r.rc == 0, r.err
    assert fake.seen("POST")[0].body["metadata"]["name"] == "tiny-2"


def test_existing_experiment_409_explains_resume_and_replace(fake, kubeconfig, kt, tmp_path):
    path = write(tmp_path / "exp.yaml", experiment_doc())
    assert kt("submit", path, "-n", NS, "--kubeconfig", kubeconfig).rc == 0
    uid = fake.get("experiments", NS, "tiny")["metadata"]["uid"]
    r = kt("submit", path, "-n", NS, "--kubeconfig", kubeconfig)
    assert r.rc == 1
    assert "experiment tiny already exists in namespace team-a" in r.err
    assert "--resume" in r.err and "--replace" in r.err
    assert "Traceback" not in r.err
    assert fake.get("experiments", NS, "tiny")["metadata"]["uid"] == uid
    assert not fake.seen("DELETE")


def test_resume_leaves_the_existing_experiment(fake, kubeconfig, kt, tmp_path):
    path = write(tmp_path / "exp.yaml", experiment_doc())
    assert kt("submit", path, "-n", NS, "--kubeconfig", kubeconfig).rc == 0
    before = copy.deepcopy(fake.get("experiments", NS, "tiny"))
    changed = experiment_doc(max_trials=9)
    r = kt("submit", write(tmp_path / "changed.yaml", changed), "-n", NS, "--resume", "--kubeconfig", kubeconfig)
    assert r.rc == 0, r.err
    assert "already exists: left as it is" in r.err and "was not applied" in r.err
    assert fake.get("experiments", NS, "tiny") == before  # the file's maxTrialCount 9 was not applied
    assert not fake.seen("DELETE")


def test_replace_deletes_waits_until_gone_then_creates(fake, kubeconfig, kt, tmp_path):
    path = write(tmp_path / "exp.yaml", experiment_doc())
    assert kt("submit", path, "-n", NS, "--kubeconfig", kubeconfig).rc == 0
    old_uid = fake.get("experiments", NS, "tiny")["metadata"]["uid"]
    fake.linger_gets = 2  # the deleted Experiment stays visible (finalizers) for two GETs
    changed = experiment_doc(max_trials=3)
    r = kt("submit", write(tmp_path / "changed.yaml", changed), "-n", NS, "--replace", "--kubeconfig", kubeconfig)
    assert r.rc == 0, r.err
    assert "replaced" in r.err
    methods = [s.method for s in fake.requests]
    first_post = methods.index("POST")  # the first submit
    rest = methods[first_post + 1:]
    assert rest[0] == "POST" and rest[1] == "DELETE"  # 409, then delete
    assert rest[-1] == "POST" and rest.count("GET") >= 3  # waited until a GET said 404, then created
    delete = fake.seen("DELETE")[0]
    assert delete.query.get("propagationPolicy") == ["Foreground"]
    now = fake.get("experiments", NS, "tiny")
    assert now["metadata"]["uid"] != old_uid and now["spec"]["maxTrialCount"] == 3


def test_resume_and_replace_are_exclusive(kt, tmp_path):
    path = write(tmp_path / "exp.yaml", experiment_doc())
    with pytest.raises(SystemExit) as e:
        kt("submit", path, "-n", NS, "--resume", "--replace")
    assert e.value.code == 2


def test_client_dry_run_contacts_nothing(fake, kubeconfig, kt, tmp_path):
    doc = experiment_doc()
    r = kt("submit", write(tmp_path / "exp.yaml", doc), "-n", "team-z", "--dry-run", "--kubeconfig", kubeconfig)
    assert r.rc == 0, r.err
    assert fake.requests == []
    sent = yaml.safe_load(r.out)
    assert sent == {**doc, "metadata": {"name": "tiny", "namespace": "team-z"}}


def test_server_dry_run_stores_nothing(fake, kubeconfig, kt, tmp_path):
    r = kt("submit", write(tmp_path / "exp.yaml", experiment_doc()), "-n", NS, "--dry-run=server",
           "--kubeconfig", kubeconfig)
    assert r.rc == 0, r.err
    (post,) = fake.seen("POST")
    assert post.query.get("dryRun") == ["All"]
    assert fake.get("experiments", NS, "tiny") is None
    assert "accept team-a/tiny" in r.err and yaml.safe_load(r.out)["metadata"]["name"] == "tiny"


# -- bad input: fails before touching the cluster ------------------------------------------------
def _invalid_variants() -> dict[str, tuple[dict, str]]:
    wrong_type = experiment_doc()
    wrong_type["spec"]["parameters"][0]["feasibleSpace"]["min"] = 0.0  # Katib wants strings
    bad_rules = experiment_doc()
    bad_rules["spec"]["algorithm"]["algorithmName"] = "tpee"
    bad_rules["spec"]["objective"]["type"] = "maximise"
    bad_name = experiment_doc(name="Tiny_Exp")
    return {
        "wrong JSON type": (wrong_type, "spec.parameters[0].feasibleSpace.min"),
        "webhook rules": (bad_rules, "spec.algorithm.algorithmName"),
        "name": (bad_name, "metadata.name"),
    }


@pytest.mark.parametrize("case", list(_invalid_variants()))
def test_invalid_experiment_exits_2_and_sends_nothing(fake, kubeconfig, kt, tmp_path, case):
    doc, field = _invalid_variants()[case]
    r = kt("submit", write(tmp_path / "bad.yaml", doc), "-n", NS, "--kubeconfig", kubeconfig)
    assert r.rc == 2
    assert field in r.err
    assert "not submitted" in r.err and "nothing was sent to the cluster" in r.err
    assert fake.requests == []


def test_strict_turns_warnings_into_errors_before_any_request(fake, kubeconfig, kt, tmp_path):
    doc = experiment_doc()
    del doc["spec"]["maxFailedTrialCount"]  # lint: failing trials never fail the experiment
    path = write(tmp_path / "warn.yaml", doc)
    r = kt("submit", path, "-n", NS, "--strict", "--kubeconfig", kubeconfig)
    assert r.rc == 2 and "error: spec.maxFailedTrialCount" in r.err.replace("tiny: ", "")
    assert fake.requests == []
    r = kt("submit", path, "-n", NS, "--kubeconfig", kubeconfig)  # without --strict: a warning, then created
    assert r.rc == 0 and "warning" in r.err
    assert len(fake.seen("POST")) == 1


def test_missing_file_and_empty_input(fake, kubeconfig, kt, tmp_path):
    r = kt("submit", tmp_path / "nope.yaml", "-n", NS, "--kubeconfig", kubeconfig)
    assert r.rc == 2 and "nope.yaml" in r.err
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    r = kt("submit", tmp_path / "cm.yaml", "-n", NS, "--kubeconfig", kubeconfig)
    assert r.rc == 2 and "no Experiment" in r.err
    assert fake.requests == []
