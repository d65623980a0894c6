"""Train/val splits: stratified per class, by group (no group on both sides), or random.

All are deterministic for a seed and return sorted index lists (train, val) into `labels`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

import numpy as np

from .errors import DataError

log = logging.getLogger(__name__)


def _round_half_up(x: float) -> int:
    return int(math.floor(x + 0.5))


def random_split(count: int, val_ratio: float, seed: int) -> tuple[list[int], list[int]]:
    if count < 2:
        raise DataError(f"cannot split {count} image(s) into train and val: need at least 2")
    n_val = min(count - 1, max(1, _round_half_up(count * val_ratio)))
    order = np.random.default_rng(seed).permutation(count)
    return sorted(order[n_val:].tolist()), sorted(order[:n_val].tolist())


def stratified_split(labels: Sequence[int], val_ratio: float, seed: int) -> tuple[list[int], list[int]]:
    """val_ratio of every class goes to val (at least one image when the class has two or more,
    never the class's last one), so both sides keep the class proportions."""
    rng = np.random.default_rng(seed)
    labels_array = np.asarray(labels)
    train: list[int] = []
    val: list[int] = []
    for label in sorted(set(labels_array.tolist())):
        members = np.flatnonzero(labels_array == label)
        members = members[rng.permutation(len(members))]
        n_val = 0 if len(members) < 2 else min(len(members) - 1, max(1, _round_half_up(len(members) * val_ratio)))
        val.extend(members[:n_val].tolist())
        train.extend(members[n_val:].tolist())
    if not val:
        raise DataError("stratified split left val empty: every class has a single image; add images")
    return sorted(train), sorted(val)


def group_split(labels: Sequence[int], groups: Sequence[str], val_ratio: float, seed: int) -> tuple[list[int], list[int]]:
    """Whole groups (e.g. all photos of one person, as in the mask-classification seed) go to one side,
    so val never holds a person the model trained on.

    Greedy: groups in seeded random order, larger first; a group goes to val when that brings the
    per-class val counts closer to val_ratio of each class, and never when it would take the last
    training images of a class.
    """
    if len(labels) != len(groups):
        raise ValueError(f"labels ({len(labels)}) and groups ({len(groups)}) differ in length")
    names = sorted(set(groups))
    if len(names) < 2:
        raise DataError(f"group split needs at least 2 groups, found {len(names)}: {names}")
    rng = np.random.default_rng(seed)
    class_ids = {c: i for i, c in enumerate(sorted(set(labels)))}
    group_ids = {g: i for i, g in enumerate(names)}
    counts = np.zeros((len(names), len(class_ids)), dtype=np.int64)
    members: list[list[int]] = [[] for _ in names]
    for index, (label, group) in enumerate(zip(labels, groups)):
        gid = group_ids[group]
        counts[gid, class_ids[label]] += 1
        members[gid].append(index)

    per_class = counts.sum(axis=0)
    target = per_class * float(val_ratio)
    sizes = counts.sum(axis=1)
    order = rng.permutation(len(names))
    order = order[np.argsort(-sizes[order], kind="stable")]

    in_val = np.zeros(len(names), dtype=bool)
    val_counts = np.zeros(len(class_ids), dtype=np.int64)

    def keeps_train_classes(gid: int) -> bool:
        left = per_class - val_counts - counts[gid]
        return bool(np.all(left[per_class > 0] > 0))

    for gid in order:
        before = np.sum((val_counts - target) ** 2)
        after = np.sum((val_counts + counts[gid] - target) ** 2)
        if after < before and keeps_train_classes(gid):
            in_val[gid] = True
            val_counts += counts[gid]

    if not in_val.any():
        by_size = sorted(range(len(names)), key=lambda g: (sizes[g], rng.random()))
        safe = [g for g in by_size if keeps_train_classes(g)]
        chosen = safe[0] if safe else by_size[0]
        if not safe:
            log.warning("group split: no group can go to val without removing a class from train; "
                        "moved group %r anyway", names[chosen])
        in_val[chosen] = True

    train = sorted(i for g in range(len(names)) if not in_val[g] for i in members[g])
    val = sorted(i for g in range(len(names)) if in_val[g] for i in members[g])
    return train, val


def split_indices(
    method: str,
    labels: Sequence[int],
    val_ratio: float,
    seed: int,
    groups: Sequence[str] | None = None,
) -> tuple[list[int], list[int]]:
    if method == "stratified":
        return stratified_split(labels, val_ratio, seed)
    if method == "random":
        return random_split(len(labels), val_ratio, seed)
    if method == "group":
        if groups is None:
            raise DataError(
                "split='group' needs a group per image: use a CSV manifest with columns path,label,group "
                "(e.g. group = person id so no person is in both train and val)"
            )
        return group_split(labels, groups, val_ratio, seed)
    raise ValueError(f"split must be one of stratified, group, random; got {method!r}")
