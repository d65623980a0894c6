"""Following an Experiment on the cluster (`kubetune watch`, `submit --watch`): a live
leaderboard redrawn in place on a terminal, a progress line per change elsewhere, and the
view's leaderboard and status at the end."""
from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

from kubetune.cluster.results import best_row, parse_time, succeeded
from kubetune.cluster.watch import Snapshot, WatchTimeout, watch
from kubetune.results import Counts

from .common import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from .tables import console, progress_line, status_table
from .terminal import escape
from .view import MACHINE, Results, leaderboard, show_outcome

if TYPE_CHECKING:
    from kubetune.cluster.client import KatibClient


def _results(snap: Snapshot) -> Results:
    return Results(snap.view.name, snap.view.objective_type, snap.view.metric_names, snap.rows)


class LiveBoard:
    """Leaderboard + status, redrawn in place on a terminal; elsewhere one progress line per change."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.out = console()
        self.err = console(stderr=True)
        self.live = None
        self.last_line = ""
        if not quiet and self.out.is_terminal:
            from rich.live import Live

            self.live = Live(console=self.out, auto_refresh=False, transient=True)
            self.live.start()

    def update(self, snap: Snapshot) -> None:
        if self.quiet:
            return
        best = best_row(snap.experiment, snap.rows)
        started = min(parse_time(snap.status.get("startTime")) or time.time(), time.time())  # clock skew: never < 0
        budget = (snap.experiment.get("spec") or {}).get("maxTrialCount")
        line = progress_line(Counts.of(snap.rows), best, snap.view.metric_names[0], started,
                             budget if isinstance(budget, int) else None)
        if self.live is not None:
            from rich.console import Group

            table, notes = leaderboard(_results(snap), width=self.out.width, out=self.out)
            self.live.update(Group(table, *notes, status_table(snap.status, snap.view.name), escape(line)),
                             refresh=True)
        elif line.split("]", 1)[-1] != self.last_line.split("]", 1)[-1]:  # ignore the clock
            self.err.print(escape(line))
        self.last_line = line

    def retry(self, error: Exception, delay: float) -> None:
        self.err.print(f"[yellow]warning[/]: {escape(error)}; retrying in {delay:.0f}s")

    def stop(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None


def follow(client: "KatibClient", name: str, namespace: str, args) -> int:
    """Watch until the experiment completes: 0 succeeded with a best trial, 1 failed or --timeout,
    130 interrupted (the experiment keeps running on the cluster)."""
    board = LiveBoard(quiet=args.output in MACHINE or getattr(args, "quiet", False))
    try:
        snap = watch(client, name, namespace, board.update, interval=args.interval, timeout=args.timeout,
                     on_retry=board.retry)
    except KeyboardInterrupt:
        board.stop()
        print(f"kubetune: stopped watching; experiment {namespace}/{name} keeps running on the cluster "
              f"(kubetune watch {name} -n {namespace} to follow it again, kubetune delete {name} -n {namespace} "
              f"to stop it)", file=sys.stderr)
        return EXIT_INTERRUPTED
    except WatchTimeout as e:
        board.stop()
        _show(e.snapshot, args.output)
        print(f"kubetune: {e}; it keeps running on the cluster (kubetune watch {name} -n {namespace})",
              file=sys.stderr)
        return EXIT_FAILED
    finally:
        board.stop()
    _show(snap, args.output)
    return EXIT_OK if succeeded(snap.experiment) and snap.status["currentOptimalTrial"]["bestTrialName"] else EXIT_FAILED


def _show(snap: Snapshot, output: str) -> None:
    # the shape of `kubetune run -o json`, with the namespace instead of a local directory
    show_outcome(_results(snap), snap.status, {"namespace": snap.view.namespace},
                 [f"next: kubetune best {snap.view.name} -n {snap.view.namespace}  |  "
                  f"kubetune trials {snap.view.name} -n {snap.view.namespace}"], output)
