"""images/: hadolint, the Dockerfiles' shape, pins vs constraints.txt, the build script, and that
each image's requirements resolve on the package index (pip --dry-run)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from deploy_helpers import ROOT, run

IMAGES = ROOT / "images"
DOCKERFILES = sorted(IMAGES.glob("Dockerfile.*"))
REQUIREMENTS = sorted(IMAGES.glob("requirements-*.txt"))
OCI_LABELS = ("title", "description", "version", "revision", "created", "licenses", "source")


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        name, sep, version = line.partition("==")
        assert sep, f"{path.name}: {line!r} is not pinned with =="
        pins[re.sub(r"[-_.]+", "-", name).lower()] = version
    return pins


def _instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    text = re.sub(r"\\\n", " ", dockerfile.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_four_dockerfiles_and_their_requirements_exist():
    assert [p.name for p in DOCKERFILES] == ["Dockerfile.pipeline", "Dockerfile.services", "Dockerfile.trainer",
                                             "Dockerfile.trainer-cpu"]
    assert {p.name for p in REQUIREMENTS} == {
        "requirements-pipeline.txt", "requirements-services.txt", "requirements-torch-cpu.txt",
        "requirements-trainer.txt"}


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_hadolint_clean(tool, dockerfile):
    result = run([tool("hadolint"), "--no-color", str(dockerfile)], timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_does_report_problems(tool, tmp_path):
    """The check above is only worth something if hadolint flags what it should."""
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM ubuntu\nRUN apt-get update && apt-get install -y curl\n")
    result = run([tool("hadolint"), "--no-color", str(bad)], timeout=60)
    assert result.returncode != 0
    assert "DL3006" in result.stdout and "DL3008" in result.stdout


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_dockerfile_is_multistage_pinned_nonroot_and_labelled(dockerfile):
    steps = _instructions(dockerfile)
    args = {rest.split("=", 1)[0]: rest.split("=", 1)[1] for word, rest in steps if word == "ARG" and "=" in rest}
    froms = [rest for word, rest in steps if word == "FROM"]
    assert len(froms) >= 2 and " AS builder" in froms[0], f"{dockerfile.name}: not multi-stage: {froms}"
    for base in froms:
        image = base.split()[0]
        image = args.get(image.strip("${}"), image) if image.startswith("$") else image
        assert ":" in image and not image.endswith(":latest"), f"{dockerfile.name}: base {image} not pinned by tag"
    assert any(word == "COPY" and "--from=builder" in rest for word, rest in steps)
    final = steps[max(i for i, (w, _) in enumerate(steps) if w == "FROM"):]
    users = [rest for word, rest in final if word == "USER"]
    assert users and users[-1].split(":")[0] not in ("0", "root"), f"{dockerfile.name}: runs as root"
    labels = " ".join(rest for word, rest in final if word == "LABEL")
    for key in OCI_LABELS:
        assert f"org.opencontainers.image.{key}=" in labels, f"{dockerfile.name}: OCI label {key} missing"
    # pip installs are pinned: a requirements file, or name==version
    for word, rest in steps:
        if word == "RUN" and "pip install" in rest:
            for part in rest.split("pip install")[1:]:
                tokens = [t for t in part.split("&&")[0].split() if not t.startswith("-")]
                assert all("==" in t or t.startswith("/") for t in tokens), f"{dockerfile.name}: unpinned {part!r}"


@pytest.mark.parametrize("name", ["trainer", "trainer-cpu"])
def test_trainer_images_start_python_m_trainer(name):
    steps = _instructions(IMAGES / f"Dockerfile.{name}")
    entry = [rest for word, rest in steps if word == "ENTRYPOINT"][-1]
    assert entry == '["python", "-m", "trainer"]'
    assert any(word == "COPY" and rest.startswith("trainer/") for word, rest in steps)


def test_gpu_image_is_on_a_cuda_runtime_base():
    text = (IMAGES / "Dockerfile.trainer").read_text()
    assert re.search(r"ARG CUDA_IMAGE=nvidia/cuda:\d+\.\d+\.\d+-cudnn-runtime-ubuntu\d+\.\d+\n", text)


def test_requirement_pins_match_constraints():
    constraints = _pins(ROOT / "constraints.txt")
    for req in REQUIREMENTS:
        pins = _pins(req)
        assert pins, req.name
        for name, version in pins.items():
            base = version.split("+", 1)[0]  # torch==2.15.0+cpu pins the CPU build of 2.15.0
            assert constraints.get(name) == base, (
                f"{req.name}: {name}=={version}, constraints.txt has {constraints.get(name)}")
        if req.name != "requirements-torch-cpu.txt":
            assert "-c ../constraints.txt" in req.read_text(), f"{req.name}: transitive pins missing"


def test_trainer_requirements_cover_the_trainers_imports():
    """Every third-party module trainer/ imports is in requirements-trainer.txt."""
    modules = set()
    for path in (ROOT / "trainer").rglob("*.py"):
        for match in re.finditer(r"^\s*(?:from|import) ([A-Za-z_][A-Za-z0-9_]*)", path.read_text(), re.M):
            modules.add(match.group(1))
    stdlib = set(sys.stdlib_module_names) | {"trainer", "__future__"}
    dist = {"PIL": "pillow", "yaml": "pyyaml", "sklearn": "scikit-learn", "efficientnet_pytorch": "efficientnet-pytorch",
            "vit_pytorch": "vit-pytorch"}
    pins = _pins(IMAGES / "requirements-trainer.txt")
    missing = sorted(m for m in modules - stdlib if dist.get(m, m).replace("_", "-").lower() not in pins)
    assert not missing, f"trainer imports {missing}, not in images/requirements-trainer.txt"


def test_build_script_dry_run_builds_and_pushes_all_four():
    env = {**os.environ, "DRY_RUN": "1", "REGISTRY": "registry.example.com/team", "TAG": "1.2.3", "ENGINE": "podman"}
    result = run(["bash", "scripts/build-images.sh"], env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    for image in ("trainer", "trainer-cpu", "pipeline", "services"):
        ref = f"registry.example.com/team/kubetune-{image}:1.2.3"
        assert any(l.startswith("+ podman build") and f"--file images/Dockerfile.{image} " in l and ref in l
                   and "--build-arg VERSION=1.2.3" in l for l in lines), result.stdout
        assert f"+ podman push {ref}" in lines


@pytest.mark.parametrize("env, message", [
    ({"REGISTRY": ""}, "REGISTRY is not set"),
    ({"REGISTRY": "r.example/", "TAG": "1"}, "must not end with '/'"),
    ({"REGISTRY": "r.example", "TAG": "bad tag"}, "not a valid image tag"),
    ({"REGISTRY": "r.example", "IMAGES": "nope"}, "unknown image 'nope'"),
])
def test_build_script_rejects_bad_input(env, message):
    result = run(["bash", "scripts/build-images.sh"], env={**os.environ, "DRY_RUN": "1", **env}, timeout=60)
    assert result.returncode == 2 and message in result.stderr, result.stderr


def test_trainer_images_hold_every_dependency_of_the_project():
    """The trainer images install the project (kubetune + trainer) with --no-deps on top of
    requirements-trainer.txt + requirements-pipeline.txt: those must cover pyproject's dependencies."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    deps = project["project"]["dependencies"]
    names = {re.sub(r"[-_.]+", "-", re.split(r"[<>=!~\[ ;]", d, 1)[0]).lower() for d in deps}
    pinned = set(_pins(IMAGES / "requirements-trainer.txt")) | set(_pins(IMAGES / "requirements-pipeline.txt"))
    assert names - pinned == set()
    packages = {p.split(".")[0].rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]}
    for name in ("trainer", "trainer-cpu"):
        text = (IMAGES / f"Dockerfile.{name}").read_text()
        assert "-r /build/images/requirements-pipeline.txt" in text and "--no-deps --no-build-isolation /build/src" in text
        for package in packages:  # every package of the project is copied in before the install
            assert f"COPY {package}/ /build/src/{package}/" in text, (name, package)


