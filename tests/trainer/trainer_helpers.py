"""Helpers shared by the trainer tests (imported as `trainer_helpers`)."""

from __future__ import annotations

import re
from pathlib import Path

# Katib's default TEXT metrics filter, copied from shared/docs/katib-semantics.md section 5.2.
KATIB_DEFAULT_REGEX = r"([\w|-]+)\s*=\s*([+-]?\d*(\.\d+)?([Ee][+-]?\d+)?)"


def katib_parse(text: str, names: list[str]) -> list[tuple[str, str]]:
    """What Katib's TEXT collector records: for lines containing a metric name, every
    (name, value) the default regex finds whose name is one of `names`."""
    found = []
    for line in text.split("\n"):
        if not any(n in line for n in names):
            continue
        for m in re.finditer(KATIB_DEFAULT_REGEX, line):
            if m.group(1).strip() in names:
                found.append((m.group(1).strip(), m.group(2).strip()))
    return found


def fast_args(data: Path, tiny_yaml: Path, out: Path, *extra: str) -> list[str]:
    """A quick CPU run of the tiny network: 1 thread, no TensorBoard, no augmentation."""
    return ["train", "--config", str(tiny_yaml), "--data", str(data), "--image-size", "16", "--batch-size", "32",
            "--threads", "1", "--no-tensorboard", "--augment", "none", "--out", str(out), *extra]

