"""Export a trial's checkpoint for serving and publish it to the artifact store.

Layout (a Triton model repository holding one model, which KServe's ONNX runtime serves):

    <store>/<prefix>/<model_name>/config.pbtxt
    <store>/<prefix>/<model_name>/1/model.onnx
    <store>/<prefix>/<model_name>/model.onnx, metadata.json   (classes, input size, mean/std...)
    <store>/<prefix>/<model_name>/MANIFEST.json               (sha256 of every file, written last)

An InferenceService's `storageUri` is the repository root, `<store>/<prefix>/`. The manifest is the
commit marker of kubetune.store: readers trust nothing under a prefix without one.
"""
from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

from kubetune.steps import say as say_line


class ExportError(ValueError):
    """The model cannot be exported or published; the message says why."""


@dataclass
class PublishedModel:
    model_name: str
    model_uri: str        # the model directory in the store (holds MANIFEST.json)
    serving_uri: str      # the Triton/KServe repository root (storageUri)
    files: int
    total_size: int
    onnx_sha256: str
    metadata: dict[str, Any]  # the exporter's metadata.json

    def to_json(self) -> dict:
        return asdict(self)


def model_dir_name(name: str) -> str:
    """A Triton model name / directory name: letters, digits, '-', '_' only."""
    clean = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-_")
    if not clean:
        raise ExportError(f"model name {name!r} has no usable characters (letters, digits, - and _)")
    return clean


def export_model(checkpoint: str, out_dir: str, model_name: str, *, verify: bool = True) -> dict[str, Any]:
    """ONNX + metadata.json + Triton layout of `checkpoint` in out_dir (trainer.export)."""
    from trainer.errors import UserError
    from trainer.export import export

    if not Path(checkpoint).is_file():
        raise ExportError(f"checkpoint {checkpoint} does not exist (did the trial finish? is the models volume "
                          "mounted at the same path here?)")
    try:
        return export(checkpoint, out_dir, verify=verify, triton=True, triton_name=model_name)
    except UserError as e:
        raise ExportError(f"exporting {checkpoint}: {e}") from None


def publish_model(model_dir: str, store_uri: str, prefix: str, model_name: str, *, overwrite: bool = False,
                  metadata: dict[str, Any] | None = None, endpoint: str | None = None,
                  say: Callable[[str], None] = say_line) -> PublishedModel:
    """Publish an exported model directory to <store_uri>/<prefix>/<model_name> (atomic, manifested)."""
    import json

    from kubetune.store import StoreError, store_from_uri
    from kubetune.store.base import join_prefix

    try:
        store = store_from_uri(store_uri, endpoint=endpoint or None)
        dest = join_prefix(prefix, model_name)
        manifest = store.publish(model_dir, dest, overwrite=overwrite, metadata=metadata or {})
    except StoreError as e:
        raise ExportError(f"publishing the model to {store_uri}: {e}") from None
    exported = json.loads((Path(model_dir) / "metadata.json").read_text(encoding="utf-8"))
    published = PublishedModel(model_name=model_name, model_uri=store.uri(dest),
                               serving_uri=store.uri(join_prefix(prefix)) if prefix else store.uri(""),
                               files=len(manifest.files), total_size=manifest.total_size,
                               onnx_sha256=exported.get("sha256", ""), metadata=exported)
    say(f"published {model_name} to {published.model_uri} ({published.files} files, {published.total_size} bytes, "
        f"MANIFEST.json last); serve it with storageUri {published.serving_uri}")
    return published


def export_and_publish(checkpoint: str, store_uri: str, prefix: str, model_name: str, *,
                       out_dir: str | None = None, overwrite: bool = False, metadata: dict[str, Any] | None = None,
                       endpoint: str | None = None, say: Callable[[str], None] = say_line) -> PublishedModel:
    """export_model into out_dir (a temporary directory when None), then publish_model."""
    name = model_dir_name(model_name)
    staging = Path(out_dir) if out_dir else Path(tempfile.mkdtemp(prefix="kubetune-export-"))
    try:
        export_model(checkpoint, str(staging), name)
        say(f"exported {checkpoint} to ONNX (Triton layout, verified against PyTorch) in {staging}")
        return publish_model(str(staging), store_uri, prefix, name, overwrite=overwrite, metadata=metadata,
                             endpoint=endpoint, say=say)
    finally:
        if out_dir is None:
            shutil.rmtree(staging, ignore_errors=True)
