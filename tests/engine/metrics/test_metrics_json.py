"""Katib's JSON-lines metrics rules (katib-semantics 5.3)."""
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from kubetune.engine.metrics.json_lines import JsonMetricParser, float_timestamp, parse_json_lines
from kubetune.engine.metrics.report import ZERO_TIME, MetricsCollectionError

Z = ZERO_TIME


def one(line, names=("loss",)):
    return [(m.name, m.value, m.timestamp) for m in parse_json_lines(line, list(names))]


VALUE_CASES = [
    ('{"loss": "0.5"}', [("loss", "0.5", Z)]),
    ('{"loss": 0.5}', []),                 # numbers are ignored: only JSON strings count
    ('{"loss": 1}', []),
    ('{"loss": null}', []),
    ('{"loss": true}', []),
    ('{"loss": ["0.5"]}', []),
    ('{"loss": {"v": "0.5"}}', []),
    ('{"loss": " 0.5 "}', [("loss", " 0.5 ", Z)]),  # kept as written, not trimmed
    ('{"loss": "abc"}', [("loss", "abc", Z)]),
    ('{"loss": ""}', [("loss", "", Z)]),
    ('{"Loss": "0.5"}', []),               # keys are exact
    ('{"loss": "1", "loss": "2"}', [("loss", "2", Z)]),  # duplicate keys: the last wins
    ('  {"loss": "0.5"}\r', [("loss", "0.5", Z)]),
    ("null", []),                          # Go unmarshals null into a nil map without error
]


@pytest.mark.parametrize("line,expected", VALUE_CASES)
def test_values(line, expected):
    assert one(line) == expected


def test_metrics_of_a_line_come_in_requested_order():
    got = one('{"acc": "0.9", "loss": "0.5", "other": "1"}', ["loss", "acc"])
    assert [(n, v) for n, v, _ in got] == [("loss", "0.5"), ("acc", "0.9")]


TIMESTAMP_CASES = [
    ('"2024-03-04T17:55:08Z"', "2024-03-04T17:55:08Z"),
    ('"2024-03-04T17:55:08.5+02:00"', "2024-03-04T17:55:08.5+02:00"),  # kept as written
    ('""', Z),
    ('"2024-03-04 17:55:08"', Z),
    ('"yesterday"', Z),
    # numbers: integer part = Unix seconds, fraction digits = an integer count of nanoseconds
    ("1638422847.28721", "2021-12-02T05:27:27.000028721Z"),
    ("1638422847", "2021-12-02T05:27:27Z"),
    ("1638422847.0", "2021-12-02T05:27:27Z"),
    ("1638422847.5", "2021-12-02T05:27:27.000000005Z"),
    ("1638422847.05", "2021-12-02T05:27:27.000000005Z"),  # .05 and .5 collide
    ("1.6384228475e9", "2021-12-02T05:27:27.000000005Z"),
    ("-5.5", "1969-12-31T23:59:55.000000005Z"),
    ("0.000001", "1970-01-01T00:00:00.000000001Z"),
    ("1e300", Z),  # the integer part does not fit an int64
    ("true", Z),
    ("null", Z),
    ("[1]", Z),
]


@pytest.mark.parametrize("raw,expected", TIMESTAMP_CASES)
def test_timestamps(raw, expected):
    assert one('{"loss": "0.5", "timestamp": %s}' % raw) == [("loss", "0.5", expected)]


def test_missing_timestamp_is_zero_time():
    assert one('{"loss": "0.5"}') == [("loss", "0.5", Z)]


def test_float_timestamp_can_reorder_sub_second_times():
    earlier, later = float_timestamp(1638422847.1), float_timestamp(1638422847.05)
    assert earlier == "2021-12-02T05:27:27.000000001Z" and later == "2021-12-02T05:27:27.000000005Z"


@pytest.mark.parametrize("bad", [
    "{loss: 0.5}",
    '{"loss": "0.5"',
    '["loss", "0.5"]',
    '"loss"',
    "42",
    " ",                          # only an exactly empty line is skipped
    '{"loss": "0.5", "x": NaN}',  # Go's JSON has no NaN / Infinity
    '{"loss": "0.5", "x": 1e400}',  # a number out of float64 range fails the decode in Go
])
def test_one_malformed_line_fails_the_whole_collection(bad):
    text = '{"loss": "0.1"}\n' + bad + '\n{"loss": "0.2"}\n'
    with pytest.raises(MetricsCollectionError, match="<json>:2"):
        parse_json_lines(text, ["loss"])


def test_empty_lines_are_skipped_and_the_file_form_works(tmp_path):
    f = tmp_path / "metrics.json"
    f.write_text('{"loss": "0.3", "timestamp": "2024-03-04T17:55:08Z"}\n\n{"loss": 0.2}\n{"loss": "0.1"}')
    logs = parse_json_lines(f, ["loss"])
    assert [(m.value, m.timestamp) for m in logs] == [("0.3", "2024-03-04T17:55:08Z"), ("0.1", Z)]


def test_error_names_the_file_and_line(tmp_path):
    f = tmp_path / "m.json"
    f.write_text('{"loss": "1"}\nnot json\n')
    with pytest.raises(MetricsCollectionError) as err:
        parse_json_lines(Path(f), ["loss"])
    assert f"{f}:2" in str(err.value)


def test_streaming_parser_accumulates():
    p = JsonMetricParser(["loss"])
    assert p.feed_line('{"loss": "1"}\n')[0].value == "1"
    assert p.feed_line("") == []
    p.feed_line('{"loss": "2"}')
    assert [m.value for m in p.logs] == ["1", "2"]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_json_parser_only_ever_raises_collection_errors(text):
    try:
        logs = parse_json_lines(text, ["loss", "timestamp"])
    except MetricsCollectionError:
        return
    assert all(isinstance(m.value, str) for m in logs)
