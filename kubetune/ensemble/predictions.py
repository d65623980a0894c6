"""Prediction CSVs (`id,label,prob_<class>...`, as `python -m trainer predict` writes) and label CSVs.

Every problem is reported with the file, the line (header = line 1) and the column.
"""
from __future__ import annotations

import csv
import math
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

PROB_PREFIX = "prob_"
SUM_TOLERANCE = 1e-3   # the trainer writes 6 decimals: 10 classes round by at most 5e-5 in all
RANGE_TOLERANCE = 1e-6
MAX_PROBLEMS = 20


class EnsembleError(ValueError):
    """Bad prediction/label files or arguments; the message names the file/row/field."""


@dataclass
class Predictions:
    """One model's (or the ensemble's) predictions, rows aligned with `ids`."""

    name: str
    source: str
    ids: list[str]
    classes: list[str]
    probs: np.ndarray    # (n_samples, n_classes) float64, rows sum to 1
    labels: np.ndarray   # (n_samples,) int: index into classes of the predicted label

    @property
    def label_names(self) -> list[str]:
        return [self.classes[i] for i in self.labels]

    def __len__(self) -> int:
        return len(self.ids)


def _problems(title: str, problems: list[str]) -> EnsembleError:
    shown = problems[:MAX_PROBLEMS]
    more = f"\n  ... and {len(problems) - MAX_PROBLEMS} more" if len(problems) > MAX_PROBLEMS else ""
    return EnsembleError(f"{title} ({len(problems)} problem(s)):\n" + "\n".join(f"  - {p}" for p in shown) + more)


def _read_rows(path: str | os.PathLike[str], what: str) -> tuple[list[str], list[list[str]]]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except FileNotFoundError:
        raise EnsembleError(f"{path}: {what} file does not exist") from None
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise EnsembleError(f"{path}: cannot read {what} CSV: {e}") from None
    rows = [r for r in rows if any(cell.strip() for cell in r)]  # blank lines carry nothing
    if not rows:
        raise EnsembleError(f"{path}: empty file; expected a CSV header and rows")
    return [h.strip() for h in rows[0]], [[c.strip() for c in r] for r in rows[1:]]


def read_predictions(path: str | os.PathLike[str], name: str | None = None) -> Predictions:
    """Read and validate one prediction CSV."""
    header, rows = _read_rows(path, "predictions")
    expected = f"expected id,label,{PROB_PREFIX}<class>... (as `python -m trainer predict` writes)"
    missing = [c for c in ("id", "label") if c not in header]
    prob_cols = [i for i, h in enumerate(header) if h.startswith(PROB_PREFIX)]
    if missing or not prob_cols:
        what = f"no {', '.join(f'`{m}`' for m in missing)} column" if missing else f"no `{PROB_PREFIX}*` columns"
        raise EnsembleError(f"{path}: {what} (header: {','.join(header)}); {expected}")
    classes = [header[i][len(PROB_PREFIX):] for i in prob_cols]
    dupes = sorted({c for c in classes if classes.count(c) > 1})
    if dupes or any(not c for c in classes):
        raise EnsembleError(f"{path}: class columns must be unique and named (duplicates: {dupes}); {expected}")
    if not rows:
        raise EnsembleError(f"{path}: header only, no prediction rows")
    id_col, label_col = header.index("id"), header.index("label")
    class_index = {c: i for i, c in enumerate(classes)}
    problems: list[str] = []
    ids: list[str] = []
    labels = np.zeros(len(rows), dtype=np.int64)
    probs = np.zeros((len(rows), len(classes)), dtype=np.float64)
    seen: dict[str, int] = {}
    for r, row in enumerate(rows):
        line = r + 2
        if len(row) != len(header):
            problems.append(f"line {line}: {len(row)} cells, the header has {len(header)}")
            ids.append("")
            continue
        image_id = row[id_col]
        if not image_id:
            problems.append(f"line {line}: empty id")
        elif image_id in seen:
            problems.append(f"line {line}: id {image_id!r} repeats line {seen[image_id]}")
        else:
            seen[image_id] = line
        ids.append(image_id)
        label = row[label_col]
        if label not in class_index:
            problems.append(f"line {line}: label {label!r} is not one of the classes {classes}")
        else:
            labels[r] = class_index[label]
        cells_ok = True
        for j, col in enumerate(prob_cols):
            cell = row[col]
            try:
                value = float(cell)
            except ValueError:
                problems.append(f"line {line}, column {header[col]}: {cell!r} is not a number")
                cells_ok = False
                continue
            if not math.isfinite(value) or value < -RANGE_TOLERANCE or value > 1 + RANGE_TOLERANCE:
                problems.append(f"line {line}, column {header[col]}: {cell} is not a probability in [0, 1]")
                cells_ok = False
            probs[r, j] = value
        total = probs[r].sum()
        if cells_ok and abs(total - 1.0) > SUM_TOLERANCE:
            problems.append(f"line {line}: probabilities sum to {total:.6f}; expected 1 (+-{SUM_TOLERANCE})")
    if problems:
        raise _problems(f"{path}: bad prediction rows", problems)
    probs = np.clip(probs, 0.0, 1.0)
    return Predictions(name=name or Path(path).stem, source=str(path), ids=ids, classes=classes,
                       probs=probs, labels=labels)


