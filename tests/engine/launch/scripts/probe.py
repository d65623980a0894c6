"""Prints what a trial can see of how it was started, as JSON (the same under every launcher)."""
import json
import os
import pickle
import sys


class Point:  # pickled by reference to __main__, as multiprocessing's spawn does
    pass


main = sys.modules["__main__"]
print(json.dumps({
    "argv": sys.argv, "orig_argv": sys.orig_argv, "path0": sys.path[0], "path_tail": sys.path[1:],
    "file": globals().get("__file__"), "name": __name__, "spec": getattr(__spec__, "name", None),
    "package": __package__, "cached": globals().get("__cached__"), "loader": type(__loader__).__name__,
    "keys": sorted(k for k in globals() if k.startswith("__")), "main_is_me": main.__dict__ is globals(),
    "cwd": os.getcwd(), "env": {k: v for k, v in os.environ.items() if k.startswith(("KT_", "CUDA_", "OMP_", "NNI_"))},
    "executable": sys.executable, "dont_write_bytecode": sys.dont_write_bytecode,
    # dumps raises unless Point is found again as __main__.Point: the reference it stores names the module
    "pickle": "__main__" if b"__main__" in pickle.dumps(Point(), protocol=4) else "elsewhere", "stdin": sys.stdin.read(),
    "session_leader": os.getsid(0) == os.getpid(), "pgrp_leader": os.getpgrp() == os.getpid(),
    "mods": sorted(m for m in ("torch", "numpy", "json") if m in sys.modules and m != "json"),
}, sort_keys=True))
