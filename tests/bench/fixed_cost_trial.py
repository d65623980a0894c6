"""A one-epoch stand-in for the trainer: sleeps, then prints the trainer's metric line with its
epoch_time (the time it slept), so the fixed cost is the rest of the trial's wall time."""
import argparse
import time

p = argparse.ArgumentParser()
p.add_argument("--x", type=float, required=True)
p.add_argument("--sleep", type=float, default=0.3)
a = p.parse_args()
print("[trainer] a log line the metric parser skips", flush=True)
print("params=10 macs=20", flush=True)
t0 = time.monotonic()
time.sleep(a.sleep)
print(f"epoch=1 accuracy={a.x:.4f} loss=1.0 epoch_time={time.monotonic() - t0:.3f}", flush=True)
