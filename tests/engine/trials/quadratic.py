"""A tiny trial: reports a curve whose final value is a quadratic of its parameters.

accuracy(epoch) rises towards 1 - (x - 0.3)^2 - (y - 0.6)^2, so the optimum is at x=0.3, y=0.6.
"""
import argparse
import json
import os
import sys
import time

p = argparse.ArgumentParser()
p.add_argument("--x", type=float, required=True)
p.add_argument("--y", type=float, default=0.6)
p.add_argument("--epochs", type=int, default=3)
p.add_argument("--sleep", type=float, default=0.0)
p.add_argument("--fail-above", type=float, help="exit 1 when x is above this")
p.add_argument("--metrics-file", help="write metrics here instead of stdout")
p.add_argument("--format", choices=["text", "json"], default="text")
p.add_argument("--no-metrics", action="store_true")
a = p.parse_args()

if a.fail_above is not None and a.x > a.fail_above:
    print("diverged: x too large", file=sys.stderr)
    sys.exit(1)
final = 1.0 - (a.x - 0.3) ** 2 - (a.y - 0.6) ** 2
out = open(a.metrics_file, "a") if a.metrics_file else sys.stdout
for epoch in range(1, a.epochs + 1):
    time.sleep(a.sleep)
    acc = final * epoch / a.epochs
    if a.no_metrics:
        print(f"training epoch {epoch}")
    elif a.format == "json":
        out.write(json.dumps({"epoch": str(epoch), "accuracy": str(acc), "loss": str(1 - acc)}) + "\n")
    else:
        out.write(f"epoch={epoch} accuracy={acc:.6f} loss={1 - acc:.6f}\n")
    out.flush()
print(f"pid {os.getpid()} done")
