"""The trials table of `kubetune dashboard`: every Katib trial by name, with its state, metrics (by
their names) and parameters, on one page.

optuna-dashboard 0.21 still routes `/dashboard/studies/<id>/trialTable` but renders nothing there
(the page was dropped from its UI), and its trial list calls trials "Trial 0..N". `with_trial_table`
wraps the dashboard's WSGI app so that the table URL, and `/kubetune/trials`, answer with this page
instead; everything else is optuna-dashboard. Plain server-side HTML: no script, so it renders in
any browser, headless ones included. Numbers are shown with a few significant digits
(kubetune.numbers), exact in the `title` tooltip.
"""
from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Callable, Iterable

from kubetune.numbers import human
from kubetune.results import ranked

from .state import ExperimentState

TABLE_PATHS = re.compile(r"^/(kubetune/trials|dashboard/studies/(\d+)/trial[Tt]able)/?$")


def _cell(value, numeric: bool = False) -> str:
    if value is None or value == "":
        return "<td>-</td>"
    text = human(value) if numeric else str(value)
    exact = f' title="{html.escape(str(value))}"' if text != str(value) else ""
    return f'<td{" class=num" if numeric else ""}{exact}>{html.escape(text)}</td>'


def trial_table_html(state_path: str | Path, study_id: int = 0) -> str:
    """The page: a heading naming the experiment and its objective, and one row per trial, best first."""
    state = ExperimentState(state_path, readonly=True)
    try:
        experiment = state.experiment()
        rows = state.trials()
    finally:
        state.close()
    objective = experiment["spec"].get("objective") or {}
    metric = objective.get("objectiveMetricName", "objective")
    metrics = [metric, *(objective.get("additionalMetricNames") or [])]
    direction = objective.get("type", "maximize")
    params = list(dict.fromkeys(k for t in rows for k in t.assignments))
    number = {t.name: i for i, t in enumerate(rows)}  # the Optuna trial number (creation order)
    head = "".join(f"<th>{html.escape(h)}</th>" for h in ["#", "trial", "state", *metrics, *params, "optuna"])
    body = []
    for i, t in enumerate(ranked(rows, direction), 1):
        values = [t.objective] + [(t.observation.get(m) or {}).get("latest") for m in metrics[1:]]
        link = f'<a href="/dashboard/studies/{study_id}/trials?numbers={number[t.name]}">trial {number[t.name]}</a>'
        body.append("<tr>" + _cell(i, True) + f'<td class="trial">{html.escape(t.name)}</td>'
                    + f'<td class="state {html.escape(t.state)}">{html.escape(t.state)}</td>'
                    + "".join(_cell(v, True) for v in values)
                    + "".join(_cell(t.assignments.get(p), True) for p in params)
                    + f"<td>{link}</td></tr>")
    name = html.escape(experiment["name"])
    return (f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>{name}: trials</title><style>"
            "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
            "th,td{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:left}td.num{text-align:right}"
            ".Succeeded{color:#2e7d32}.Failed,.Killed{color:#c62828}.EarlyStopped{color:#ef6c00}</style></head>"
            f"<body><h1>{name}</h1><p>{len(rows)} trials, objective <b>{html.escape(metric)}</b> "
            f"({html.escape(direction)}), best first. <a href=\"/dashboard/studies/{study_id}\">dashboard</a></p>"
            f'<table id="trials"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
            "</body></html>")


def with_trial_table(app: Callable, state_path: str | Path, study_id: int = 0) -> Callable:
    """A WSGI app: the trials table at its URLs, optuna-dashboard (`app`) everywhere else."""

    def wrapped(environ: dict, start_response: Callable) -> Iterable[bytes]:
        if TABLE_PATHS.match(environ.get("PATH_INFO", "")) and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            page = trial_table_html(state_path, study_id).encode("utf-8")
            start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                      ("Content-Length", str(len(page))), ("Cache-Control", "no-store")])
            return [page]
        return app(environ, start_response)

    return wrapped
