"""What every command shares: the error a user can fix, exit codes, where local experiments live
and the options of a local run, and writing a document to a file or stdout."""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

# Exit status of every command.
EXIT_OK = 0
EXIT_FAILED = 1  # the run, the cluster or the export failed
EXIT_USAGE = 2  # bad input, reported as a UserError: nothing was started or sent
EXIT_INTERRUPTED = 130  # Ctrl-C

DEFAULT_WORKDIR = os.environ.get("KUBETUNE_WORKDIR", ".kubetune/runs")


class UserError(Exception):
    """A problem the user can fix: printed without a traceback, exit code 2."""


def add_workdir(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workdir", default=DEFAULT_WORKDIR,
                   help=f"where experiment state lives (default {DEFAULT_WORKDIR}; env KUBETUNE_WORKDIR)")


def add_local_run_options(p: argparse.ArgumentParser, prefix: str = "") -> None:
    """The options of a local run (`run`, `convert nni --run`)."""
    add_workdir(p)
    p.add_argument("--name", help=prefix + "run under this metadata.name instead of the file's")
    p.add_argument("--local-config", help=prefix + "YAML mapping cluster paths/env/images to local ones "
                                                   "(see docs/local-runs.md)")
    p.add_argument("--set-path", action="append", default=[], metavar="MOUNT=DIR",
                   help=prefix + "map a volumeMount path to a local directory (repeatable)")
    p.add_argument("--set-env", action="append", default=[], metavar="NAME=VALUE",
                   help=prefix + "value for an env var sourced from a Secret/ConfigMap (repeatable)")
    p.add_argument("--seed", type=int, help=prefix + "seed for the search algorithm (default: its random_state setting)")
    p.add_argument("--strict", action="store_true", help=prefix + "refuse to run when lint finds a trap")
    p.add_argument("--launcher", choices=["auto", "warm", "subprocess"], default=None,
                   help=prefix + "how trials start: forked from a warm parent that already imported torch "
                        "(auto: where that is safe) or a fresh subprocess each; default: the annotation "
                        "kubetune.io/launcher, else auto")


OUTPUT_FORMATS = ("table", "wide", "json", "yaml")


def add_output_format(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--output", choices=OUTPUT_FORMATS, default="table",
                   help="table (fitted to the terminal, numbers rounded), wide (every column), "
                        "json or yaml (exact values) (default table)")


def add_quiet(p: argparse.ArgumentParser) -> None:
    p.add_argument("-q", "--quiet", action="store_true",
                   help="no live progress: only the result at the end, warnings and errors")


def to_json(obj) -> str:
    return json.dumps(obj, indent=2, default=str)


def to_yaml(document) -> str:
    import yaml  # only where YAML is printed: keeps start-up light

    return yaml.safe_dump(document, sort_keys=False)


def write_file(path: str | Path, text: str) -> None:
    """Write `text` to `path`, creating its directory; a failure is the user's to fix."""
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(text, encoding="utf-8")
    except OSError as e:
        raise UserError(f"{path}: cannot write: {e.strerror or e}") from None


def write_output(text: str, out: str | None, note: str = "") -> int:
    """A document to `out` (saying so on stderr), or to stdout when none is given."""
    if out is None:
        sys.stdout.write(text)
        return EXIT_OK
    write_file(out, text)
    print(f"kubetune: wrote {out}{note}", file=sys.stderr)
    return EXIT_OK
