"""Compile the kubetune pipeline into KFP's IR YAML (`kubetune pipeline compile`); COMPILED is the
checked-in result, kept fresh by tests/pipeline/test_pipeline_compile.py."""
from __future__ import annotations

import importlib.util
import os
import tempfile
from pathlib import Path

COMPILED = Path(__file__).resolve().parent / "kubetune_pipeline.yaml"


def compile_to_text() -> str:
    """The compiled cluster pipeline (IR YAML) as text."""
    from kfp import compiler

    from pipelines.kubetune_pipeline import build_pipeline  # imports kfp: not needed for COMPILED alone

    fd, tmp = tempfile.mkstemp(suffix=".yaml", prefix="kubetune-pipeline-")
    os.close(fd)
    try:
        compiler.Compiler().compile(build_pipeline(for_local=False), tmp)
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
