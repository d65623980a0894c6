"""Predictions for the ensemble: `id,label,prob_<class>...` CSV from a checkpoint and images."""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn
from torch.utils.data import DataLoader

from trainer import checkpoint as ckpt_io
from trainer.report import log


def model_from_checkpoint(ckpt: dict[str, Any]) -> nn.Module:
    """Rebuild the architecture recorded in a checkpoint and load its weights (eval mode, CPU)."""
    from trainer.models import registry
    model = registry.create_model(ckpt["model_name"], len(ckpt["classes"]), **ckpt["model_kwargs"])
    model.load_state_dict(ckpt["model"])
    return model.eval()


def pick_device(name: str = "auto") -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


@torch.no_grad()
def predict(checkpoint: str, data: str, out: str, *, batch_size: int = 256, device: str = "auto",
            workers: int = 0) -> dict[str, Any]:
    """Write `out` (CSV: id, hard label, one probability column per class); returns a short summary."""
    from trainer.data import InferenceDataset, normalize_batch
    ckpt = ckpt_io.load(checkpoint)
    classes = list(ckpt["classes"])
    dev = pick_device(device)
    model = model_from_checkpoint(ckpt).to(dev)
    dataset = InferenceDataset(data, ckpt["image_size"], ckpt.get("channels", 3))
    loader = DataLoader(dataset, batch_size=batch_size, num_workers=workers, shuffle=False,
                        pin_memory=dev.type == "cuda")
    out_path = Path(out)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.name}.tmp-{os.getpid()}")
    correct = 0
    labels = getattr(dataset, "labels", None)
    row = 0
    try:
        with open(tmp, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["id", "label", *(f"prob_{c}" for c in classes)])
            for x, ids in loader:
                x = normalize_batch(x.to(dev, non_blocking=True), ckpt["mean"], ckpt["std"])
                probs = torch.softmax(model(x).float(), dim=1).cpu()
                for image_id, p in zip(ids, probs):
                    label = classes[int(p.argmax())]
                    if labels is not None and labels[row] == label:
                        correct += 1
                    row += 1
                    writer.writerow([image_id, label, *(f"{v:.6f}" for v in p.tolist())])
        os.replace(tmp, out_path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    summary: dict[str, Any] = {"images": row, "out": str(out_path), "classes": classes}
    if labels is not None and any(labels):
        summary["accuracy"] = correct / max(1, row)
    log(f"predicted {row} images into {out_path}"
        + (f"; accuracy against the CSV labels {summary['accuracy']:.4f}" if "accuracy" in summary else ""))
    return summary
