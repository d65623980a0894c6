"""Hand-computable ensemble inputs: 3 members x 4 samples x 3 classes (a, b, c) (imported as `ensemble_helpers`)."""
from __future__ import annotations

from pathlib import Path

CLASSES = ["a", "b", "c"]
IDS = ["s1", "s2", "s3", "s4"]
# member -> rows of probabilities (a, b, c); the label column is each row's argmax
MEMBERS = {
    "A": [[0.6, 0.3, 0.1], [0.2, 0.5, 0.3], [0.1, 0.2, 0.7], [0.5, 0.4, 0.1]],   # a b c a
    "B": [[0.2, 0.7, 0.1], [0.1, 0.3, 0.6], [0.3, 0.4, 0.3], [0.1, 0.6, 0.3]],   # b c b b
    "C": [[0.5, 0.1, 0.4], [0.6, 0.3, 0.1], [0.2, 0.2, 0.6], [0.2, 0.3, 0.5]],   # a a c c
}
TRUTH = {"s1": "a", "s2": "b", "s3": "c", "s4": "b"}


def write_member(path: Path, rows, ids=IDS, classes=CLASSES, labels=None) -> Path:
    lines = ["id,label," + ",".join(f"prob_{c}" for c in classes)]
    for i, (image_id, probs) in enumerate(zip(ids, rows)):
        label = labels[i] if labels else classes[max(range(len(probs)), key=probs.__getitem__)]
        lines.append(",".join([image_id, label, *(f"{p:.6f}" for p in probs)]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_labels(path: Path, truth=TRUTH, id_column: str = "path") -> Path:
    path.write_text(f"{id_column},label\n" + "".join(f"{k},{v}\n" for k, v in truth.items()), encoding="utf-8")
    return path


