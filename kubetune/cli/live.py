"""Following an Experiment on the cluster (`kubetune watch`, `submit --watch`): a live
leaderboard redrawn in place on a terminal, a progress line per change elsewhere, and the
view's leaderboard and status at the end."""
from __future__ import annotations

import sys
import time
from dataclasses import replace
from typing import TYPE_CHECKING

from kubetune.cluster.names import TRIAL_POD_LABEL
from kubetune.cluster.results import best_row, parse_time, succeeded
from kubetune.cluster.watch import Snapshot, WatchTimeout, watch
from kubetune.engine.failures import FAILED_STATES, FailureTally
from kubetune.results import Counts

from .common import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from .progress import COMMON_FAILURE_AFTER, finished_lines
from .tables import console, progress_line, status_table
from .terminal import escape, width_of
from .view import MACHINE, Results, explain_failed, leaderboard, show_outcome

if TYPE_CHECKING:
    from kubetune.cluster.client import KatibClient


def _results(snap: Snapshot) -> Results:
    return Results(snap.view.name, snap.view.objective_type, snap.view.metric_names, snap.rows)


class LiveBoard:
    """Leaderboard + status, redrawn in place on a terminal; elsewhere one progress line per change.
    A trial that failed gets a line saying why, from its pod (as `kubetune run` says it from its
    log), and when most fail the same way that is said once. client: None for JSON/YAML output
    (no pod is read then)."""

    def __init__(self, quiet: bool, client: "KatibClient | None" = None, namespace: str = ""):
        self.quiet = quiet
        self.client, self.namespace = client, namespace
        self.reader = None  # kubetune.cluster.pods.PodReader, made at the first snapshot
        self.told: set[str] = set()  # failed trials whose line was printed
        self.tallied: dict[str, tuple[str, str]] = {}  # name -> (state, message) as added to the tally
        self.failures = FailureTally(minimum=COMMON_FAILURE_AFTER)
        self.told_common = False
        self.out = console()
        self.err = console(stderr=True)
        self.live = None
        self.last_line = ""
        if not quiet and self.out.is_terminal:
            from rich.live import Live

            self.live = Live(console=self.out, auto_refresh=False, transient=True)
            self.live.start()

    def explained(self, snap: Snapshot) -> Snapshot:
        """The snapshot with its failed trials' reasons read from their pods (each trial once)."""
        if self.client is None or not any(r.state in FAILED_STATES for r in snap.rows):
            return snap
        if self.reader is None:
            from kubetune.cluster.pods import PodReader

            self.reader = PodReader(self.client, self.namespace, snap.view.primary_container)
        return replace(snap, rows=explain_failed(self.client, snap.rows, self.namespace, "", reader=self.reader))

    def _say(self, text: str) -> None:
        (self.live.console if self.live is not None else self.err).print(text, soft_wrap=True)

    def _tell_failures(self, snap: Snapshot) -> None:
        for row in snap.rows:
            if row.terminal and self.tallied.get(row.name) != (row.state, row.message):
                self.tallied[row.name] = (row.state, row.message)
                self.failures.add(row)
            if row.state in FAILED_STATES and row.name not in self.told:
                self.told.add(row.name)
                for line in finished_lines(row, snap.view.metric_names[0]):
                    self._say(line)
        common = None if self.told_common else self.failures.common()
        if common is not None:
            self.told_common = True
            first, *reasons = common.lines(max(40, width_of(sys.stderr) - 6))
            for line in [f"!! {first}"] + [f"!!   {r}" for r in reasons]:
                self._say(f"[bold red]{escape(line)}[/]")
            self._say(f"[red]   kubectl logs -n {escape(self.namespace)} -l {TRIAL_POD_LABEL}="
                      f"{escape(common.example.name)} --all-containers shows the whole log[/]")

    def update(self, snap: Snapshot) -> None:
        if self.quiet:
            return
        snap = self.explained(snap)
        self._tell_failures(snap)
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
    board = LiveBoard(quiet=args.output in MACHINE or getattr(args, "quiet", False),
                      client=None if args.output in MACHINE else client, namespace=namespace)
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
        _show(board.explained(e.snapshot), args.output)
        print(f"kubetune: {e}; it keeps running on the cluster (kubetune watch {name} -n {namespace})",
              file=sys.stderr)
        return EXIT_FAILED
    finally:
        board.stop()
    _show(board.explained(snap), args.output)
    return EXIT_OK if succeeded(snap.experiment) and snap.status["currentOptimalTrial"]["bestTrialName"] else EXIT_FAILED


def _show(snap: Snapshot, output: str) -> None:
    # the shape of `kubetune run -o json`, with the namespace instead of a local directory
    show_outcome(_results(snap), snap.status, {"namespace": snap.view.namespace},
                 [f"next: kubetune best {snap.view.name} -n {snap.view.namespace}  |  "
                  f"kubetune trials {snap.view.name} -n {snap.view.namespace}"], output)
