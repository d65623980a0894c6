"""NNI's Kubernetes training services (kubeflow, frameworkcontroller) -> PyTorchJob / TFJob trials.

NNI ran each trial of a `kubeflow` experiment as a TFJob (tf-operator: ps + worker + master) or a
PyTorchJob (pytorch-operator: master + worker), and of a `frameworkcontroller` experiment as a
Framework of task roles. Katib runs a trial as the same kind of job, so each NNI role becomes a
replica of the trial's job (v1: trial.worker/ps/master or trial.taskRoles; v2: trainingService.*):

* kubeflow, pytorch-operator: master -> Master, worker -> Worker; with no master, one worker
  replica becomes the Master (Katib collects the metrics of the pod labelled job-role=master).
* kubeflow, tf-operator: ps -> PS, worker -> Worker, master -> Chief.
* frameworkcontroller: a role named ps makes it a TFJob (ps -> PS, chief/master -> Chief, others
  Worker); otherwise a PyTorchJob whose role named master/chief (else the first role) is the Master
  and the others Workers.
  frameworkAttemptCompletionPolicy is dropped: the job ends when its Master/Chief does.

Per role: taskNum/replicas -> replicas, gpuNum -> nvidia.com/gpu, cpuNum -> cpu, memoryMB /
memorySize -> memory; the storage (NFS / Azure file share) that NNI copied the code to is dropped
(the code is in the image at /code). The container is named as the operator requires (pytorch,
tensorflow) and is the trial's primary container.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

from .errors import join, show

OPERATORS = {"pytorch-operator": "PyTorchJob", "tf-operator": "TFJob"}
CONTAINER = {"PyTorchJob": "pytorch", "TFJob": "tensorflow"}
REPLICA_KEY = {"PyTorchJob": "pytorchReplicaSpecs", "TFJob": "tfReplicaSpecs"}
PRIMARY = {"PyTorchJob": "Master", "TFJob": "Chief"}
MEMORY_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)b?\s*$", re.IGNORECASE)
MEBIBYTES = {"k": 1 / 1024, "": 1, "m": 1, "g": 1024, "t": 1024 * 1024}

# v1 keys are exact camelCase; v2 names go through the v2 reader's loose matching.
V1_KUBEFLOW_ROLE = ("replicas", "command", "gpuNum", "cpuNum", "memoryMB", "image", "privateRegistryAuthPath")
V1_FC_ROLE = ("name", "taskNum", "frameworkAttemptCompletionPolicy", "command", "gpuNum", "cpuNum", "memoryMB",
              "image", "privateRegistryAuthPath")
V1_KUBEFLOW_CONFIG = ("operator", "apiVersion", "storage", "nfs", "keyVault", "azureStorage", "uploadRetryCount",
                      "reuse", "namespace")
V1_FC_CONFIG = ("storage", "serviceAccountName", "nfs", "namespace", "configPath", "pvc", "keyVault",
                "azureStorage", "uploadRetryCount", "reuse")
V2_KUBEFLOW_ROLE = ("replicas", "command", "gpuNumber", "cpuNumber", "memorySize", "dockerImage", "codeDirectory")
V2_FC_ROLE = ("name", "dockerImage", "taskNumber", "command", "gpuNumber", "cpuNumber", "memorySize",
              "frameworkAttemptCompletionPolicy")
V2_KUBEFLOW = ("operator", "apiVersion", "storage", "worker", "ps", "master", "namespace")
V2_FC = ("storage", "serviceAccountName", "taskRoles", "namespace")


@dataclass
class Role:
    """One NNI role as a replica of the trial's job."""

    replica: str  # Master, Worker, PS, Chief
    replicas: int
    command: str
    gpus: int
    cpus: int | None
    memory_mib: int | None
    path: str  # key path in the config, for messages and notes


