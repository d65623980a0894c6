"""A tiny trial for the CLI tests: reports accuracy with every digit, or fails like the trainer does.

--fail-below X: exit 2 with the trainer's data error (stderr) when --lr is below X, after some
ordinary output (stdout) that is not the reason.
"""
import argparse
import sys
import time

p = argparse.ArgumentParser()
p.add_argument("--lr", type=float, required=True)
p.add_argument("--momentum", default="0.9")
p.add_argument("--optimizer", default="sgd")
p.add_argument("--data", default="/x")
p.add_argument("--fail-below", type=float, default=-1.0)
p.add_argument("--epochs", type=int, default=2)
p.add_argument("--sleep", type=float, default=0.0)
a = p.parse_args()

print("[trainer] loading model cells (12,345 parameters)", flush=True)
if a.lr < a.fail_below:
    print("[trainer] epoch 1/4 starting", flush=True)
    print(f"[trainer] error: data path {a.data} does not exist", file=sys.stderr, flush=True)
    sys.exit(2)
for epoch in range(1, a.epochs + 1):
    time.sleep(a.sleep)
    acc = 1.0 - abs(a.lr - 0.0123456789123) * epoch / (a.epochs * 3.0)
    print(f"epoch={epoch} accuracy={acc!r} loss={1 - acc!r}", flush=True)
