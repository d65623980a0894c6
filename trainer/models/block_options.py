"""Options of the block-assembled families (builders in block_models.py). No torch.

`yaml` (family `blocks`) takes one option, the network itself: `blocks.config`. `cells` (family
`cells`) takes free keys, `cells.<name>` for any keyword its builder accepts (the lecture's flat
trial parameters), so it has no dataclass; TrainConfig keeps them in a dict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trainer.options import option


@dataclass
class BlocksArgs:
    """Block-assembled network (model `yaml`, seed 003)."""

    config: Any = option(None, "block network: path to a YAML file, or (in a config file) the mapping itself",
                         group="model", aliases=("model_config", "arch_config"))