def member_names(paths: Sequence[str | os.PathLike[str]]) -> list[str]:
    """Short unique names: the file stem, or as many trailing path parts as tell files apart
    (runs/t1/preds.csv, runs/t2/preds.csv -> t1/preds, t2/preds)."""
    parts = [list(Path(p).with_suffix("").parts) for p in paths]
    depth = 1
    while True:
        names = ["/".join(p[-depth:]) for p in parts]
        if len(set(names)) == len(names) or depth >= max(len(p) for p in parts):
            break
        depth += 1
    if len(set(names)) != len(names):
        repeated = sorted({n for n in names if names.count(n) > 1})
        raise EnsembleError(f"the same prediction file is given more than once: {repeated}")
    return names


def _align(first: Predictions, other: Predictions) -> Predictions:
    """`other` with rows in first's id order and columns in first's class order, or a clear error."""
    if set(other.classes) != set(first.classes):
        missing = [c for c in first.classes if c not in other.classes]
        extra = [c for c in other.classes if c not in first.classes]
        raise EnsembleError(f"{other.source}: class columns differ from {first.source}: missing {missing}, "
                            f"extra {extra}; all members must predict the same classes")
    if set(other.ids) != set(first.ids) or len(other.ids) != len(first.ids):
        mine, theirs = set(first.ids), set(other.ids)
        missing = [i for i in first.ids if i not in theirs][:3]
        extra = [i for i in other.ids if i not in mine][:3]
        raise EnsembleError(
            f"{other.source}: ids differ from {first.source} ({len(other.ids)} vs {len(first.ids)} rows; "
            f"{len(mine - theirs)} missing, e.g. {missing}; {len(theirs - mine)} extra, e.g. {extra}); all members "
            "must predict the same images (run `trainer predict` on the same --data)")
    col = [other.classes.index(c) for c in first.classes]
    position = {image_id: r for r, image_id in enumerate(other.ids)}
    order = [position[i] for i in first.ids]
    remap = np.array([first.classes.index(c) for c in other.classes])
    return Predictions(name=other.name, source=other.source, ids=list(first.ids), classes=list(first.classes),
                       probs=other.probs[np.ix_(order, col)], labels=remap[other.labels[order]])


def load_predictions(paths: Sequence[str | os.PathLike[str]], names: Sequence[str] | None = None) -> list[Predictions]:
    """Read every file and align them: same ids (any row order) and same classes (any column order),
    reordered to the first file's order."""
    if not paths:
        raise EnsembleError("no prediction files given")
    names = list(names) if names is not None else member_names(paths)
    if len(names) != len(paths):
        raise EnsembleError(f"{len(names)} names for {len(paths)} prediction files")
    members = [read_predictions(p, n) for p, n in zip(paths, names)]
    return [members[0]] + [_align(members[0], m) for m in members[1:]]


def read_labels(path: str | os.PathLike[str]) -> dict[str, str]:
    """id -> true label from a CSV with an `id` (or `path`, as the digits test.csv) and a `label` column."""
    header, rows = _read_rows(path, "labels")
    id_name = "id" if "id" in header else "path" if "path" in header else None
    if id_name is None or "label" not in header:
        raise EnsembleError(f"{path}: expected an `id` (or `path`) column and a `label` column; "
                            f"header is {','.join(header)}")
    id_col, label_col = header.index(id_name), header.index("label")
    truth: dict[str, str] = {}
    first_line: dict[str, int] = {}
    problems = []
    for r, row in enumerate(rows):
        line = r + 2
        if len(row) <= max(id_col, label_col):
            problems.append(f"line {line}: {len(row)} cells, expected at least {max(id_col, label_col) + 1}")
            continue
        image_id, label = row[id_col], row[label_col]
        if not image_id or not label:
            problems.append(f"line {line}: empty {id_name if not image_id else 'label'}")
        elif image_id in truth:
            problems.append(f"line {line}: {id_name} {image_id!r} repeats line {first_line[image_id]}")
        else:
            truth[image_id], first_line[image_id] = label, line
    if problems:
        raise _problems(f"{path}: bad label rows", problems)
    if not truth:
        raise EnsembleError(f"{path}: header only, no labels")
    return truth


def true_indices(pred: Predictions, truth: Mapping[str, str], source: str = "labels") -> np.ndarray:
    """Class index of the true label of every prediction row; clear errors for ids without a label
    or labels that are not one of the predicted classes."""
    missing = [i for i in pred.ids if i not in truth]
    if missing:
        sample = next(iter(truth))
        raise EnsembleError(
            f"{source}: no label for {len(missing)} of {len(pred.ids)} prediction ids (e.g. {missing[:3]}); "
            f"its ids look like {sample!r}. Predictions and labels must use the same ids (`trainer predict "
            "--data test.csv` writes the CSV's path column as the id)")
    index = {c: i for i, c in enumerate(pred.classes)}
    unknown = sorted({truth[i] for i in pred.ids if truth[i] not in index})
    if unknown:
        raise EnsembleError(f"{source}: labels {unknown[:10]} are not among the predicted classes {pred.classes}")
    return np.array([index[truth[i]] for i in pred.ids], dtype=np.int64)


def write_predictions(pred: Predictions, path: str | os.PathLike[str], decimals: int = 6) -> Path:
    """Write the trainer's format (id,label,prob_<class>...) atomically (temp file + rename)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        with open(tmp, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["id", "label", *(f"{PROB_PREFIX}{c}" for c in pred.classes)])
            for image_id, label, row in zip(pred.ids, pred.label_names, pred.probs):
                writer.writerow([image_id, label, *(f"{v:.{decimals}f}" for v in row)])
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out
