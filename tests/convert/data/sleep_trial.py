"""A tiny trial: sleeps, then prints one metric line (for the experiment duration tests)."""
import sys
import time

time.sleep(float(sys.argv[1]))
print(f"accuracy={sys.argv[2]}", flush=True)
