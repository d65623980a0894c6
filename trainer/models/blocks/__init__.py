"""Networks assembled from blocks, as in the Optuna AutoML lecture (seeds 003/004).

- `generators`: the module registry (`register_module`, one ModuleGenerator class per module)
- `builder`: YAML/dict `[repeat, module, args]` -> `BlockNetwork`
- `cells`: Normal Cell / Reduction Cell macro structure from flat trial parameters
- `examples/`: the lecture's example networks as YAML files
"""

from trainer.models.blocks.builder import BlockNetwork, build_network, example_names, load_config
from trainer.models.blocks.cells import cells_to_yaml
from trainer.models.blocks.generators import ModuleGenerator, module_names, register_module

__all__ = [
    "BlockNetwork", "build_network", "example_names", "load_config", "cells_to_yaml",
    "ModuleGenerator", "module_names", "register_module",
]