def memory_mib(value: Any) -> int | None:
    """NNI's memory size (an int of MB, or '4g', '512m', '1gb') in MiB; None when unreadable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    match = MEMORY_RE.match(value) if isinstance(value, str) else None
    if not match:
        return None
    mib = float(match.group(1)) * MEBIBYTES[match.group(2).lower()]
    return max(1, round(mib)) if mib > 0 else None


def read_role(reader, block: dict, path: str, replica: str, v2: bool, count_key: str) -> Role | None:
    """A role block already checked for unknown keys; problems are added to the reader."""
    keys = (("gpuNumber", "cpuNumber", "memorySize") if v2 else ("gpuNum", "cpuNum", "memoryMB"))
    count = reader.int_value(block.get(count_key), join(path, count_key), 1, 99999)
    if count_key not in block:
        reader.problems.add(join(path, count_key), reader.missing_key)
    command = reader.str_value(block.get("command"), join(path, "command"), required=True)
    gpus = reader.int_value(block.get(keys[0]), join(path, keys[0]), 0, 99999) or 0
    cpus = reader.int_value(block.get(keys[1]), join(path, keys[1]), 0, 99999)
    memory = None
    if block.get(keys[2]) is not None:
        memory = memory_mib(block[keys[2]])
        if memory is None:
            reader.problems.add(join(path, keys[2]), f"found {show(block[keys[2]])}; must be a memory size",
                                ["a number of MB", "'4g'", "'512m'"])
    image_key = "dockerImage" if v2 else "image"
    if isinstance(block.get(image_key), str):
        reader.note(join(path, image_key), f"{block[image_key]} not used: the trial's image needs kubetune (the "
                                            "trainer or the nni shim) and the code at /code; pass --image")
    if count is None or command is None:
        return None
    return Role(replica, count, command, gpus, cpus or None, memory, path)


def kubeflow_roles(reader, trial: dict, config: dict, path: str, config_path: str, v2: bool) -> tuple[str, list[Role]]:
    """(kind, roles) of a kubeflow training service; ('', []) after a problem."""
    operator = config.get("operator")
    if not isinstance(operator, str) or operator not in OPERATORS:
        reader.problems.add(join(config_path, "operator"), f"found {show(operator)}", list(OPERATORS))
        return "", []
    kind = OPERATORS[operator]
    names = {"PyTorchJob": {"master": "Master", "worker": "Worker"},
             "TFJob": {"master": "Chief", "worker": "Worker", "ps": "PS"}}[kind]
    allowed = V2_KUBEFLOW_ROLE if v2 else V1_KUBEFLOW_ROLE
    roles = []
    for key in ("master", "worker", "ps"):
        if trial.get(key) is None:
            continue
        if key not in names:
            reader.problems.add(join(path, key), f"{operator} has no {key} role", list(names))
            continue
        block = reader.config_block(trial[key], join(path, key), allowed)
        role = read_role(reader, block, join(path, key), names[key], v2, "replicas")
        if role is not None:
            roles.append(role)
    if not roles and not reader.problems:
        reader.problems.add(path, "the kubeflow platform needs a worker (or master) role", list(names))
    return kind, _with_primary(kind, roles, reader)


def frameworkcontroller_roles(reader, task_roles: Any, path: str, v2: bool) -> tuple[str, list[Role]]:
    """(kind, roles) of a frameworkcontroller training service's taskRoles."""
    if not isinstance(task_roles, list) or not task_roles:
        reader.problems.add(path, "the frameworkcontroller platform needs a non-empty taskRoles list")
        return "", []
    blocks = [reader.config_block(b, join(path, i), V2_FC_ROLE if v2 else V1_FC_ROLE) for i, b in enumerate(task_roles)]
    names = [str(b.get("name", "")).lower() for b in blocks]
    kind = "TFJob" if "ps" in names else "PyTorchJob"
    lead = next((i for i, n in enumerate(names) if n in ("master", "chief")), 0)  # PyTorchJob's Master
    roles = []
    for i, (block, name) in enumerate(zip(blocks, names)):
        if not name:
            reader.problems.add(join(join(path, i), "name"), reader.missing_key)
            continue
        if name == "ps":
            replica = "PS"
        elif kind == "TFJob":
            replica = "Chief" if name in ("master", "chief") else "Worker"
        else:
            replica = "Master" if i == lead else "Worker"
        role = read_role(reader, block, join(path, i), replica, v2, "taskNumber" if v2 else "taskNum")
        if role is not None:
            roles.append(role)
    merged: dict[str, Role] = {}
    for role in roles:  # two non-lead roles both become Worker replicas: one spec, their counts added
        if role.replica in merged:
            reader.note(role.path, f"merged into the {role.replica} replicas of {merged[role.replica].path} "
                                   "(a PyTorchJob/TFJob has one spec per replica type; the first role's command runs)")
            merged[role.replica].replicas += role.replicas
        else:
            merged[role.replica] = role
    if any("frameworkAttemptCompletionPolicy" in b for b in blocks):
        reader.note(path, "frameworkAttemptCompletionPolicy dropped: the job ends when its "
                          f"{PRIMARY[kind]} replica does")
    return kind, _with_primary(kind, list(merged.values()), reader)


