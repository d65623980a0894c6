"""The checkpoint pool of multi-fidelity searches: promotion continues training.

hyperband, asha and bohb (`kubetune.algorithms.promotes_configurations`) re-run a configuration
with a larger resource (epochs) and otherwise the same values. The engine gives each of their
trials KUBETUNE_CHECKPOINT_POOL=<experiment dir>/checkpoints; the kubetune trainer
(`--checkpoint-pool`, whose default is that variable) keys checkpoints by the configuration minus
`epochs` and resumes a promoted configuration from its lower-budget checkpoint, training only the
extra epochs. A value set in the trial container's env, or in kubetune's own environment (e.g.
a faster disk), is kept. On a cluster the same variable names a shared volume (ReadWriteMany
PVC) mounted into every trial, or the store (docs/multi-fidelity.md).
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from kubetune.algorithms import promotes_configurations

from .local import LaunchSpec

CHECKPOINT_POOL_ENV = "KUBETUNE_CHECKPOINT_POOL"
POOL_DIR = "checkpoints"


def with_checkpoint_pool(spec: LaunchSpec, algorithm: str, experiment_dir: Path) -> LaunchSpec:
    """`spec` with the pool set for an algorithm that promotes configurations (else unchanged)."""
    if not promotes_configurations(algorithm) or CHECKPOINT_POOL_ENV in spec.env or CHECKPOINT_POOL_ENV in os.environ:
        return spec
    return dataclasses.replace(spec, env={**spec.env, CHECKPOINT_POOL_ENV: str(Path(experiment_dir) / POOL_DIR)})
