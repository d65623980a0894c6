"""When a trial may be forked (safety.py), what its command asks for (invocation.py), and what the
warm parent imports (preload.py)."""
from __future__ import annotations

import os
import sys

import pytest

from kubetune.engine.launch import invocation, preload, safety
from launch_helpers import PY, SCRIPTS


@pytest.mark.parametrize("argv, expected", [
    ([PY, "probe.py", "a"], ("script", "probe.py", ["a"], False)),
    ([PY, "-uB", "probe.py"], ("script", "probe.py", [], True)),
    ([PY, "--", "probe.py", "-m"], ("script", "probe.py", ["-m"], False)),
    ([PY, "-m", "trainer", "train", "--lr=1"], ("module", "trainer", ["train", "--lr=1"], False)),
    ([PY, "-mtrainer", "x"], ("module", "trainer", ["x"], False)),
    ([PY, "-u", "-c", "print(1)", "-x"], ("code", "print(1)", ["-x"], False)),
])
def test_commands_a_child_can_run(argv, expected):
    plan = invocation.parse(argv, str(SCRIPTS))
    assert (plan.kind, plan.target, plan.args, plan.dont_write_bytecode) == expected
    assert plan.argv == argv and not plan.nni


@pytest.mark.parametrize("argv, reason", [
    ([PY, "-X", "dev", "probe.py"], "interpreter option -X"),
    ([PY, "-O", "probe.py"], "interpreter option -O"),
    ([PY, "-I", "probe.py"], "interpreter option -I"),
    ([PY, "--check-hash-based-pycs", "always", "probe.py"], "interpreter option --check-hash-based-pycs"),
    ([PY], "no script"),
    ([PY, "-"], "stdin"),
    ([PY, "missing.py"], "not a file"),
    ([PY, "-m", "a-b"], "not a module name"),
    ([PY, "-m", "kubetune.compat.nni_launch", "--", "/bin/sh", "x.sh"], "is not python"),
])
def test_commands_that_run_as_a_subprocess(argv, reason):
    got = invocation.parse(argv, str(SCRIPTS))
    assert isinstance(got, str) and reason in got


def test_nni_launch_wrapping_a_python_trial():
    plan = invocation.parse([PY, "-m", "kubetune.compat.nni_launch", "--", "python3", "probe.py", "--lr", "1"],
                            str(SCRIPTS))
    assert (plan.kind, plan.target, plan.args, plan.nni) == ("script", "probe.py", ["--lr", "1"], True)
    assert plan.run_argv == [PY, "probe.py", "--lr", "1"] and plan.argv[2] == "kubetune.compat.nni_launch"


def test_the_engines_interpreter_by_resolved_path_and_directory(tmp_path):
    env = {"PATH": os.path.dirname(PY)}
    assert safety.interpreter_reason(PY, "/", env) is None
    assert safety.interpreter_reason(os.path.basename(PY), "/", env) is None  # found on PATH
    link = tmp_path / "python"
    link.symlink_to(os.path.realpath(PY))
    assert "not the engine's interpreter" in safety.interpreter_reason(str(link), "/", env)  # same file, other venv
    assert "not found" in safety.interpreter_reason("no-such-python-kt", "/", env)


@pytest.mark.parametrize("trial, parent, reason", [
    ({"PYTHONPATH": "/x"}, {}, "PYTHONPATH is set"),
    ({}, {"PYTHONPATH": "/x"}, "PYTHONPATH is unset"),
    ({"PYTHONPATH": "rel"}, {"PYTHONPATH": "rel"}, "relative"),
    ({"VIRTUAL_ENV": "/other"}, {"VIRTUAL_ENV": "/v"}, "VIRTUAL_ENV='/other' differs"),
    ({"PYTHONHOME": "/h"}, {}, "PYTHONHOME"),
    ({"LD_PRELOAD": "x.so"}, {}, "LD_PRELOAD"),
    ({"MKL_NUM_THREADS": "2"}, {"MKL_NUM_THREADS": "4"}, "MKL_NUM_THREADS"),
    ({}, {"OMP_NUM_THREADS": "2"}, "OMP_NUM_THREADS is unset"),
    ({"OMP_NUM_THREADS": "lots"}, {"OMP_NUM_THREADS": "2"}, "not a positive number"),
])
def test_environments_that_import_differently(trial, parent, reason):
    assert reason in safety.env_reason(trial, parent)


