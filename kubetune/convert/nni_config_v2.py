"""NNI config v2: its schema (field names matched case-insensitively, underscores ignored:
`trial_concurrency` == `trialConcurrency`; null means unset) and its reader."""
from __future__ import annotations

from typing import Any

from kubetune.experiment.duration import parse_duration
from .errors import join, show, suggestion
from .nni_config_common import SHARED_STORAGE, SUPPORTED_PLATFORMS, Algo, ConfigReader, NniConfig
from .nni_k8s import V2_FC, V2_KUBEFLOW, frameworkcontroller_roles, kubeflow_roles

V2_PLATFORMS = ("local", "remote", "openpai", "aml", "dlc", "kubeflow", "frameworkcontroller", "adl")

V2_EXPERIMENT = ("experimentName", "experimentType", "searchSpaceFile", "searchSpace", "trialCommand",
                 "trialCodeDirectory", "trialConcurrency", "trialGpuNumber", "maxExperimentDuration",
                 "maxTrialNumber", "maxTrialDuration", "nniManagerIp", "useAnnotation", "debug", "logLevel",
                 "experimentWorkingDirectory", "tunerGpuIndices", "tuner", "assessor", "advisor",
                 "trainingService", "sharedStorage")
V2_ALGO = ("name", "className", "codeDirectory", "classArgs")
V2_TS_COMMON = ("platform", "trialCommand", "trialCodeDirectory", "trialGpuNumber", "nniManagerIp", "debug",
                "reuseMode")
V2_TS = {"local": V2_TS_COMMON + ("useActiveGpu", "maxTrialNumberPerGpu", "gpuIndices"),
         "remote": V2_TS_COMMON + ("machineList",), "kubeflow": V2_TS_COMMON + V2_KUBEFLOW,
         "frameworkcontroller": V2_TS_COMMON + V2_FC}
V2_MACHINE = ("host", "port", "user", "password", "sshKeyFile", "sshPassphrase", "useActiveGpu",
              "maxTrialNumberPerGpu", "gpuIndices", "pythonPath")
V2_K8S = ("kubeflow", "frameworkcontroller")
V2_DROPPED = ("nniManagerIp", "debug", "logLevel", "experimentWorkingDirectory", "tunerGpuIndices")


def _canon(key: str) -> str:
    return key.replace("_", "").lower()


def v2_field_name(key: Any) -> str | None:
    """The v2 experiment field `key` stands for, if any (the v1 reader says when a key is a v2 one)."""
    return {_canon(k): k for k in V2_EXPERIMENT}.get(_canon(key)) if isinstance(key, str) else None


