"""A tiny trial for multi-fidelity searches: a learning curve per epoch, and a checkpoint pool
that works like the trainer's --checkpoint-pool.

accuracy(epoch) = q * (1 - 0.5 ** min(epoch, plateau)), q = 1 - (x - 0.3)^2 - (y - 0.6)^2: every
configuration improves with epochs and keeps its rank. With KUBETUNE_CHECKPOINT_POOL set, the
configuration minus --epochs is the key; a run resumes after the highest epoch already in the
pool for that key (printing resumed_from_epoch=e) and trains and reports only the extra epochs, as
the trainer does. When the pool already holds the whole budget (a trial re-run after a kill) it
reports that epoch without training, as the trainer does. `trained.log` in the pool lists the
epochs trained.
"""
import argparse
import hashlib
import json
import os
import time
from pathlib import Path

p = argparse.ArgumentParser()
p.add_argument("--x", type=float, required=True)
p.add_argument("--y", type=float, default=0.6)
p.add_argument("--epochs", type=int, default=3)
p.add_argument("--sleep", type=float, default=0.0)
p.add_argument("--plateau", type=int, default=1000, help="no improvement after this epoch")
a = p.parse_args()

q = 1.0 - (a.x - 0.3) ** 2 - (a.y - 0.6) ** 2


def accuracy(epoch: int) -> float:
    return q * (1 - 0.5 ** min(epoch, a.plateau))


pool = os.environ.get("KUBETUNE_CHECKPOINT_POOL")
start = 0
slot = None
if pool:
    key = json.dumps({"x": a.x, "y": a.y, "plateau": a.plateau}, sort_keys=True)
    slot = Path(pool) / hashlib.sha256(key.encode()).hexdigest()[:16]
    slot.mkdir(parents=True, exist_ok=True)
    done = [int(f.name.split("-")[1]) for f in slot.glob("epoch-*")]
    start = max([e for e in done if e <= a.epochs], default=0)
    print(f"pool={pool}")
    print(f"resumed_from_epoch={start}")
if start and start == a.epochs:
    # the pool already held the whole budget (a trial re-run after a kill): report that epoch, as the
    # trainer does, so the trial has a result
    print(f"epoch={start} accuracy={accuracy(start):.6f} loss={1 - accuracy(start):.6f}", flush=True)
for epoch in range(start + 1, a.epochs + 1):
    time.sleep(a.sleep)
    if slot is not None:
        (slot / f"epoch-{epoch}").touch()
        with open(Path(pool) / "trained.log", "a") as f:
            f.write(f"{a.x} {epoch}\n")
    print(f"epoch={epoch} accuracy={accuracy(epoch):.6f} loss={1 - accuracy(epoch):.6f}", flush=True)
