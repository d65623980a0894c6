"""Export a checkpoint for serving: ONNX (dynamic batch) + metadata.json, optionally a Triton layout.

Layout of --out DIR:
  model.onnx        input `input` float32 [N, C, H, W], normalised as metadata says; output `logits` [N, classes]
  metadata.json     classes, input size/channels/mean/std, model name/kwargs, metrics, sha256 of model.onnx
  1/model.onnx, config.pbtxt   with --triton (DIR is then a Triton model directory named after DIR)
KServe: point `storageUri` at DIR (ONNX served by Triton/onnxruntime). Files are written to a temporary
directory and moved in, so DIR never holds half an export.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import warnings
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import torch

from trainer import checkpoint as ckpt_io
from trainer.errors import UserError
from trainer.predict import model_from_checkpoint
from trainer.report import log

DEFAULT_OPSET = 17
INPUT_NAME, OUTPUT_NAME = "input", "logits"


class ExportError(UserError):
    """The exported model is missing or disagrees with PyTorch."""


def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def max_supported_opset() -> int:
    """The newest opset both the exporter and onnxruntime handle (we default lower, to 17)."""
    import onnx
    try:
        from torch.onnx._constants import ONNX_MAX_OPSET
    except ImportError:
        ONNX_MAX_OPSET = DEFAULT_OPSET
    return min(int(ONNX_MAX_OPSET), int(onnx.defs.onnx_opset_version()))


def _prepare_for_export(model: torch.nn.Module) -> torch.nn.Module:
    # efficientnet-pytorch's memory-efficient Swish is a custom autograd Function the exporter cannot trace.
    if hasattr(model, "set_swish"):
        model.set_swish(memory_efficient=False)
    return model.eval()


def export_onnx(model: torch.nn.Module, path: Path, channels: int, image_size: int, opset: int) -> None:
    dummy = torch.randn(2, channels, image_size, image_size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # the TorchScript exporter's deprecation notice
        torch.onnx.export(model, (dummy,), str(path), dynamo=False, input_names=[INPUT_NAME],
                          output_names=[OUTPUT_NAME], opset_version=opset, do_constant_folding=True,
                          dynamic_axes={INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}})


def verify_onnx(model: torch.nn.Module, path: Path, channels: int, image_size: int,
                atol: float = 1e-4, rtol: float = 1e-3) -> float:
    """Run onnxruntime and PyTorch on the same random batches (two batch sizes); return the max abs error."""
    import onnxruntime as ort
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    worst = 0.0
    g = torch.Generator().manual_seed(0)
    for batch in (1, 3):
        x = torch.randn(batch, channels, image_size, image_size, generator=g)
        with torch.no_grad():
            expected = model(x).float().numpy()
        got = session.run([OUTPUT_NAME], {INPUT_NAME: x.numpy()})[0]
        if got.shape != expected.shape:
            raise ExportError(f"onnxruntime output shape {got.shape} differs from PyTorch {expected.shape}")
        err = float(np.max(np.abs(got - expected)))
        if not np.allclose(got, expected, atol=atol, rtol=rtol):
            raise ExportError(f"onnxruntime output differs from PyTorch (max abs error {err:.3g}, "
                              f"atol {atol}, rtol {rtol}) for batch {batch}")
        worst = max(worst, err)
    return worst


def triton_config(name: str, channels: int, image_size: int, num_classes: int, max_batch_size: int) -> str:
    return (f'name: "{name}"\n'
            'platform: "onnxruntime_onnx"\n'
            f"max_batch_size: {max_batch_size}\n"
            f'input [\n  {{\n    name: "{INPUT_NAME}"\n    data_type: TYPE_FP32\n'
            f"    dims: [ {channels}, {image_size}, {image_size} ]\n  }}\n]\n"
            f'output [\n  {{\n    name: "{OUTPUT_NAME}"\n    data_type: TYPE_FP32\n'
            f"    dims: [ {num_classes} ]\n  }}\n]\n"
            "dynamic_batching { }\n")


def export(checkpoint: str, out: str, *, opset: int = DEFAULT_OPSET, verify: bool = False,
           triton: bool = False, triton_name: str | None = None, max_batch_size: int = 64) -> dict[str, Any]:
    """Write model.onnx + metadata.json (+ Triton layout) into `out`; returns the metadata."""
    ckpt = ckpt_io.load(checkpoint)
    top = max_supported_opset()
    if not 7 <= opset <= top:
        raise UserError(f"opset: {opset} is not supported here; use 7..{top}")
    model = _prepare_for_export(model_from_checkpoint(ckpt))
    channels, size = int(ckpt.get("channels", 3)), int(ckpt["image_size"])
    classes = list(ckpt["classes"])
    out_dir = Path(out)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        onnx_path = staging / "model.onnx"
        export_onnx(model, onnx_path, channels, size, opset)
        max_err = verify_onnx(model, onnx_path, channels, size) if verify else None
        digest = sha256_file(onnx_path)
        metadata = {
            "format": "kubetune-model/1",
            "model_file": "model.onnx",
            "sha256": digest,
            "classes": classes,
            "num_classes": len(classes),
            "input": {"name": INPUT_NAME, "dtype": "float32", "layout": "NCHW",
                      "shape": [-1, channels, size, size], "image_size": size, "channels": channels,
                      "mean": list(ckpt["mean"]), "std": list(ckpt["std"]),
                      "preprocess": "resize to image_size, pixels / 255, then (x - mean) / std per channel"},
            "output": {"name": OUTPUT_NAME, "shape": [-1, len(classes)], "activation": "none (apply softmax)"},
            "model": {"name": ckpt["model_name"], "kwargs": ckpt["model_kwargs"],
                      "params": ckpt.get("params"), "macs": ckpt.get("macs")},
            "metrics": ckpt.get("metrics", {}),
            "best": ckpt.get("best", {}),
            "epoch": ckpt.get("epoch"),
            "opset": opset,
            "verified_max_abs_error": max_err,
            "exported_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "torch_version": torch.__version__,
            "checkpoint_sha256": sha256_file(ckpt_io.resolve_path(checkpoint)),
        }
        if triton:
            name = triton_name or out_dir.resolve().name
            (staging / "1").mkdir()
            shutil.copyfile(onnx_path, staging / "1" / "model.onnx")
            (staging / "config.pbtxt").write_text(
                triton_config(name, channels, size, len(classes), max_batch_size), encoding="utf-8")
            metadata["triton"] = {"name": name, "version_dir": "1", "config": "config.pbtxt"}
        (staging / "metadata.json").write_text(json.dumps(metadata, indent=2) + "\n", encoding="utf-8")
        _move_into(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log(f"exported {ckpt['model_name']} to {out_dir} (opset {opset}, sha256 {digest[:12]}"
        + (f", onnxruntime matches PyTorch within {max_err:.2g}" if max_err is not None else "") + ")")
    return metadata


def _move_into(staging: Path, out_dir: Path) -> None:
    """Replace the export files in out_dir one by one (each os.replace is atomic), metadata.json last:
    a reader that finds metadata.json finds the model it describes. Other files are left alone."""
    out_dir.mkdir(parents=True, exist_ok=True)
    version_dir = out_dir / "1"
    if version_dir.is_dir():
        shutil.rmtree(version_dir)
    for name in ("1", "config.pbtxt", "model.onnx", "metadata.json"):
        if (staging / name).exists():
            os.replace(staging / name, out_dir / name)
        elif name == "config.pbtxt":
            (out_dir / name).unlink(missing_ok=True)   # a previous --triton export
