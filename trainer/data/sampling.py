"""Class-balanced sampling for imbalanced training sets (e.g. the seed's 18 mask/gender/age classes)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import torch
from torch.utils.data import WeightedRandomSampler


def class_weighted_sampler(targets: Sequence[int], num_samples: int | None = None,
                           generator: torch.Generator | None = None) -> WeightedRandomSampler:
    """Draws every class equally often on average: sample weight = 1 / (images of its class).

    num_samples defaults to len(targets) (one epoch's worth), drawn with replacement.
    """
    if len(targets) == 0:
        raise ValueError("class_weighted_sampler needs at least one target")
    counts = Counter(int(t) for t in targets)
    weights = torch.tensor([1.0 / counts[int(t)] for t in targets], dtype=torch.double)
    return WeightedRandomSampler(weights, num_samples=num_samples or len(targets), replacement=True,
                                 generator=generator)
