"""Why trials failed, in a line or two a person can act on (the run's progress lines, `kubetune
trials/status`, the pipeline's search step).

The engine stores a failed trial's message as `exit code 2; last lines of <log>:` followed by the
log's tail (`failed_message` writes it; on a cluster kubetune.cluster.pods writes the same shape
from the trial pod's log) (stdout and stderr merged, as Katib's StdOut collector reads them). `meaningful_lines`
picks the meaningful part of that tail: an exception's last line, lines that say "error",
"No such file", "not found"..., else the last lines that are not metric reports or progress bars.
Since the log merges both streams, "stderr first" means: what looks like an error comes first.

`common_failure` says when most trials fail the same way, so the run's summary can say it once,
prominently, instead of letting the user read the same reason twenty times; `FailureTally` says
it as trials finish (the run's progress), reading each trial once.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from kubetune.results import TrialRow

FAILED_STATES = ("Failed", "MetricsUnavailable")
REASON_CHARS = 160
LOG_TAIL_LINES = 20

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# A metric report (`epoch=3 accuracy=0.81 loss=0.4`, `accuracy: 0.81`) or a progress bar.
_METRIC_LINE = re.compile(r"^\s*(?:[\w./-]+\s*[=:]\s*[-+]?(?:\d[\d.eE+-]*|nan|inf)%?[\s,;]*)+$", re.IGNORECASE)
_PROGRESS = re.compile(r"(\d+%\|)|(\|\s*\d+/\d+\s*\[)|(^\s*[#=>. -]{10,}\s*$)")
_TRACEBACK_FRAME = re.compile(r'^\s*(File ".*", line \d+|Traceback \(most recent call last\))')
_EXCEPTION = re.compile(r"^([A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt|Warning|Fault))(: .*)?$")
_ERRORISH = re.compile(r"\b(error|errno|fatal|failed|failure|cannot|can't|could not|no such file|not found|"
                       r"does not exist|denied|killed|out of memory|oom|segmentation fault|abort(ed)?|usage:)\b",
                       re.IGNORECASE)
_HEADER = re.compile(r"^(.*?); last lines of (.*):$")


TAIL_BYTES = 64 * 1024  # enough for LOG_TAIL_LINES lines of any sane length


def failed_message(why: str, log: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The message stored for a trial that failed: `why; last lines of LOG:` and the log's tail."""
    try:
        with log.open("rb") as f:  # only the end: a trial may have printed millions of lines
            f.seek(max(0, f.seek(0, 2) - TAIL_BYTES))
            tail = "\n".join(f.read().decode(errors="replace").splitlines()[-lines:])
    except OSError:
        tail = "(no log)"
    return log_message(why, str(log), tail)


def log_message(why: str, source: str, tail: str) -> str:
    """`why; last lines of SOURCE:` and the tail: the one shape `failure_of` reads (a local log
    file, or a trial pod's container log on a cluster, kubetune.cluster.pods)."""
    return f"{why}; last lines of {source}:\n{tail}"


@dataclass(frozen=True)
class Failure:
    """A failed trial's headline ("exit code 2") and the meaningful lines of its log."""

    headline: str
    lines: tuple[str, ...]
    log: str = ""


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(1, width - 1)] + "…"


def meaningful_lines(text: str, limit: int = 2) -> list[str]:
    """The lines of a log tail that say why it failed (at most `limit`, in log order)."""
    lines = [_ANSI.sub("", raw).rstrip() for raw in text.replace("\r", "\n").splitlines()]
    lines = [ln for ln in lines if ln.strip()]
    if not lines:
        return []
    exceptions = [i for i, ln in enumerate(lines) if _EXCEPTION.match(ln.strip())]
    if exceptions:  # a Python traceback: its last line says it all; the frame above says where
        i = exceptions[-1]
        picked = [lines[i].strip()]
        errorish_after = [ln.strip() for ln in lines[i + 1:] if _ERRORISH.search(ln) and not _noise(ln)]
        return (picked + errorish_after)[-limit:]
    errorish = [ln.strip() for ln in lines if _ERRORISH.search(ln) and not _noise(ln)]
    if errorish:  # e.g. `[trainer] error: data path /x does not exist`
        return errorish[-limit:]
    plain = [ln.strip() for ln in lines if not _noise(ln)]
    return plain[-limit:]


def _noise(line: str) -> bool:
    return bool(_METRIC_LINE.match(line) or _PROGRESS.search(line) or _TRACEBACK_FRAME.match(line))


def failure_of(row: TrialRow, limit: int = 2) -> Failure | None:
    """The failure of a trial that did not succeed (None for others and for trials without a message)."""
    if row.state not in FAILED_STATES + ("Killed",) or not (row.message or row.reason):
        return None
    message = row.message or row.reason
    first, _, rest = message.partition("\n")
    header = _HEADER.match(first)
    if header:
        return Failure(header.group(1), tuple(meaningful_lines(rest, limit)), header.group(2))
    if rest:  # another multi-line message: its first line is the headline
        return Failure(first, tuple(meaningful_lines(rest, limit)))
    return Failure(first, ())


