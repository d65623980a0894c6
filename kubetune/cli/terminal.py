"""Where the output goes: how wide it may be, whether it may be coloured, and a rich Console set up
accordingly. rich is imported only by `console()`.

* Width: $COLUMNS when set (so `COLUMNS=100 kubetune trials x | less` is 100 wide), else the
  terminal's width, else PIPED_WIDTH for output into a pipe or file. `-o wide` lifts the limit.
* Colour: only on a terminal, and never with $NO_COLOR set (https://no-color.org). Output into a
  pipe or file carries no escape codes.
"""
from __future__ import annotations

import os
import shutil
import sys
from typing import TextIO

PIPED_WIDTH = 120  # no terminal, no $COLUMNS: wide enough for a leaderboard, still readable in a diff
UNLIMITED = 100_000  # `-o wide`: tables as wide as their content


def is_tty(stream: TextIO | None = None) -> bool:
    stream = stream or sys.stdout
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def width_of(stream: TextIO | None = None) -> int:
    """The columns output to `stream` may use."""
    env = os.environ.get("COLUMNS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    if is_tty(stream):
        return shutil.get_terminal_size((PIPED_WIDTH, 24)).columns
    return PIPED_WIDTH


def colour(stream: TextIO | None = None) -> bool:
    return is_tty(stream) and "NO_COLOR" not in os.environ


def console(stderr: bool = False, wide: bool = False):
    """A rich Console for stdout (or stderr): the width above, colour only on a terminal."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    tty = colour(stream)
    # soft_wrap: a message line (a long file path) is never broken; tables are laid out to the width anyway.
    return Console(file=stream, width=UNLIMITED if wide else width_of(stream), highlight=False, soft_wrap=True,
                   color_system="auto" if tty else None, force_terminal=tty, no_color=not tty, emoji=False)


def escape(text: object) -> str:
    """Text for rich markup: `[trainer] error` must print as written, not as a style tag."""
    return str(text).replace("[", r"\[")


def emit(out, renderable) -> None:
    """Print a table (or any renderable) to `out`; into a pipe or file without the trailing blanks
    rich pads every line with."""
    if out.is_terminal:
        out.print(renderable)
        return
    with out.capture() as captured:
        out.print(renderable)
    out.file.write("".join(line.rstrip() + "\n" for line in captured.get().splitlines()))
