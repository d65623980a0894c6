"""The batch/v1 Job type, for webhook rule 18 (Katib's strict Job round trip).

The pod template comes from kubeflow-katib-api (already loaded for the Experiment); the few
JobSpec-level types are spelled out here (same fields as Kubernetes batch/v1 and
kubeflow-trainer-api's generated models) because importing kubeflow-trainer-api's model
package costs ~2 s on every start.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from pydantic import BaseModel, Field, StrictBool, StrictInt, StrictStr

from .katib_models import (
    IoK8sApimachineryPkgApisMetaV1LabelSelector,
    IoK8sApimachineryPkgApisMetaV1ObjectMeta,
    IoK8sApiCoreV1PodTemplateSpec,
)


class PodFailurePolicyOnExitCodes(BaseModel):
    container_name: Optional[StrictStr] = Field(default=None, alias="containerName")
    operator: StrictStr
    values: List[StrictInt]


class PodFailurePolicyOnPodConditions(BaseModel):
    status: Optional[StrictStr] = None
    type: StrictStr


class PodFailurePolicyRule(BaseModel):
    action: StrictStr
    on_exit_codes: Optional[PodFailurePolicyOnExitCodes] = Field(default=None, alias="onExitCodes")
    on_pod_conditions: Optional[List[PodFailurePolicyOnPodConditions]] = Field(
        default=None, alias="onPodConditions")


class PodFailurePolicy(BaseModel):
    rules: List[PodFailurePolicyRule]


class SuccessPolicyRule(BaseModel):
    succeeded_count: Optional[StrictInt] = Field(default=None, alias="succeededCount")
    succeeded_indexes: Optional[StrictStr] = Field(default=None, alias="succeededIndexes")


class SuccessPolicy(BaseModel):
    rules: List[SuccessPolicyRule]


class JobSpec(BaseModel):
    active_deadline_seconds: Optional[StrictInt] = Field(default=None, alias="activeDeadlineSeconds")
    backoff_limit: Optional[StrictInt] = Field(default=None, alias="backoffLimit")
    backoff_limit_per_index: Optional[StrictInt] = Field(default=None, alias="backoffLimitPerIndex")
    completion_mode: Optional[StrictStr] = Field(default=None, alias="completionMode")
    completions: Optional[StrictInt] = None
    managed_by: Optional[StrictStr] = Field(default=None, alias="managedBy")
    manual_selector: Optional[StrictBool] = Field(default=None, alias="manualSelector")
    max_failed_indexes: Optional[StrictInt] = Field(default=None, alias="maxFailedIndexes")
    parallelism: Optional[StrictInt] = None
    pod_failure_policy: Optional[PodFailurePolicy] = Field(default=None, alias="podFailurePolicy")
    pod_replacement_policy: Optional[StrictStr] = Field(default=None, alias="podReplacementPolicy")
    selector: Optional[IoK8sApimachineryPkgApisMetaV1LabelSelector] = None
    success_policy: Optional[SuccessPolicy] = Field(default=None, alias="successPolicy")
    suspend: Optional[StrictBool] = None
    template: IoK8sApiCoreV1PodTemplateSpec
    ttl_seconds_after_finished: Optional[StrictInt] = Field(default=None, alias="ttlSecondsAfterFinished")


class Job(BaseModel):
    api_version: Optional[StrictStr] = Field(default=None, alias="apiVersion")
    kind: Optional[StrictStr] = None
    metadata: Optional[IoK8sApimachineryPkgApisMetaV1ObjectMeta] = None
    spec: Optional[JobSpec] = None
    status: Optional[Dict[str, Any]] = None  # a template has no status; not worth typing