def reason(row: TrialRow, width: int = REASON_CHARS) -> str:
    """One line saying why a trial did not succeed ("" when it did, or nothing is known)."""
    failure = failure_of(row)
    if failure is None:
        return ""
    if failure.lines:
        return _clip(f"{failure.headline}: {failure.lines[-1]}", width)
    return _clip(failure.headline, width)


def _signature(failure: Failure) -> str:
    """What two failures share when they fail "the same way": the reason with numbers, paths of
    trial directories and hex ids blurred."""
    text = failure.lines[-1] if failure.lines else failure.headline
    text = re.sub(r"0x[0-9a-f]+", "#", text)
    return re.sub(r"\d+(\.\d+)?", "#", text)


@dataclass(frozen=True)
class CommonFailure:
    count: int  # trials that failed this way
    failed: int  # trials that failed in any way
    finished: int  # trials that finished in any way
    example: TrialRow
    failure: Failure

    def sentence(self) -> str:
        return f"{self.count} of {self.finished} finished trials failed the same way (e.g. {self.example.name}):"

    def lines(self, width: int = REASON_CHARS) -> list[str]:
        """The sentence, then the reason on a line of its own (the failure's meaningful lines)."""
        reasons = list(self.failure.lines) or [self.failure.headline]
        return [self.sentence()] + [_clip(r, width) for r in reasons]


def common_failure(rows: Iterable[TrialRow], minimum: int = 2) -> CommonFailure | None:
    """The way most finished trials failed: at least `minimum` trials and more than half of the
    finished ones failed with the same reason. None otherwise."""
    tally = FailureTally(minimum)
    for i, row in enumerate(rows):
        tally.add(row, key=i)
    return tally.common()


class FailureTally:
    """`common_failure` of the trials added so far, kept as they finish: each row's failure is read
    once and `common()` costs O(1), so a run that asks after every finished trial stays linear.
    A row added again under the same key (by default its name) replaces the earlier one."""

    def __init__(self, minimum: int = 2) -> None:
        self.minimum = minimum
        # key -> (row, its failure, the failure's signature), in the order the keys were first added
        self._entries: dict = {}
        self._counts: Counter[str] = Counter()
        self._first: dict[str, tuple[TrialRow, Failure]] = {}  # signature -> the first row failing so
        self._leader: str | None = None  # a signature with the highest count
        self._finished = self._failed = 0

    def add(self, row: TrialRow, key=None) -> None:
        key = row.name if key is None else key
        failure = failure_of(row) if row.state in FAILED_STATES else None
        entry = (row, failure, None if failure is None else _signature(failure))
        old = self._entries.get(key)
        self._entries[key] = entry  # a key added again keeps its place
        if old is not None:
            self._count(old, -1)
        self._count(entry, 1)
        if old is not None:  # a count went down, an example may have moved: find them again
            self._leader = max(self._counts, key=self._counts.__getitem__, default=None)
            self._first = {}
            for r, f, s in self._entries.values():
                if s is not None:
                    self._first.setdefault(s, (r, f))
        elif entry[2] is not None:
            signature = entry[2]
            self._first.setdefault(signature, (row, failure))
            if self._leader is None or self._counts[signature] > self._counts[self._leader]:
                self._leader = signature

    def _count(self, entry: tuple, step: int) -> None:
        row, _, signature = entry
        self._finished += step if row.terminal else 0
        if signature is not None:
            self._failed += step
            self._counts[signature] += step
            if not self._counts[signature]:
                del self._counts[signature]

    def common(self) -> CommonFailure | None:
        """What common_failure says of the rows added so far. Only a signature shared by more than
        half of the finished trials counts, so there is at most one: the one with the highest count."""
        signature = self._leader
        count = self._counts[signature] if signature is not None else 0
        if count < self.minimum or count * 2 <= self._finished:
            return None
        row, failure = self._first[signature]
        return CommonFailure(count, self._failed, self._finished, row, failure)


def failure_lines(trials: list[TrialRow], limit: int = 8, width: int = 160) -> list[str]:
    """`name  reason` for the trials that did not succeed, at most `limit` (and how many more)."""
    failed = [t for t in trials if t.state in FAILED_STATES + ("Killed",) and reason(t)]
    lines = [f"{t.name}  {t.state}: {reason(t, width)}" for t in failed[:limit]]
    if len(failed) > limit:
        lines.append(f"... and {len(failed) - limit} more (kubetune trials NAME -o json has every message)")
    return lines


def failure_summary(trials: list[TrialRow], width: int) -> list[str]:
    """Why trials failed: once, prominently, when most failed the same way; else each reason."""
    if not trials:
        return []
    common = common_failure(trials)
    if common is not None:
        first, *reasons = common.lines(max(40, width - 4))
        return [f"!! {first}"] + [f"!!   {r}" for r in reasons]
    lines = failure_lines(trials, width=10_000)
    return ["why trials failed:"] + [_clip(f"  {ln}", max(20, width)) for ln in lines] if lines else []