@pytest.mark.slow
@pytest.mark.parametrize("requirements", [("requirements-trainer.txt", "requirements-pipeline.txt"),
                                          ("requirements-pipeline.txt",), ("requirements-services.txt",)],
                         ids=["trainer-image", "pipeline-image", "services-image"])
def test_image_requirements_resolve_on_the_index(requirements, tmp_path):
    """What `pip install -r ...` in the Dockerfile does, without installing: a pin that does not
    exist or conflicts fails here. (requirements-torch-cpu.txt needs PyTorch's own index, which this
    machine cannot reach; its versions are checked against constraints.txt above.)"""
    import json

    report = tmp_path / "report.json"
    files = [arg for name in requirements for arg in ("-r", str(IMAGES / name))]
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
         "--report", str(report), *files],
        capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-4000:]
    installed = {re.sub(r"[-_.]+", "-", i["metadata"]["name"]).lower(): i["metadata"]["version"]
                 for i in json.loads(report.read_text())["install"]}
    for name in requirements:
        for package, version in _pins(IMAGES / name).items():
            assert installed.get(package) == version, f"{package}: resolved {installed.get(package)}, pinned {version}"


@pytest.mark.slow
def test_tools_pinned_inside_the_dockerfiles_exist():
    """pip==... / setuptools==... pinned in RUN lines resolve too."""
    pins = set()
    for dockerfile in DOCKERFILES:
        pins |= set(re.findall(r"\b((?:pip|setuptools|wheel)==[0-9][^\s\\]*)", dockerfile.read_text()))
    assert pins, "no tool pins found in the Dockerfiles"
    result = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
                             "--no-deps", *sorted(pins)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]


