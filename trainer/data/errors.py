"""The one error type for bad data, so callers can tell data problems from bugs."""

from __future__ import annotations


class DataError(ValueError):
    """A dataset cannot be used as given; the message names the file/row and what is wrong."""


def format_problems(title: str, problems: list[str], limit: int = 50) -> str:
    """One message listing every problem (capped, with a count of the rest) so users fix all at once."""
    shown = problems[:limit]
    lines = [f"{title} ({len(problems)}):"] + [f"  - {p}" for p in shown]
    if len(problems) > limit:
        lines.append(f"  ... and {len(problems) - limit} more")
    return "\n".join(lines)
