"""Katib's TEXT metrics rules (katib-semantics 5.2), case by case."""
import pytest
from hypothesis import given, settings, strategies as st

from kubetune.engine.metrics import filters
from kubetune.engine.metrics.filters import DEFAULT_FILTER
from kubetune.results import UNAVAILABLE
from kubetune.engine.metrics.report import ZERO_TIME, MetricLog, MetricsCollectionError, finalize
from kubetune.engine.metrics.text import TextMetricParser, parse_text_file
from kubetune.gocompat.re2 import FilterError, compile_go_regex, go_find_all_submatch

Z = ZERO_TIME


def parse(line, names=("loss",), filters=None):
    return [(m.name, m.value, m.timestamp) for m in TextMetricParser(list(names), filters).feed_line(line)]


def test_default_filter_is_katibs_regex_verbatim():
    assert DEFAULT_FILTER == r"([\w|-]+)\s*=\s*([+-]?\d*(\.\d+)?([Ee][+-]?\d+)?)"


# (line, requested metric names, expected (name, value) in report order)
DEFAULT_CASES = [
    # the doc's / Katib's own examples
    ("loss=0.3", ["loss"], [("loss", "0.3")]),
    ("accuracy=.98", ["accuracy"], [("accuracy", ".98")]),
    ("accuracy=.9", ["accuracy"], [("accuracy", ".9")]),
    ("Score=-7.53e-05", ["Score"], [("Score", "-7.53e-05")]),
    ("Score=-7.53e+05", ["Score"], [("Score", "-7.53e+05")]),
    ("Score=1E0", ["Score"], [("Score", "1E0")]),
    ("Score=1.23E10", ["Score"], [("Score", "1.23E10")]),
    # '/' and '.' end a name: the tail is collected under the short name
    ("val/loss=0.3", ["loss"], [("loss", "0.3")]),
    ("val/loss=0.3", ["val/loss"], []),
    ("val.loss=0.3", ["val.loss"], []),
    ("val.loss=0.3", ["loss"], [("loss", "0.3")]),
    # '-' and '|' are name characters
    ("train-loss=0.2", ["loss"], []),
    ("train-loss=0.2", ["train-loss"], [("train-loss", "0.2")]),
    ("a|b=1", ["a|b"], [("a|b", "1")]),
    ("myloss=0.1", ["loss"], []),  # passes the substring pre-filter, wrong name
    # spacing around '='
    ("loss = 0.5", ["loss"], [("loss", "0.5")]),
    ("loss\t=\t0.5", ["loss"], [("loss", "0.5")]),
    ("loss\r=0.5\r", ["loss"], [("loss", "0.5")]),
    ("loss=\x0b0.5", ["loss"], [("loss", "")]),  # Go's \s has no \v: the value is empty
    ("loss: 0.5", ["loss"], []),
    ("loss 0.5", ["loss"], []),
    # the value group takes what it can, possibly nothing; the text is kept as matched
    ("loss=abc", ["loss"], [("loss", "")]),
    ("loss=", ["loss"], [("loss", "")]),
    ("loss=+5", ["loss"], [("loss", "+5")]),
    ("loss=-", ["loss"], [("loss", "-")]),
    ("loss=e5", ["loss"], [("loss", "e5")]),
    ("loss=5e", ["loss"], [("loss", "5")]),
    ("loss=0.5.", ["loss"], [("loss", "0.5")]),
    ("loss=1.2.3", ["loss"], [("loss", "1.2")]),
    ("loss=0x1p3", ["loss"], [("loss", "0")]),
    ("loss=1_000", ["loss"], [("loss", "1")]),
    ("loss=00.50", ["loss"], [("loss", "00.50")]),
    ("loss=-.5E-3x", ["loss"], [("loss", "-.5E-3")]),
    # several metrics per line, in line order; repeated names all collected
    ("epoch=1 loss=0.5 accuracy=0.9", ["accuracy", "loss"], [("loss", "0.5"), ("accuracy", "0.9")]),
    ("loss=1 loss=2", ["loss"], [("loss", "1"), ("loss", "2")]),
    ("loss=12abc=3", ["loss", "abc"], [("loss", "12"), ("abc", "3")]),
    ("x=1,loss=2;acc=3", ["loss", "acc"], [("loss", "2"), ("acc", "3")]),
    # the pre-filter is a case-sensitive substring test
    ("LOSS=0.5", ["loss"], []),
    ("Loss=0.5", ["Loss"], [("Loss", "0.5")]),
    ("nothing here", ["loss"], []),
    # non-ASCII letters are not \w in Go
    ("épsilon=1 loss=2", ["psilon", "loss"], [("psilon", "1"), ("loss", "2")]),
    ("", ["loss"], []),
]


@pytest.mark.parametrize("line,names,expected", DEFAULT_CASES)
def test_default_filter(line, names, expected):
    assert [(n, v) for n, v, _ in parse(line, names)] == expected


