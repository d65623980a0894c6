"""scripts/install-tools.sh and its wiring: the real binaries, their versions, the fast idempotent
re-run, and `make test` installing them first."""
from __future__ import annotations

import re
import time

from deploy_helpers import ROOT, TOOLS_BIN, run


def test_tools_are_the_pinned_real_binaries(tool):
    helm = run([tool("helm"), "version", "--short"], timeout=60)
    assert helm.returncode == 0 and helm.stdout.startswith("v4."), helm.stdout
    kubectl = run([tool("kubectl"), "version", "--client"], timeout=60)
    assert kubectl.returncode == 0 and "Client Version: v1.37." in kubectl.stdout, kubectl.stdout
    hadolint = run([tool("hadolint"), "--version"], timeout=60)
    assert hadolint.returncode == 0 and "2.15" in hadolint.stdout
    for name in ("kubernetes-validate", "checkov"):  # run by the other tests; here: where they live
        assert (TOOLS_BIN / name).resolve().is_relative_to(ROOT / ".tools" / "venv"), name  # not the project's .venv
        assert (ROOT / ".tools" / "venv" / "bin" / name).is_file(), name


def test_install_script_is_idempotent_and_fast_when_installed(tool):
    tool("checkov")  # fails (CI) / skips unless a full install is present
    start = time.monotonic()
    result = run(["bash", "scripts/install-tools.sh"], timeout=120)
    elapsed = time.monotonic() - start
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and result.stderr == "", "a second run must not reinstall anything"
    assert elapsed < 5, f"re-run took {elapsed:.1f}s"


def test_make_test_installs_the_tools_first():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^tools:\n\tbash scripts/install-tools\.sh$", makefile, re.M)
    assert re.search(r"^test: setup tools$", makefile, re.M)
    assert re.search(r"^test-fast: setup tools$", makefile, re.M)
    assert re.search(r"^images:$", makefile, re.M)
    assert ".tools/" in (ROOT / ".gitignore").read_text().splitlines()
