"""Katib's API coordinates and labels (kept apart from client.py so that reading them does not
import the kubernetes client, which costs a third of a second on every `kubetune` start)."""
from __future__ import annotations

GROUP = "kubeflow.org"
VERSION = "v1beta1"
EXPERIMENTS, TRIALS, SUGGESTIONS = "experiments", "trials", "suggestions"
EXPERIMENT_LABEL = "katib.kubeflow.org/experiment"  # on every Trial of an Experiment
TRIAL_POD_LABEL = "katib.kubeflow.org/trial"  # on every pod of a Trial (what the Katib UI selects logs by)
