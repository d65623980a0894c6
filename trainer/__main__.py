"""`python -m trainer ...` (see trainer/cli.py)."""

import os
import sys

# Trials often share a node (N local trials, or a pod's CPU quota below the node's core count).
# OpenMP threads that spin while waiting then starve each other: a tiny CNN step measured 10x
# slower with 2 spinning threads on 2 busy cores than with passive waiting. Read by libgomp at
# load, so it must be set before torch is imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from trainer.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
