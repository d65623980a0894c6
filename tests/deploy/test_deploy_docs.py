"""docs/cluster.md is followed word for word: its helm commands render, its sed loop yields valid
Experiments naming the user's registry, and every file and value it mentions exists."""
from __future__ import annotations

import os
import re
import shlex

import yaml

from deploy_helpers import CHART, EXPERIMENTS, KUBETUNE, ROOT, load_docs, primary_container, run

DOC = (ROOT / "docs" / "cluster.md").read_text()
ENV = {"NS": "team-a", "REGISTRY": "registry.example.com/team", "TAG": "1.2.3"}


def _commands(prefix: str) -> list[str]:
    """Shell commands of the doc's code blocks starting with `prefix` (continuations joined)."""
    blocks = re.findall(r"```bash\n(.*?)```", DOC, re.S)
    text = "\n".join(blocks).replace("\\\n", " ")
    return [line.strip() for line in text.splitlines() if line.strip().startswith(prefix)]


def _expand(command: str) -> list[str]:
    for key, value in ENV.items():
        command = command.replace(f"${key}", value)
    return shlex.split(command.split(" #", 1)[0])


def test_the_doc_sets_the_variables_it_uses():
    for key in ENV:
        assert f"export {key}=" in DOC


def test_its_helm_install_commands_render(tool):
    installs = _commands("helm install kubetune charts/kubetune")
    assert len(installs) == 2
    for command in installs:
        argv = _expand(command)
        argv[:4] = [tool("helm"), "template", "kubetune", str(CHART)]
        result = run(argv, timeout=120)
        assert result.returncode == 0, (command, result.stderr)
        docs = load_docs(result.stdout)
        (cm,) = [d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "kubetune-experiments"]
        vit = yaml.safe_load(cm["data"]["vit.yaml"])
        assert primary_container(vit)["image"] == "registry.example.com/team/kubetune-trainer:1.2.3"
        claims = {d["metadata"]["name"] for d in docs if d["kind"] == "PersistentVolumeClaim"}
        assert {"kubetune-datasets", "kubetune-models"} <= claims  # the names manifests/ uses


def test_its_sed_loop_makes_valid_experiments_for_the_registry(tmp_path):
    (loop,) = re.findall(r"mkdir -p my\n(for f in .*?done)\n", DOC, re.S)
    (tmp_path / "manifests").symlink_to(ROOT / "manifests")  # run it as from the repository root
    result = run(["bash", "-euc", "mkdir -p my\n" + loop], cwd=tmp_path, env={**os.environ, **ENV}, timeout=60)
    assert result.returncode == 0, result.stderr
    made = tmp_path / "my"
    files = sorted(p.name for p in made.glob("*.yaml"))
    assert "efficientnet-b0.yaml" in files and "shell.yaml" in files and "prepare-digits.yaml" in files
    for path in made.glob("*.yaml"):
        for ref in re.findall(r"image: (\S+)", path.read_text()):
            assert not ref.startswith("ghcr.io/kubetune/"), (path.name, ref)
            if "kubetune-" in ref:
                assert ref.startswith("registry.example.com/team/kubetune-") and ref.endswith(":1.2.3"), ref
    experiments = [str(made / n) for n in files if (EXPERIMENTS / n).exists() and n != "local.yaml"]
    assert len(experiments) == 6
    check = run([*KUBETUNE, "validate", "--strict", *experiments], timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr


def test_every_file_and_value_it_names_exists():
    for name in re.findall(r"\bmy/([\w.-]+\.yaml)", DOC):
        assert (EXPERIMENTS / name).exists() or (ROOT / "manifests" / "jobs" / name).exists(), name
    for path in re.findall(r"\b((?:manifests|charts|images|docs|scripts)/[\w./-]+\.(?:yaml|md|sh|txt))", DOC):
        assert (ROOT / path).exists(), path
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    for key in re.findall(r"`((?:gpu|trial|storage|experimentTemplates|images|minio|networkPolicy)\.[\w.]+)", DOC):
        if key.endswith((".yaml", ".md")):
            continue  # a file name (`storage.yaml`), not a value
        node = values
        for part in key.split("."):
            assert isinstance(node, dict) and part in node, f"docs/cluster.md names value {key}, not in values.yaml"
            node = node[part]
