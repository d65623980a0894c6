"""Which launcher runs an experiment's trials, and the line that says so.

The choice, first match wins: the engine's `launcher` argument (the CLI's `--launcher`), else the
Experiment's annotation `kubetune.io/launcher`, else `auto`:

  auto        warm workers when the experiment's first trial can be forked from a warm parent
              (its command is the engine's own python; see safety.py), else a subprocess per trial;
  warm        warm workers, and an error before anything runs when the trials cannot use them;
  subprocess  a fresh process per trial (the opt-out).

Under warm workers a single trial that cannot be forked safely still runs, as a subprocess.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..local import LaunchSpec
from ..runner import Launcher, SubprocessLauncher
from .preload import PreloadError, user_modules

LAUNCHER_ANNOTATION = "kubetune.io/launcher"
MODES = ("auto", "warm", "subprocess")
PARENT_LOG = "warm-parent.log"


class LauncherError(ValueError):
    """An invalid launcher choice, or `warm` asked for trials that cannot use it."""


def launcher_mode(choice: str | None, annotations: dict | None) -> tuple[str, str]:
    """(mode, where it came from) for a CLI/engine choice and the Experiment's annotations."""
    if choice is not None:
        if choice not in MODES:
            raise LauncherError(f"launcher {choice!r}: expected one of {', '.join(MODES)}")
        return choice, f"--launcher {choice}"
    raw = (annotations or {}).get(LAUNCHER_ANNOTATION)
    if raw is None:
        return "auto", "default"
    value = str(raw).strip().lower()
    if value not in MODES:
        raise LauncherError(f"metadata.annotations[{LAUNCHER_ANNOTATION}]: {raw!r} is not one of "
                            f"{', '.join(MODES)}")
    return value, f"annotation {LAUNCHER_ANNOTATION}: {value}"


def validate(annotations: dict | None) -> None:
    """Raise LauncherError for a malformed launcher annotation (for checks before a run)."""
    launcher_mode(None, annotations)
    try:
        user_modules(annotations)
    except PreloadError as e:
        raise LauncherError(str(e)) from None


def setup_launcher(choice: "Launcher | str | None", annotations: dict | None, sample: LaunchSpec,
                   workdir: Path, notify: Callable[[str], None]) -> tuple[Launcher, bool]:
    """The launcher for an experiment whose trials look like `sample`, and whether the caller owns
    it (closes it at the end). Says which launcher runs through `notify`."""
    if choice is not None and not isinstance(choice, str):  # a launcher object (tests, benches)
        prepare = getattr(choice, "prepare", None)
        if prepare is not None:
            reason = _prepare(choice, sample, annotations, notify)
            notify(choice.describe() if reason is None else
                   f"launcher: subprocess (a fresh interpreter per trial): warm workers do not apply: {reason}")
        return choice, False
    mode, source = launcher_mode(choice, annotations)
    validate(annotations)
    if mode == "subprocess":
        notify(f"launcher: subprocess (a fresh interpreter per trial; {source})")
        return SubprocessLauncher(), True
    from .warm import WarmLauncher

    warm = WarmLauncher(log_path=Path(workdir) / PARENT_LOG)
    reason = _prepare(warm, sample, annotations, notify)
    if reason is None:
        notify(warm.describe())
        return warm, True
    if mode == "warm":
        raise LauncherError(f"{source}: the trials cannot be forked from a warm parent: {reason}")
    notify(f"launcher: subprocess (a fresh interpreter per trial): warm workers do not apply: {reason}")
    return SubprocessLauncher(), True


def _prepare(launcher, sample, annotations, notify) -> str | None:
    try:
        return launcher.prepare(sample, annotations, notify)
    except PreloadError as e:
        raise LauncherError(str(e)) from None


def close_launcher(launcher: Launcher) -> None:
    close = getattr(launcher, "close", None)
    if close is not None:
        close()
