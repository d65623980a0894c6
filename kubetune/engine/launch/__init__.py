"""How trial processes start: a fresh subprocess each, or a fork of a warm parent (warm workers).

policy.py      which launcher runs (engine argument / annotation kubetune.io/launcher / auto) and the line saying so
warm.py        WarmLauncher: forks trials from a warm parent, falls back to a subprocess per trial where unsafe
parent.py      the engine's end of the warm parent: start it, fork requests, exits, death
zygote.py      the warm parent itself (a separate interpreter; standard library only)
child.py       a forked child becoming the trial: process set-up, `__main__`, exit like the interpreter
invocation.py  `python SCRIPT` / `-m MODULE` / `-c CODE` command lines -> what the child runs
safety.py      when a fork behaves as a fresh interpreter (same interpreter, same import-time environment)
preload.py     what the warm parent imports (the entry file's heavy imports, the trainer, kubetune.io/warm-imports)

The subprocess launcher itself lives in kubetune/engine/runner.py with the Launcher interface.
"""
from .policy import LAUNCHER_ANNOTATION, MODES, LauncherError, close_launcher, launcher_mode, setup_launcher, validate
from .preload import IMPORTS_ANNOTATION

__all__ = ["IMPORTS_ANNOTATION", "LAUNCHER_ANNOTATION", "MODES", "LauncherError", "WarmLauncher",
           "close_launcher", "launcher_mode", "setup_launcher", "validate"]


def __getattr__(name):  # WarmLauncher on first use: `import kubetune.engine.launch` stays light
    if name == "WarmLauncher":
        from .warm import WarmLauncher

        return WarmLauncher
    raise AttributeError(name)
