"""Go standard-library behaviours that Katib's Go code applies to a trial's output, ported to Python.

Katib collects and judges metrics in Go, so where Go and Python disagree (what counts as a number,
a timestamp, a regex) kubetune follows Go; otherwise a local run would record different values
than the same trial on a cluster, and `kubetune validate` would accept specs Katib rejects.
This package sits at the bottom: it imports nothing from kubetune, and both `kubetune validate`
(kubetune.experiment) and `kubetune run` (kubetune.engine) use it.

strconv.py  strconv.ParseFloat / ParseInt / FormatFloat('f', -1): how Katib reads a metric value
            (underscores, hex floats, "1e400" is an error, not +Inf) and a numeric JSON timestamp
strings.py  strings.TrimSpace: Unicode White_Space, not Python's str.strip() set
rfc3339.py  time.Parse(time.RFC3339Nano) with Go's lenient general parser (one-digit hour, ','
            before the fraction), and Format(RFC3339Nano): metric timestamps, Katib's DB check
re2.py      regexp (RE2 syntax) translated to Python's `re`, with Go's find-all loop: the metric
            filters (`metricsFormat`); what Go rejects, or Python cannot reproduce, raises FilterError
"""