class V2Reader(ConfigReader):
    version = 2
    dropped_keys = V2_DROPPED
    duration_parser = staticmethod(parse_duration)
    missing_key = "required field is missing"

    def config_block(self, value: Any, path: str, allowed: tuple[str, ...]) -> dict:
        return self.fields(value, path, allowed)

    def fields(self, value: Any, path: str, allowed: tuple[str, ...]) -> dict:
        """A v2 config object with canonical field names; null values dropped (NNI: null = unset)."""
        block = self.mapping(value, path)
        table = {_canon(k): k for k in allowed}
        out: dict = {}
        for key, v in block.items():
            name = table.get(_canon(key)) if isinstance(key, str) else None
            if name is None:
                hint = ""
                if isinstance(key, str) and key in ("maxTrialNum", "maxExecDuration", "searchSpacePath",
                                                    "trial", "authorName"):
                    hint = " (a v1 key: add trainingServicePlatform to make the file v1, or use the v2 name)"
                self.problems.add(join(path, key), f"unknown field {show(key)}{hint}{suggestion(str(key), allowed)}",
                                  allowed)
                continue
            if name in out:
                self.problems.add(join(path, key), f"field {name} is given twice (NNI matches field names "
                                                   "case-insensitively and ignores underscores)")
            if v is not None:
                out[name] = v
        return out

    def read(self) -> NniConfig:
        doc = self.fields(self.doc, "", V2_EXPERIMENT)
        if doc.get("experimentType", "hpo") != "hpo":
            self.problems.add("experimentType", f"found {show(doc['experimentType'])}; only hpo can be converted",
                              ["hpo"])
        if self.bool_value(doc.get("useAnnotation"), "useAnnotation"):
            self.problems.add("useAnnotation", "useAnnotation: true cannot be converted (the search space must be "
                                               "declared); generate it and set searchSpaceFile", ["false"])
        ts_raw = doc.get("trainingService")
        if ts_raw is None:
            self.problems.add("trainingService", "required field is missing (e.g. {platform: local})")
        hybrid = isinstance(ts_raw, list)
        if hybrid:
            self.problems.add("trainingService", "hybrid mode (a list of training services) cannot be converted; "
                                                 "give one training service")
        ts_block = {} if hybrid else self.mapping(ts_raw, "trainingService")
        platform = next((v for k, v in ts_block.items() if isinstance(k, str) and _canon(k) == "platform"), None)
        if ts_raw is None or hybrid:
            ts = {}
        elif not isinstance(platform, str) or platform not in V2_PLATFORMS:
            self.problems.add("trainingService.platform", f"found {show(platform)}", V2_PLATFORMS)
            ts: dict = {}
        elif platform not in SUPPORTED_PLATFORMS:
            self.problems.add("trainingService.platform", f"platform {platform!r} is not supported by the converter "
                                                          "(Kubernetes replaces it: trials run as Jobs)",
                              SUPPORTED_PLATFORMS)
            ts = {}
        else:
            ts = self.fields(ts_block, "trainingService", V2_TS[platform])
        for shortcut in ("trialCommand", "trialCodeDirectory", "trialGpuNumber"):
            if shortcut in ts and shortcut in doc and ts[shortcut] != doc[shortcut]:
                self.note(f"trainingService.{shortcut}", "differs from the top-level value; the training "
                                                         "service's value is used (as NNI does)")
            if shortcut in ts:
                doc[shortcut] = ts[shortcut]
        k8s = self.k8s_platform(ts, platform)
        if k8s.get("roles"):  # NNI ignores trialCommand there: the primary role's command is the trial's
            doc["trialCommand"], doc["trialGpuNumber"] = k8s["roles"][0].command, k8s["roles"][0].gpus
        command = self.str_value(doc.get("trialCommand"), "trialCommand", required=platform not in V2_K8S)
        code_text = self.path_value(doc.get("trialCodeDirectory"), "trialCodeDirectory") or "."
        concurrency = self.int_value(doc.get("trialConcurrency"), "trialConcurrency", 1)
        if "trialConcurrency" not in doc:
            self.problems.add("trialConcurrency", "required field is missing")
        gpus = self.int_value(doc.get("trialGpuNumber"), "trialGpuNumber", 0)
        max_trials = self.int_value(doc.get("maxTrialNumber"), "maxTrialNumber", 1)
        found = self.limits_and_algorithms(doc, "maxExperimentDuration")
        tuner, advisor = found["tuner"], found["advisor"]
        if tuner and advisor:
            self.problems.add("advisor", "tuner and advisor cannot both be set")
        if not tuner and not advisor and doc.get("tuner") is None and doc.get("advisor") is None:
            self.problems.add("tuner", "required field is missing")
        space, space_source = {}, ""
        if "searchSpaceFile" in doc and "searchSpace" in doc:
            self.problems.add("searchSpace", "give either searchSpaceFile or searchSpace, not both")
        elif "searchSpaceFile" in doc:
            path = self.path_value(doc["searchSpaceFile"], "searchSpaceFile", required=True)
            if path:
                space, space_source = self.load_space_file(path, "searchSpaceFile")
        elif "searchSpace" in doc:
            space, space_source = self.mapping(doc["searchSpace"], "searchSpace"), f"{self.source}:searchSpace"
        else:
            self.problems.add("searchSpaceFile", "required: searchSpaceFile or an inline searchSpace")
        machines = []
        if platform == "remote":
            machines = self.machine_list(ts.get("machineList"), "trainingService.machineList", V2_MACHINE, "host")
        elif platform == "local":
            extra = [k for k in ("useActiveGpu", "maxTrialNumberPerGpu", "gpuIndices") if k in ts]
            if extra:
                self.note_local_gpu_keys("trainingService", extra)
        if "sharedStorage" in doc:
            self.fields(doc["sharedStorage"], "sharedStorage", SHARED_STORAGE)
            self.note_shared_storage()
        return self.finish(doc, command=command, code_text=code_text, concurrency=concurrency, gpus=gpus,
                           max_trials=max_trials, space=space, space_source=space_source, platform=platform,
                           machines=machines, **k8s, **found)

    def k8s_platform(self, ts: dict, platform: Any) -> dict:
        """job_kind and roles of a kubeflow / frameworkcontroller training service (else none)."""
        if platform == "kubeflow":
            kind, roles = kubeflow_roles(self, ts, ts, "trainingService", "trainingService", v2=True)
        elif platform == "frameworkcontroller":
            kind, roles = frameworkcontroller_roles(self, ts.get("taskRoles"), "trainingService.taskRoles", v2=True)
        else:
            return {}
        if "storage" in ts:
            self.note_k8s_storage("trainingService.storage")
        return dict(job_kind=kind, roles=roles)

    def algo(self, value: Any, role: str) -> Algo | None:
        block = self.fields(value, role, V2_ALGO)
        args = self.mapping(block.get("classArgs"), join(role, "classArgs"))
        name = self.str_value(block.get("name"), join(role, "name"))
        class_path = self.str_value(block.get("className"), join(role, "className"))
        if name and class_path:
            self.problems.add(role, "give either name (a built-in) or className (a custom class), not both")
            return None
        if name:
            return Algo(role, role, builtin=name, class_args=args)
        if class_path:
            module, _, cls = class_path.rpartition(".")
            if not module or not cls:
                self.problems.add(join(role, "className"), f"found {show(class_path)}; must be module.ClassName "
                                                           "(e.g. tuner.FixedProductTuner)")
                return None
            return Algo(role, role, module=module, class_name=cls, class_args=args)
        self.problems.add(role, "needs name (a built-in) or className (a custom class)")
        return None
