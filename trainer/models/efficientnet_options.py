"""The efficientnet family's names and its options, the `efficientnet.<key>` config section (seed 000).

No torch here: trainer.config builds its flags from this, and trainer.models.families lists the
names, without loading the builders in efficientnet.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from trainer.options import option

VARIANTS = tuple(f"efficientnet-b{i}" for i in range(8))


@dataclass
class EfficientNetArgs:
    """Compound-scaling and regularisation kwargs of the efficientnet-* builders (seed 000)."""

    alpha: float | None = option(None, "depth coefficient (compound scaling; seed 000 searches 1.0-2.0)",
                                 group="model", aliases=("alpha",))
    beta: float | None = option(None, "width coefficient (compound scaling)", group="model", aliases=("beta",))
    gamma: float | None = option(None, "resolution coefficient (compound scaling); plain --gamma means this "
                                 "for efficientnet models", group="model")
    phi: float | None = option(None, "compound coefficient phi", group="model", aliases=("phi",))
    drop_connect: float | None = option(None, "drop-connect (stochastic depth) rate", group="model",
                                        aliases=("drop_connect_rate",))
