"""The KFP pipeline's logic: data -> search (Katib or local engine) -> export best to the store ->
ensemble top-k -> report. pipelines/ holds the KFP v2 components, which only call kubetune.steps.steps,
and compiles, runs (kfp.local) and submits the pipeline.

data.py        prepare_dataset: locate, check, hold out the test split, build the decoded cache
space.py       built-in search spaces and inline ones
experiment.py  render the Katib Experiment from experiment_template.yaml
search.py      run it on Katib (create / 409 = resume / wait / Katib's reason) or with the local engine
export.py      checkpoint -> ONNX + Triton layout -> kubetune.store (MANIFEST.json last)
ensemble.py    predictions of the top-k on the test split, soft and hard voting
report.py      the Markdown leaderboard
steps.py       one function per component
checkpoints.py the best trial's checkpoint of a local or cluster experiment (`kubetune export`)

The commands (`kubetune pipeline ...`, `kubetune export`) are kubetune/cli/pipeline.py and export.py.
"""
from __future__ import annotations


def say(message: str) -> None:
    """A log line for a pipeline step: flushed at once, so KFP (and kfp.local) stream it live."""
    print(message, flush=True)
