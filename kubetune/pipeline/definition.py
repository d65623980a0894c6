"""Find the pipeline definition (pipelines/ at the repository root) and compile it."""
from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import tempfile
from pathlib import Path
from types import ModuleType

REPO_ROOT = Path(__file__).resolve().parents[2]
PIPELINES_DIR = REPO_ROOT / "pipelines"
COMPILED = PIPELINES_DIR / "kubetune_pipeline.yaml"


class DefinitionError(RuntimeError):
    pass


def load_module() -> ModuleType:
    """pipelines.kubetune_pipeline: imported as a package when importable, else from the source tree
    next to this kubetune checkout."""
    try:
        return importlib.import_module("pipelines.kubetune_pipeline")
    except ImportError:
        pass
    path = PIPELINES_DIR / "kubetune_pipeline.py"
    if not path.is_file():
        raise DefinitionError(f"the pipeline definition is not here ({path}): `kubetune pipeline` needs a source "
                              "checkout of kubetune (pipelines/ next to kubetune/)")
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    return importlib.import_module("pipelines.kubetune_pipeline")


def build(for_local: bool = False):
    return load_module().build_pipeline(for_local=for_local)


def compile_to_text() -> str:
    """The compiled cluster pipeline (IR YAML) as text."""
    from kfp import compiler

    fd, tmp = tempfile.mkstemp(suffix=".yaml", prefix="kubetune-pipeline-")
    os.close(fd)
    try:
        compiler.Compiler().compile(build(for_local=False), tmp)
        return Path(tmp).read_text(encoding="utf-8")
    finally:
        os.unlink(tmp)


def compile_to(path: str | os.PathLike[str]) -> Path:
    """Compile into `path` (atomically) and return it."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = compile_to_text()
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)
    return target


def kubernetes_extension_installed() -> bool:
    """Whether kfp-kubernetes is importable: without it the compiled pipeline has no volume, Secret
    or toleration settings (see docs/pipeline.md)."""
    return importlib.util.find_spec("kfp.kubernetes") is not None
