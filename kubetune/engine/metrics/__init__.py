"""Katib's metrics collectors, rule for rule (katib-semantics 5.2, 5.3, 5.6).

What Katib's `file-metrics-collector` sidecar does, reproduced so that a local run records the
same metric logs a cluster run would:

* TEXT (StdOut collector, File collector with format TEXT): a line counts only if it contains a
  requested metric name as a substring; its first space-separated token is the timestamp if it
  parses as Go's RFC3339Nano, else the zero time; every filter regex (Katib's default, or the
  spec's `source.filter.metricsFormat`) is applied with "find all" semantics and its groups 1 and 2
  (trimmed) are the name and the value; only names equal to a requested metric are kept; values are
  kept as the matched text.
* JSON (File collector with format JSON): each non-empty line must be a JSON object (one bad line
  fails the whole collection); a metric counts only when its value is a JSON *string*; the
  `timestamp` key may be an RFC3339Nano string or a number read with Katib's nanosecond quirk.
* `finalize`: no objective value at all -> the whole report is one `unavailable` log.

Katib does this in Go; the Go behaviours that decide results (ParseFloat, RFC3339Nano, TrimSpace,
RE2) live in kubetune.gocompat, shared with `kubetune validate`.

report.py      MetricLog, ZERO_TIME / UNAVAILABLE, finalize (the report Katib stores)
filters.py     DEFAULT_FILTER and custom metricsFormat regexes -> (name, value) extractors
text.py        TextMetricParser, parse_text_file
json_lines.py  JsonMetricParser, parse_json_lines, Katib's numeric-timestamp quirk
files.py       reading a metrics file whole, or tailing it while the trial writes it

kubetune.engine.collector wires these to one running trial (StdOut lines or a File).
"""
