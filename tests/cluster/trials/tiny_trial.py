"""A trial for the local reference run: prints Katib StdOut metrics for --x."""
import argparse

p = argparse.ArgumentParser()
p.add_argument("--x", type=float, required=True)
x = p.parse_args().x
print(f"accuracy={1 - (x - 0.3) ** 2:.6f}")
print(f"loss={(x - 0.3) ** 2:.6f}")