def _with_primary(kind: str, roles: list[Role], reader) -> list[Role]:
    """The primary replica first, and exactly one of it: a PyTorchJob needs one Master (a worker
    replica is promoted when none is given), a TFJob at most one Chief (without one, worker 0 is
    the primary pod, as training-operator labels it); extra copies become Workers."""
    primary = PRIMARY[kind]
    if kind == "PyTorchJob" and roles and not any(r.replica == primary for r in roles):
        worker = roles[0]
        reader.note(worker.path, f"a PyTorchJob needs a Master: one of the {worker.replicas} worker replica(s) "
                                 "becomes the Master (the pod Katib reads the metrics of)")
        roles.insert(0, Role(primary, worker.replicas, worker.command, worker.gpus, worker.cpus, worker.memory_mib,
                             worker.path))
        roles.remove(worker)
    lead = next((r for r in roles if r.replica == primary), None)
    if lead is not None and lead.replicas > 1:
        extra, lead.replicas = lead.replicas - 1, 1
        worker = next((r for r in roles if r.replica == "Worker"), None)
        if worker is None:
            roles.append(Role("Worker", extra, lead.command, lead.gpus, lead.cpus, lead.memory_mib, lead.path))
        else:
            worker.replicas += extra
        reader.note(lead.path, f"a {kind} has one {primary}: the other {extra} replica(s) run as Workers")
    return sorted(roles, key=lambda r: r.replica != primary)


def resources(role: Role) -> dict:
    limits: dict[str, Any] = {}
    if role.gpus:
        limits["nvidia.com/gpu"] = role.gpus
    if role.cpus:
        limits["cpu"] = role.cpus
    if role.memory_mib:
        limits["memory"] = f"{role.memory_mib}Mi"
    return {"limits": limits} if limits else {}


def replica_job(kind: str, roles: list[Role], containers: dict[str, dict], pod_extra: dict,
                deadline: int | None) -> dict:
    """The trialSpec: a PyTorchJob/TFJob with one replica spec per role; `containers` by replica."""
    specs = {}
    for role in sorted(roles, key=lambda r: r.replica != PRIMARY[kind]):
        specs[role.replica] = {"replicas": role.replicas, "restartPolicy": "Never",
                               "template": {"spec": {"containers": [containers[role.replica]],
                                                     **copy.deepcopy(pod_extra)}}}
    spec: dict[str, Any] = {REPLICA_KEY[kind]: specs}
    if deadline:
        spec["runPolicy"] = {"activeDeadlineSeconds": deadline}
    return {"apiVersion": "kubeflow.org/v1", "kind": kind, "spec": spec}