# (line, expected timestamp): the first space-separated token, if Go parses it as RFC3339Nano
TIMESTAMP_CASES = [
    ("2024-03-04T17:55:08Z loss=0.5", "2024-03-04T17:55:08Z"),
    ("2024-03-04T17:55:08.123456789+02:00 loss=0.5", "2024-03-04T17:55:08.123456789+02:00"),
    ("2024-03-04T17:55:08.1234567891234Z loss=0.5", "2024-03-04T17:55:08.1234567891234Z"),
    ("2024-03-04T17:55:08,5Z loss=0.5", "2024-03-04T17:55:08,5Z"),  # Go accepts ',' for the fraction
    ("2024-03-04T7:55:08Z loss=0.5", "2024-03-04T7:55:08Z"),  # and a one-digit hour
    ("2024-03-04 17:55:08,123 INFO loss=0.5", Z),  # Python logging's default format
    ("[2024-03-04T17:55:08Z] loss=0.5", Z),
    ("2024-03-04T17:55:08Z\tloss=0.5", Z),  # only a space separates the token
    (" 2024-03-04T17:55:08Z loss=0.5", Z),
    ("2024-02-30T00:00:00Z loss=0.5", Z),
    ("2024-03-04t17:55:08z loss=0.5", Z),
    ("2024-03-04T17:55:08 loss=0.5", Z),  # no zone
    ("loss=0.5", Z),  # no space at all
    ("loss=0.5 2024-03-04T17:55:08Z", Z),
]


@pytest.mark.parametrize("line,timestamp", TIMESTAMP_CASES)
def test_timestamp_is_first_token_or_zero_time(line, timestamp):
    assert parse(line) == [("loss", "0.5", timestamp)]


def test_one_timestamp_for_every_metric_of_the_line():
    got = parse("2024-03-04T17:55:08Z loss=0.5 acc=0.9", ["loss", "acc"])
    assert got == [("loss", "0.5", "2024-03-04T17:55:08Z"), ("acc", "0.9", "2024-03-04T17:55:08Z")]


FILE_EXAMPLE = r"{metricName: ([\w|-]+), metricValue: ((-?\d+)(\.\d+)?)}"
XGBOOST_EXAMPLE = r"(\w+\s\w+)\s:\s((-?\d+)(\.\d+)?)"
DARTS_EXAMPLE = r"([\w-]+)=(Genotype.*)"

CUSTOM_CASES = [
    # Katib's shipped File example
    ([FILE_EXAMPLE], "{metricName: accuracy, metricValue: 0.8}", ["accuracy"], [("accuracy", "0.8")]),
    ([FILE_EXAMPLE], "{metricName: loss, metricValue: -1.25} {metricName: accuracy, metricValue: 1}",
     ["loss", "accuracy"], [("loss", "-1.25"), ("accuracy", "1")]),
    ([FILE_EXAMPLE], "accuracy=0.8", ["accuracy"], []),  # the default is not used any more
    # XGBoost example: metric names with a space
    ([XGBOOST_EXAMPLE], "[7]\tvalid_1 auc : 0.91", ["valid_1 auc"], [("valid_1 auc", "0.91")]),
    # DARTS: a string metric
    ([DARTS_EXAMPLE], "Best-Genotype=Genotype(normal=[[('sep_conv_3x3', 0)]])", ["Best-Genotype"],
     [("Best-Genotype", "Genotype(normal=[[('sep_conv_3x3', 0)]])")]),
    # groups are trimmed (Go's TrimSpace)
    ([r"(\s*loss\s*):(\s*\S+\s*)"], "loss : 0.5 ", ["loss"], [("loss", "0.5")]),
    # fewer than two groups: every match is skipped
    ([r"loss=(\d+)"], "loss=3", ["loss"], []),
    # groups that did not take part are "" (Go pads them)
    ([r"(loss)=(\d+)?"], "loss=x", ["loss"], [("loss", "")]),
    # several filters: all of the first filter's matches, then the second's
    ([r"(loss)=(\d+)", r"(acc)=(\d+)"], "acc=1 loss=2", ["loss", "acc"], [("loss", "2"), ("acc", "1")]),
    # a ';' splits a filter (the webhook joins filters with ';' into one sidecar flag)
    ([r"(loss)=(\d+);(acc)=(\d+)"], "acc=1 loss=2", ["loss", "acc"], [("loss", "2"), ("acc", "1")]),
    # a single empty filter means no filter: Katib's default applies
    ([""], "loss=0.5", ["loss"], [("loss", "0.5")]),
    # Go's find-all skips an empty match right after a match
    ([r"(l?)(o*)"], "loo", ["", "l"], [("l", "oo")]),
]


@pytest.mark.parametrize("filters,line,names,expected", CUSTOM_CASES)
def test_custom_filters(filters, line, names, expected):
    assert [(n, v) for n, v, _ in parse(line, names, filters)] == expected


