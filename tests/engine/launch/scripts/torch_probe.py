"""A torch trial's view of its process: threads, RNG, CUDA, as JSON (compared across launchers)."""
import json
import os
import sys

import numpy as np
import torch

print(json.dumps({
    "threads": torch.get_num_threads(), "seed": torch.initial_seed(), "rand": torch.rand(3).tolist(),
    "cuda_initialized": torch.cuda.is_initialized(), "cuda": torch.cuda.is_available() and torch.cuda.device_count(),
    "cvd": os.environ.get("CUDA_VISIBLE_DEVICES"), "argv": sys.argv, "matmul": float((torch.ones(64, 64) @ torch.ones(64, 64)).sum()),
}, sort_keys=True))
print("numpy", np.random.rand())
