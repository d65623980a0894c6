"""Go's time.Parse(time.RFC3339Nano) and Format(time.RFC3339Nano)."""
import pytest

from kubetune.gocompat.rfc3339 import format_rfc3339nano, parse_go_time

# (text, instant as UTC RFC3339Nano, or None where Go's time.Parse errors)
TIME_CASES = [
    ("2024-03-04T17:55:08Z", "2024-03-04T17:55:08Z"),
    ("2024-03-04T17:55:08.5Z", "2024-03-04T17:55:08.5Z"),
    ("2024-03-04T17:55:08,5Z", "2024-03-04T17:55:08.5Z"),
    ("2024-03-04T17:55:08.123456789123Z", "2024-03-04T17:55:08.123456789Z"),  # digits past 9 dropped
    ("2024-03-04T17:55:08+02:00", "2024-03-04T15:55:08Z"),
    ("2024-03-04T17:55:08-00:30", "2024-03-04T18:25:08Z"),
    ("2024-03-04T17:55:08+24:00", "2024-03-03T17:55:08Z"),  # Go allows hour 24 in an offset
    ("2024-03-04T7:55:08Z", "2024-03-04T07:55:08Z"),  # one-digit hour
    ("2024-02-29T00:00:00Z", "2024-02-29T00:00:00Z"),
    ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"),
    ("0000-03-01T00:00:00Z", "0000-03-01T00:00:00Z"),
    ("2023-02-29T00:00:00Z", None), ("2024-13-01T00:00:00Z", None), ("2024-00-01T00:00:00Z", None),
    ("2024-03-00T00:00:00Z", None), ("2024-03-04T24:00:00Z", None), ("2024-03-04T17:60:00Z", None),
    ("2024-03-04T17:55:60Z", None), ("2024-3-04T17:55:08Z", None), ("2024-03-04T17:5:08Z", None),
    ("2024-03-04 17:55:08Z", None), ("2024-03-04t17:55:08Z", None), ("2024-03-04T17:55:08z", None),
    ("2024-03-04T17:55:08", None), ("2024-03-04T17:55:08.Z", None), ("2024-03-04T17:55:08+0200", None),
    ("2024-03-04T17:55:08+25:00", None), ("2024-03-04T17:55:08+02:61", None), ("2024-03-04T17:55:08Zx", None),
    ("+024-03-04T17:55:08Z", None), ("\u0662024-03-04T17:55:08Z", None), ("", None), ("2024", None),
]


@pytest.mark.parametrize("text,expected", TIME_CASES)
def test_parse_go_time(text, expected):
    ns = parse_go_time(text)
    assert (None if ns is None else format_rfc3339nano(ns)) == expected


def test_format_rfc3339nano():
    assert format_rfc3339nano(0) == "1970-01-01T00:00:00Z"
    assert format_rfc3339nano(-1) == "1969-12-31T23:59:59.999999999Z"
    assert format_rfc3339nano(1_500_000_000) == "1970-01-01T00:00:01.5Z"
