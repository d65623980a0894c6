"""`kubetune dashboard NAME`: optuna-dashboard over a local experiment's state, live."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .common import UserError, add_workdir
from .status import open_state


def add_parser(sub: argparse._SubParsersAction) -> None:
    d = sub.add_parser("dashboard", help="optuna-dashboard over the experiment's state (live)")
    d.add_argument("name")
    add_workdir(d)
    d.add_argument("--host", default="127.0.0.1")
    d.add_argument("--port", type=int, default=8080)
    d.set_defaults(func=cmd_dashboard)


def cmd_dashboard(args) -> int:
    from kubetune.engine.dashboard import serve  # optuna: only for this command

    open_state(args).close()  # a clear error for an unknown experiment before the server starts
    def ready(base: str) -> None:
        print(f"kubetune dashboard: {base}/dashboard  (trials table: {base}/kubetune/trials; Ctrl-C stops)",
              file=sys.stderr, flush=True)

    try:
        serve(Path(args.workdir) / args.name / "state.db", args.host, args.port, ready=ready)
    except OSError as e:  # the port is taken, or the host is not this machine's
        raise UserError(f"cannot serve on {args.host}:{args.port}: {e.strerror or e} (try --port)") from None
    return 0