@pytest.mark.parametrize("trial, parent", [
    ({"OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": "3", "KT_X": "a"}, {"OMP_NUM_THREADS": "4"}),
    ({"PYTHONPATH": "/abs", "PYTHONUNBUFFERED": "1"}, {"PYTHONPATH": "/abs", "PYTHONUNBUFFERED": "1"}),
    ({"PYTHONBREAKPOINT": "0"}, {}),
])
def test_environments_a_fork_reproduces(trial, parent):
    assert safety.env_reason(trial, parent) is None


def test_preload_follows_the_entry_files_heavy_imports(tmp_path):
    script = tmp_path / "train.py"
    script.write_text("import os, json\nimport numpy as np\nfrom torch.utils.data import DataLoader\n"
                      "def main():\n    import torchvision.transforms as T\n")
    scan = preload.scan([str(script)])
    names = preload.modules_to_preload(scan, "script", str(script), ["mylib.models"], nni=False)
    assert names == ["numpy", "torch.utils.data", "torch.utils.data.DataLoader", "torchvision.transforms",
                     "mylib.models"]
    assert preload.modules_to_preload(preload.scan([str(SCRIPTS / "probe.py")]), "script", "", [], False) == []


def test_trainer_gets_its_model_libraries_and_its_omp_wait_policy():
    plan = invocation.parse([PY, "-m", "trainer", "train"], "/")
    files = invocation.entry_file(plan, "/", sys.path[1:])
    assert any(f.endswith(os.path.join("trainer", "__main__.py")) for f in files)
    scan = preload.scan(files)
    assert ("OMP_WAIT_POLICY", "PASSIVE", True) in scan.effects and scan.reason is None
    names = preload.modules_to_preload(scan, "module", "trainer", [], nni=False)
    assert names[:2] == ["torch", "torchvision"] and "trainer.cli" in names
    assert preload.apply_effects({}, scan.effects) == {"OMP_WAIT_POLICY": "PASSIVE"}
    assert preload.apply_effects({"OMP_WAIT_POLICY": "ACTIVE"}, scan.effects) == {"OMP_WAIT_POLICY": "ACTIVE"}


@pytest.mark.parametrize("source, effect, reason", [
    ("import os\nos.environ['OMP_NUM_THREADS'] = '1'\nimport torch\n", ("OMP_NUM_THREADS", "1", False), None),
    ("import os\nimport torch\nos.environ['OMP_NUM_THREADS'] = '1'\n", None, None),  # after: torch already read it
    ("import os\nos.environ['KT_X'] = '1'\nimport torch\n", None, None),  # not read at import
    ("import os\nos.environ['MKL_' + 'X'] = '1'\nimport torch\n", None, "environment variables"),
    ("import os\nos.environ.update(OMP_NUM_THREADS='2')\nimport torch\n", None, "environment variables"),
    ("import os\nn = '3'\nos.environ['OMP_NUM_THREADS'] = n\nimport torch\n", None, "OMP_NUM_THREADS"),
])
def test_environment_set_before_a_preloaded_import(tmp_path, source, effect, reason):
    script = tmp_path / "s.py"
    script.write_text(source)
    scan = preload.scan([str(script)])
    assert scan.effects == ([effect] if effect else [])
    assert (reason in scan.reason) if reason else scan.reason is None


def test_user_modules_annotation():
    assert preload.user_modules({"kubetune.io/warm-imports": "timm, my_pkg.models  scipy"}) == \
        ["timm", "my_pkg.models", "scipy"]
    with pytest.raises(preload.PreloadError, match="'a-b'"):
        preload.user_modules({"kubetune.io/warm-imports": "a-b"})