@pytest.mark.parametrize("bad", [
    r"(loss)(?=x)(\d)",      # lookahead
    r"(a)\1",                # backreference
    r"(loss=(\d+)",          # unbalanced
    r"(loss)=(\d+)**",       # nested repetition
    r"(a{1001})(b)",         # repeat count over 1000
    r"(\pL+)=(\d)",          # Unicode class: Go accepts, cannot be run locally
    r"(?U)(a+)(b)",          # ungreedy flag: Go accepts, cannot be run locally
    r"(\z)(a\Z)",            # \Z is not RE2
])
def test_invalid_or_unsupported_filter_is_a_clear_error(bad):
    with pytest.raises(FilterError, match="metrics filter"):
        TextMetricParser(["loss"], [bad])


def test_metric_names_are_checked():
    with pytest.raises(ValueError, match="metric_names"):
        TextMetricParser([])
    with pytest.raises(ValueError, match="metric_names"):
        TextMetricParser("loss")


def test_feed_line_drops_one_newline_and_splits_embedded_ones():
    p = TextMetricParser(["loss"])
    assert [m.value for m in p.feed_line("loss=1\n")] == ["1"]
    assert [m.value for m in p.feed_line("loss=2\nloss=3")] == ["2", "3"]
    assert [m.value for m in p.logs] == ["1", "2", "3"]


def test_feed_holds_a_partial_line_until_its_end_arrives():
    p = TextMetricParser(["loss", "acc"])
    assert p.feed("epoch=1 lo") == []
    assert p.feed("ss=0.") == []
    assert [(m.name, m.value) for m in p.feed("25 acc=0.5\nloss=0.2")] == [("loss", "0.25"), ("acc", "0.5")]
    assert [(m.name, m.value) for m in p.close()] == [("loss", "0.2")]  # the unterminated last line counts
    assert [m.value for m in p.logs] == ["0.25", "0.5", "0.2"]


def test_parse_text_file_reads_every_line_including_the_last_unterminated_one(tmp_path):
    f = tmp_path / "metrics.log"
    f.write_bytes(b"2024-03-04T17:55:08Z loss=0.5\r\nstep 2 loss=0.4\n\xff\xfe garbage loss=0.3")
    logs = parse_text_file(f, ["loss"])
    assert [(m.value, m.timestamp) for m in logs] == [("0.5", "2024-03-04T17:55:08Z"), ("0.4", Z), ("0.3", Z)]


def test_finalize_objective_missing_gives_a_single_unavailable_log():
    logs = [MetricLog("accuracy", "0.9", "2024-03-04T17:55:08Z")]
    assert finalize(logs, "loss") == [MetricLog("loss", UNAVAILABLE, Z)]  # additional metrics dropped too
    assert finalize([], "loss") == [MetricLog("loss", UNAVAILABLE, Z)]


def test_finalize_keeps_logs_when_the_objective_was_reported():
    logs = [MetricLog("accuracy", "0.9"), MetricLog("loss", "")]
    assert finalize(logs, "loss") == logs


def test_finalize_rejects_a_timestamp_katibs_db_cannot_store():
    with pytest.raises(MetricsCollectionError, match="RFC3339Nano"):
        finalize([MetricLog("loss", "1", "33658-09-27T01:46:40Z")], "loss")


# ---------------------------------------------------------------------------------------------
# properties

@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab-|_=.+eE0159 \t\x0b/:é", max_size=40))
def test_linear_default_matcher_equals_the_regex_run_go_style(line):
    regex = compile_go_regex(DEFAULT_FILTER)
    by_regex = [(g[1], g[2]) for g in go_find_all_submatch(regex, line)]
    assert list(filters.default_filter_pairs(line)) == by_regex


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_text_parser_never_raises_on_arbitrary_text(text):
    for filters in (None, [FILE_EXAMPLE], [r"(\w+)\s*:\s*(\S*)"]):
        parser = TextMetricParser(["loss", "a", "é", "\x00"], filters)
        parser.feed(text)
        parser.close()
        for line in text.splitlines():
            parser.feed_line(line)
        assert all(isinstance(m.value, str) for m in parser.logs)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(alphabet="los=0.5 \nacE-", max_size=12), max_size=8))
def test_chunking_does_not_change_what_is_collected(chunks):
    text = "".join(chunks)
    streamed = TextMetricParser(["loss", "acc"])
    for chunk in chunks:
        streamed.feed(chunk)
    streamed.close()
    whole = TextMetricParser(["loss", "acc"])
    for line in text.split("\n"):
        whole.feed_line(line)
    assert streamed.logs == whole.logs


def test_long_word_runs_are_parsed_correctly():
    # a base64-like blob that contains a metric name: Katib's RE2 is linear here, and so is the
    # local default matcher (a backtracking regex would take minutes on this line)
    line = "loss" + "A" * 100_000 + " loss=0.5"
    assert parse(line) == [("loss", "0.5", Z)]
