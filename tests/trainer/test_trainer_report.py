"""Metric lines as Katib's StdOut/File collectors read them."""

from __future__ import annotations

import io
import json
import re
from datetime import datetime

import pytest

from trainer.report import (KATIB_DEFAULT_REGEX as OURS, MetricsReporter, format_json_metrics, format_metrics,
                            format_value, log)
from trainer_helpers import KATIB_DEFAULT_REGEX, katib_parse

pytestmark = pytest.mark.usefixtures("one_thread")

METRICS = {"epoch": 3, "accuracy": 0.87, "loss": 0.52, "top5": 0.99, "f1": 0.86, "val_loss": 0.52,
           "train_loss": 0.41, "train_accuracy": 0.9, "lr": 3e-5}


def test_line_round_trips_through_katib_default_regex():
    assert OURS == KATIB_DEFAULT_REGEX
    line = format_metrics(METRICS)
    parsed = dict(katib_parse(line, list(METRICS)))
    assert set(parsed) == set(METRICS)
    for name, value in METRICS.items():
        assert float(parsed[name]) == pytest.approx(value, rel=1e-5)


def test_prefixed_names_do_not_leak_into_unprefixed_ones():
    # `train_loss=...` must not be read as `loss` (it would be with a `train/loss` name).
    line = format_metrics({"train_loss": 9.0, "loss": 1.5})
    assert katib_parse(line, ["loss"]) == [("loss", "1.5")]


@pytest.mark.parametrize("value, text", [(3, "3"), (True, "1"), (0.5, "0.5"), (1e-5, "1e-05"), (2.0, "2"),
                                         (-7.53e-05, "-7.53e-05"), (123456789012, "123456789012")])
def test_values_are_read_back_whole(value, text):
    assert format_value(value) == text
    assert katib_parse(f"m={text}", ["m"]) == [("m", text)]


@pytest.mark.parametrize("bad", ["val/loss", "val.loss", "a b", "timestamp", ""])
def test_names_katib_cannot_read_are_rejected(bad):
    with pytest.raises(ValueError, match="cannot be read"):
        format_metrics({bad: 1.0})


def test_non_finite_values_are_rejected():
    with pytest.raises(ValueError, match="not finite"):
        format_metrics({"loss": float("nan")})


def test_json_lines_have_quoted_values_and_rfc3339_time():
    line = format_json_metrics({"epoch": 2, "accuracy": 0.75}, "2024-03-04T17:55:08.123456Z")
    obj = json.loads(line)
    assert obj == {"epoch": "2", "accuracy": "0.75", "timestamp": "2024-03-04T17:55:08.123456Z"}
    assert all(isinstance(v, str) for v in obj.values())


def test_reporter_writes_stdout_and_file_formats(tmp_path):
    for fmt in ("text", "json"):
        stream = io.StringIO()
        path = tmp_path / f"metrics.{fmt}"
        rep = MetricsReporter(stream=stream, metrics_file=str(path), metrics_format=fmt)
        rep.report({"epoch": 1, "accuracy": 0.5})
        rep.report({"epoch": 2, "accuracy": 0.75})
        rep.close()
        out_lines = stream.getvalue().splitlines()
        assert len(out_lines) == 2
        stamp, rest = out_lines[1].split(" ", 1)
        datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ")   # first token is an RFC3339 time
        assert rest == "epoch=2 accuracy=0.75"
        file_lines = path.read_text().splitlines()
        if fmt == "text":
            assert file_lines == out_lines
        else:
            assert [json.loads(x)["accuracy"] for x in file_lines] == ["0.5", "0.75"]


def test_reporter_without_timestamps():
    stream = io.StringIO()
    MetricsReporter(stream=stream, timestamps=False).report({"epoch": 1, "accuracy": 0.5})
    assert stream.getvalue() == "epoch=1 accuracy=0.5\n"


def test_log_lines_never_carry_name_value_pairs():
    stream = io.StringIO()
    log("lr=0.1 accuracy = 0.9", stream)
    assert katib_parse(stream.getvalue(), ["lr", "accuracy"]) == []
    assert re.search(KATIB_DEFAULT_REGEX, stream.getvalue()) is None