def test_services_image_runs_kubetune_serve_with_the_early_stopping_default():
    """Katib starts an early-stopping container from `image` alone (EarlyStoppingConfig has no
    command/args), so the default command must be that service; suggestion entries pass args."""
    steps = _instructions(IMAGES / "Dockerfile.services")
    assert [rest for word, rest in steps if word == "ENTRYPOINT"][-1] == '["kubetune"]'
    assert [rest for word, rest in steps if word == "CMD"][-1] == '["serve", "early-stopping", "--port", "6788"]'
    assert "--no-deps --no-build-isolation /build/src" in (IMAGES / "Dockerfile.services").read_text()


def test_services_requirements_cover_what_kubetune_serve_imports():
    """Every third-party distribution `kubetune serve` loads is pinned in requirements-services.txt
    or installed by one of those pins (their declared dependencies)."""
    import importlib.metadata as md

    code = ("import sys, kubetune.cli; from kubetune.serve import suggestion, earlystopping, server, trial_status;"
            "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))")
    result = run([sys.executable, "-c", code], timeout=120)
    assert result.returncode == 0, result.stderr
    owners = md.packages_distributions()
    norm = lambda n: re.sub(r"[-_.]+", "-", n).lower()  # noqa: E731
    closure, todo = set(), list(_pins(IMAGES / "requirements-services.txt"))
    while todo:
        name = todo.pop()
        if name in closure:
            continue
        closure.add(name)
        try:
            requires = md.requires(name) or []
        except md.PackageNotFoundError:
            continue
        todo += [norm(re.split(r"[<>=!~\[ ;(]", r, 1)[0]) for r in requires if "extra ==" not in r]
    # imported only when present (grpc: grpcio-tools, a dev tool; oauthlib: blinker): not needed
    optional = {"grpc_tools", "blinker"}
    missing = {}
    for module in result.stdout.split():
        if module in sys.stdlib_module_names or module.startswith("_") or module in optional | {"kubetune"}:
            continue
        dists = {norm(d) for d in owners.get(module, [])}
        if dists and not dists & closure:
            missing[module] = sorted(dists)
    assert not missing, f"kubetune serve imports these, not installed by requirements-services.txt: {missing}"
