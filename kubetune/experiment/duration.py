"""Durations as NNI writes them, and kubetune's experiment duration limit.

NNI v1 (`maxExecDuration`): a positive whole number without leading zero and one unit letter,
`^[1-9][0-9]*[smhd]$` (12h, 99999d); no decimals, no compound values like 1h30m.
NNI v2 (`maxExperimentDuration`, `maxTrialDuration`): a number (decimals allowed) and a unit
`s`, `m`, `h` or `d` in any case (0.5h, 90M), or a bare number of seconds; rounded up to whole
seconds.

Katib has no experiment duration limit. kubetune's extension is the annotation
`kubetune.io/max-duration` on the Experiment (v2 syntax, e.g. "2h"): the local engine then stops
creating trials once that much wall-clock time has passed since the experiment was created, lets
running trials finish, and ends it Succeeded with reason `ExperimentMaxDurationReached` (NNI's
NO_MORE_TRIAL -> DONE). A Katib cluster ignores the annotation.
"""
from __future__ import annotations

import math
import re
from typing import Any, Mapping

MAX_DURATION_ANNOTATION = "kubetune.io/max-duration"

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_V1 = re.compile(r"^[1-9][0-9]*[smhd]$")
_V2 = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*([smhd])?\s*$", re.IGNORECASE)
V1_FORMAT = "a whole number and one unit s, m, h or d, e.g. 30s, 10m, 12h, 99999d (no decimals, no 1h30m)"
V2_FORMAT = "a number and a unit s, m, h or d, e.g. 30s, 10m, 1.5h, 1d, or a number of seconds"


def parse_v1_duration(text: Any) -> int:
    """Seconds of an NNI v1 duration string; ValueError naming the accepted format."""
    if not isinstance(text, str) or not _V1.match(text):
        raise ValueError(f"found {text!r}; NNI v1 durations are {V1_FORMAT}")
    return int(text[:-1]) * UNITS[text[-1]]


def parse_duration(value: Any) -> int:
    """Seconds of an NNI v2 duration (also the annotation's syntax), rounded up; must be > 0."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"found {value!r}; a duration is {V2_FORMAT}")
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        match = _V2.match(str(value))
        if not match:
            raise ValueError(f"found {value!r}; a duration is {V2_FORMAT}")
        seconds = float(match.group(1)) * UNITS[(match.group(2) or "s").lower()]
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"found {value!r}; a duration must be greater than 0")
    return math.ceil(seconds)


def max_duration_seconds(annotations: Mapping[str, Any] | None) -> int | None:
    """The experiment duration limit from `kubetune.io/max-duration`, None when absent.

    ValueError (naming the annotation) when it is present but not a duration."""
    if not annotations or MAX_DURATION_ANNOTATION not in annotations:
        return None
    try:
        return parse_duration(annotations[MAX_DURATION_ANNOTATION])
    except ValueError as exc:
        raise ValueError(f"metadata.annotations[{MAX_DURATION_ANNOTATION}]: {exc}") from None
