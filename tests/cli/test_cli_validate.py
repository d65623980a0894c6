"""The `kubetune` command's validate path and its errors (run paths are in tests/engine)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KT = [sys.executable, "-m", "kubetune.cli"]


def kubetune(*args, cwd=None):
    return subprocess.run(KT + list(args), capture_output=True, text=True, timeout=120, cwd=cwd)


def test_validate_shipped_examples_strict():
    r = kubetune("validate", "--strict", str(ROOT / "examples/demo/experiment.yaml"))
    assert r.returncode == 0, r.stderr
    assert "valid" in r.stdout


def test_validate_reports_every_error_with_its_path(tmp_path):
    text = (ROOT / "examples/demo/experiment.yaml").read_text()
    bad = text.replace("type: maximize", "type: maximise").replace("algorithmName: tpe", "algorithmName: tpee")
    (tmp_path / "bad.yaml").write_text(bad)
    r = kubetune("validate", str(tmp_path / "bad.yaml"))
    assert r.returncode == 1
    assert "spec.objective.type" in r.stderr
    assert "spec.algorithm.algorithmName" in r.stderr
    # a wrong JSON type fails Katib's decode, before the rules: named with the fix
    (tmp_path / "typed.yaml").write_text(text.replace('min: "0.002"', "min: 0.002"))
    r = kubetune("validate", str(tmp_path / "typed.yaml"))
    assert r.returncode == 1 and 'spec.parameters[0].feasibleSpace.min' in r.stderr and 'min: "0.002"' in r.stderr


def test_malformed_yaml_and_missing_file(tmp_path):
    (tmp_path / "broken.yaml").write_text("spec: [unclosed\n")
    r = kubetune("validate", str(tmp_path / "broken.yaml"), str(tmp_path / "missing.yaml"))
    assert r.returncode == 1
    assert "broken.yaml" in r.stderr and "missing.yaml" in r.stderr


def test_run_refuses_invalid_file_and_reading_unknown_experiment(tmp_path):
    (tmp_path / "bad.yaml").write_text("apiVersion: kubeflow.org/v1beta1\nkind: Experiment\nmetadata: {name: x}\nspec: {}\n")
    r = kubetune("run", str(tmp_path / "bad.yaml"), "--workdir", str(tmp_path))
    assert r.returncode == 2 and "spec." in r.stderr
    assert not (tmp_path / "x").exists()  # nothing started, no state written
    r = kubetune("status", "nope", "--workdir", str(tmp_path))
    assert r.returncode == 2 and "no experiment 'nope'" in r.stderr


def test_each_file_is_parsed_once(monkeypatch, capsys):
    """validate/run read an Experiment or SearchSpace file's YAML once (the space detection and the
    loader share the parsed documents); `--name` renames before the one check."""
    import yaml

    from kubetune.cli import main
    from kubetune.cli.load import load_one

    parsed = []
    real = yaml.safe_load_all

    def counting(stream, *args, **kwargs):
        parsed.append(stream)
        return real(stream, *args, **kwargs)

    monkeypatch.setattr(yaml, "safe_load_all", counting)
    for path in (ROOT / "examples/demo/experiment.yaml", ROOT / "examples/optuna/lecture-nas.yaml"):
        parsed.clear()
        assert main(["validate", str(path)]) == 0, capsys.readouterr().err
        assert len(parsed) == 1, path
        parsed.clear()
        exp = load_one(str(path), "renamed")
        assert len(parsed) == 1 and exp.name == "renamed" and exp.raw["metadata"]["name"] == "renamed"
