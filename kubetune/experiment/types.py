"""A loaded, defaulted, validated Katib Experiment with typed read-only views."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .configmaps import TEMPLATE_TEXT_KEY
from .errors import Problem
from .space import Parameter, parse_parameters


@dataclass(frozen=True)
class Objective:
    type: str  # 'minimize' | 'maximize'
    goal: float | None
    metric_name: str
    additional_metric_names: tuple[str, ...]
    strategies: dict[str, str]  # metric name -> 'min' | 'max' | 'latest' (as written, may be invalid)


@dataclass(frozen=True)
class Algorithm:
    name: str
    settings: dict[str, str]  # later entries of a repeated name win, as in Katib's services


def _algorithm(part: Any) -> Algorithm | None:
    if not isinstance(part, dict):
        return None
    settings = {}
    for s in part.get("algorithmSettings") or []:
        if isinstance(s, dict):
            settings[s.get("name") or ""] = s.get("value") or ""
    return Algorithm(part.get("algorithmName") or "", settings)


@dataclass(kw_only=True)
class Experiment:
    """`raw` is the document as written, `spec` the defaulted spec Katib would store, `model`
    the kubeflow-katib-api V1beta1Experiment built from the defaulted document. `load_warnings`
    are the warnings found while loading (unknown fields, ignored status)."""

    name: str
    namespace: str = "default"
    raw: dict = field(default_factory=dict)
    spec: dict = field(default_factory=dict)
    model: Any = None
    source: str = "<dict>"
    load_warnings: list[Problem] = field(default_factory=list)
    config_map_template: str | None = None  # a ConfigMap template's text, read from a local file

    @property
    def metadata(self) -> dict:
        meta = self.raw.get("metadata") if isinstance(self.raw, dict) else None
        return meta if isinstance(meta, dict) else {}

    @property
    def annotations(self) -> dict:
        """metadata.annotations as written (kubetune extensions live here)."""
        value = self.metadata.get("annotations")
        return value if isinstance(value, dict) else {}

    @property
    def labels(self) -> dict:
        value = self.metadata.get("labels")
        return value if isinstance(value, dict) else {}

    @property
    def parameters(self) -> list[Parameter]:
        return parse_parameters(self.spec)

    @property
    def objective(self) -> Objective:
        obj = self.spec.get("objective") or {}
        strategies = {}
        for s in obj.get("metricStrategies") or []:
            if isinstance(s, dict) and (s.get("name") or "") not in strategies:
                strategies[s.get("name") or ""] = s.get("value") or ""
        return Objective(
            type=obj.get("type") or "",
            goal=float(obj["goal"]) if obj.get("goal") is not None else None,
            metric_name=obj.get("objectiveMetricName") or "",
            additional_metric_names=tuple(obj.get("additionalMetricNames") or ()),
            strategies=strategies,
        )

    @property
    def metric_names(self) -> list[str]:
        """Objective metric first, then the additional metrics (Katib's collection order)."""
        objective = self.objective
        return [objective.metric_name, *objective.additional_metric_names]

    @property
    def algorithm(self) -> Algorithm:
        return _algorithm(self.spec.get("algorithm")) or Algorithm("", {})

    @property
    def early_stopping(self) -> Algorithm | None:
        return _algorithm(self.spec.get("earlyStopping"))

    @property
    def parallel_trial_count(self) -> int:
        return int(self.spec.get("parallelTrialCount") or 3)

    @property
    def max_trial_count(self) -> int | None:
        return self.spec.get("maxTrialCount")

    @property
    def max_failed_trial_count(self) -> int | None:
        return self.spec.get("maxFailedTrialCount")

    @property
    def metrics_collector(self) -> dict:
        return self.spec.get("metricsCollectorSpec") or {}

    @property
    def trial_template(self) -> dict:
        """spec.trialTemplate; with a ConfigMap template read locally, its text under
        TEMPLATE_TEXT_KEY (what kubetune.engine.template renders)."""
        template = self.spec.get("trialTemplate") or {}
        if self.config_map_template is None:
            return template
        return {**template, TEMPLATE_TEXT_KEY: self.config_map_template}

    @property
    def resume_policy(self) -> str:
        return self.spec.get("resumePolicy") or "Never"

    @property
    def nas_config(self) -> dict | None:
        return self.spec.get("nasConfig")

    def document(self) -> dict:
        """The defaulted Experiment document (apiVersion, kind, metadata, defaulted spec)."""
        from .decode import normalise_free

        return {
            "apiVersion": self.raw.get("apiVersion"),
            "kind": self.raw.get("kind"),
            "metadata": normalise_free(self.metadata, "metadata", []),
            "spec": self.spec,
        }
