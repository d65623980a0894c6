"""NNI config v1 (a file with a top-level `trainingServicePlatform`): its schema, the union of 1.x
and the 2.x legacy schema, with exact camelCase keys, and its reader."""
from __future__ import annotations

from typing import Any

from kubetune.experiment.duration import parse_v1_duration
from .errors import join, show, suggestion
from .nni_config_common import SHARED_STORAGE, SUPPORTED_PLATFORMS, Algo, ConfigReader, NniConfig
from .nni_config_v2 import v2_field_name
from .nni_k8s import V1_FC_CONFIG, V1_KUBEFLOW_CONFIG, frameworkcontroller_roles, kubeflow_roles

V1_PLATFORMS = ("local", "remote", "pai", "paiYarn", "kubeflow", "frameworkcontroller", "dlts", "aml", "adl",
                "hybrid")
V1_COMMON = ("authorName", "experimentName", "description", "trialConcurrency", "maxExecDuration",
             "maxTrialDuration", "maxTrialNum", "trainingServicePlatform", "searchSpacePath", "useAnnotation",
             "multiPhase", "multiThread", "nniManagerIp", "logDir", "logLevel", "logCollection", "debug",
             "versionCheck", "tuner", "assessor", "advisor", "trial", "sharedStorage")
V1_PLATFORM_KEYS = {"local": ("localConfig",), "remote": ("machineList", "remoteConfig"),
                    "kubeflow": ("kubeflowConfig",), "frameworkcontroller": ("frameworkcontrollerConfig",)}
V1_OTHER_PLATFORM_KEYS = ("paiConfig", "paiYarnConfig", "amlConfig", "dltsConfig", "hybridConfig", "adlConfig")
V1_ALGO = {"tuner": "builtinTunerName", "assessor": "builtinAssessorName", "advisor": "builtinAdvisorName"}
V1_ALGO_COMMON = ("codeDir", "classFileName", "className", "classArgs", "gpuIndices", "gpuNum",
                  "includeIntermediateResults")
V1_TRIAL = ("command", "codeDir", "gpuNum", "nasMode")
V1_K8S_TRIAL = {"kubeflow": ("codeDir", "nasMode", "worker", "ps", "master"),
                "frameworkcontroller": ("codeDir", "nasMode", "taskRoles")}
V1_LOCAL_CONFIG = ("gpuIndices", "maxTrialNumPerGpu", "useActiveGpu")
V1_MACHINE = ("ip", "port", "username", "passwd", "sshKeyPath", "passphrase", "gpuIndices", "maxTrialNumPerGpu",
              "useActiveGpu", "preCommand", "pythonPath")
V1_REMOTE_CONFIG = ("reuse",)
V1_DROPPED = ("authorName", "description", "multiThread", "nniManagerIp", "logDir", "logLevel", "logCollection",
              "debug", "versionCheck")


class V1Reader(ConfigReader):
    version = 1
    dropped_keys = V1_DROPPED
    duration_parser = staticmethod(parse_v1_duration)

    def read(self) -> NniConfig:
        doc = self.doc
        platform = doc.get("trainingServicePlatform")
        if not isinstance(platform, str) or platform not in V1_PLATFORMS:
            self.problems.add("trainingServicePlatform", f"found {show(platform)}", V1_PLATFORMS)
            platform = None
        elif platform not in SUPPORTED_PLATFORMS:
            self.problems.add("trainingServicePlatform",
                              f"platform {platform!r} is not supported by the converter (Kubernetes replaces "
                              "it: trials run as Jobs)", SUPPORTED_PLATFORMS)
        allowed = V1_COMMON + V1_PLATFORM_KEYS.get(platform, ())
        for key in doc:
            if key in allowed:
                continue
            if key in V1_OTHER_PLATFORM_KEYS or key in sum(V1_PLATFORM_KEYS.values(), ()):
                self.problems.add(key, f"not allowed with trainingServicePlatform {platform!r}",
                                  V1_PLATFORM_KEYS.get(platform, ()) or ["(no platform block)"])
            else:
                v2_hint = v2_field_name(key)
                hint = f" (a v2 key; this file is v1 because it has trainingServicePlatform)" if v2_hint else ""
                self.problems.add(key, f"unknown key {show(key)}{hint}"
                                  + suggestion(str(key), allowed), allowed)
        for key in ("useAnnotation", "multiPhase"):
            if self.bool_value(doc.get(key), key):
                self.problems.add(key, f"{key}: true cannot be converted (Katib gives a trial exactly one "
                                       "set of parameters from a declared search space)",
                                  ["false"])
        concurrency = self.int_value(doc.get("trialConcurrency"), "trialConcurrency", 1, 99999)
        if "trialConcurrency" not in doc:
            self.problems.add("trialConcurrency", "required key is missing")
        max_trials = self.int_value(doc.get("maxTrialNum"), "maxTrialNum", 1, 99999)
        found = self.limits_and_algorithms(doc, "maxExecDuration")
        tuner, advisor, assessor = found["tuner"], found["advisor"], found["assessor"]
        if tuner and advisor:
            self.problems.add("advisor", "tuner and advisor cannot both be set (NNI: an advisor replaces both the "
                                         "tuner and the assessor)")
        if advisor and assessor:
            self.problems.add("assessor", "an assessor cannot be combined with an advisor")
        if not tuner and not advisor and doc.get("tuner") is None and doc.get("advisor") is None:
            self.problems.add("tuner", "required: a tuner (or an advisor) block")
        trial = self.check_optional_block(doc.get("trial"), "trial", V1_K8S_TRIAL.get(platform, V1_TRIAL))
        if "trial" not in doc:
            self.problems.add("trial", "required key is missing")
        k8s = self.k8s_platform(doc, trial, platform)
        if platform in V1_K8S_TRIAL:  # the primary role's command and GPUs are the trial's
            command, gpus = (k8s["roles"][0].command, k8s["roles"][0].gpus) if k8s["roles"] else (None, None)
        else:
            command = self.str_value(trial.get("command"), "trial.command", required="trial" in doc)
            gpus = self.int_value(trial.get("gpuNum"), "trial.gpuNum", 0, 99999)
        code_text = self.path_value(trial.get("codeDir"), "trial.codeDir") or "."
        if trial.get("nasMode") is not None:
            self.problems.add("trial.nasMode", "NNI's classic NAS modes cannot be converted")
        space, space_source = {}, ""
        space_path = self.path_value(doc.get("searchSpacePath"), "searchSpacePath")
        if space_path:
            space, space_source = self.load_space_file(space_path, "searchSpacePath")
        elif "searchSpacePath" not in doc and not doc.get("useAnnotation"):
            self.problems.add("searchSpacePath", "required key is missing (the search space JSON file)")
        machines = self.platform_blocks(doc, platform)
        self.check_optional_block(doc.get("sharedStorage"), "sharedStorage", SHARED_STORAGE)
        if doc.get("sharedStorage"):
            self.note_shared_storage()
        return self.finish(doc, command=command, code_text=code_text, concurrency=concurrency, gpus=gpus,
                           max_trials=max_trials, space=space, space_source=space_source, platform=platform,
                           machines=machines, **k8s, **found)

    def k8s_platform(self, doc: dict, trial: dict, platform: Any) -> dict:
        """job_kind and roles of a kubeflow / frameworkcontroller experiment (else none)."""
        if platform == "kubeflow":
            config = self.check_optional_block(doc.get("kubeflowConfig"), "kubeflowConfig", V1_KUBEFLOW_CONFIG)
            kind, roles = kubeflow_roles(self, trial, config, "trial", "kubeflowConfig", v2=False)
        elif platform == "frameworkcontroller":
            self.check_optional_block(doc.get("frameworkcontrollerConfig"), "frameworkcontrollerConfig", V1_FC_CONFIG)
            kind, roles = frameworkcontroller_roles(self, trial.get("taskRoles"), "trial.taskRoles", v2=False)
        else:
            return {}
        self.note_k8s_storage(f"{platform}Config")
        return dict(job_kind=kind, roles=roles)

    def algo(self, value: Any, role: str) -> Algo | None:
        block = self.mapping(value, role)
        builtin_key = V1_ALGO[role]
        allowed = (builtin_key,) + V1_ALGO_COMMON
        for key in block:
            if key not in allowed:
                self.problems.unknown_key(role, key, allowed)
        builtin = self.str_value(block.get(builtin_key), join(role, builtin_key))
        custom = [k for k in ("codeDir", "classFileName", "className") if k in block]
        args = self.mapping(block.get("classArgs"), join(role, "classArgs"))
        include = bool(self.bool_value(block.get("includeIntermediateResults"),
                                       join(role, "includeIntermediateResults")))
        if builtin and custom:
            self.problems.add(role, f"{builtin_key} cannot be combined with {', '.join(custom)} (use either a "
                                    "built-in or a custom class)")
            return None
        gpu_keys = [k for k in ("gpuIndices", "gpuNum") if k in block]
        if gpu_keys:
            self.note(join(role, gpu_keys[0]), f"dropped: the {role} runs inside the suggestion service, not on a GPU")
        if builtin:
            return Algo(role, role, builtin=builtin, class_args=args, include_intermediate=include,
                        name_key=builtin_key)
        if custom:
            missing = [k for k in ("codeDir", "classFileName", "className") if k not in block]
            if missing:
                self.problems.add(role, f"a custom {role} needs codeDir, classFileName and className; missing "
                                        f"{', '.join(missing)}")
                return None
            file_name = self.str_value(block.get("classFileName"), join(role, "classFileName"), True) or ""
            class_name = self.str_value(block.get("className"), join(role, "className"), True)
            if file_name and not file_name.endswith(".py"):
                self.problems.add(join(role, "classFileName"), f"found {show(file_name)}; must be a .py file")
            return Algo(role, role, module=file_name[:-3] if file_name.endswith(".py") else file_name,
                        class_name=class_name, class_args=args, include_intermediate=include)
        self.problems.add(role, f"needs {builtin_key} (a built-in) or codeDir + classFileName + className")
        return None

    def platform_blocks(self, doc: dict, platform: Any) -> list[dict]:
        machines: list[dict] = []
        if platform == "local":
            local = self.check_optional_block(doc.get("localConfig"), "localConfig", V1_LOCAL_CONFIG)
            if local:
                self.note_local_gpu_keys("localConfig", local)
        if platform == "remote":
            machines = self.machine_list(doc.get("machineList"), "machineList", V1_MACHINE, "ip")
            self.check_optional_block(doc.get("remoteConfig"), "remoteConfig", V1_REMOTE_CONFIG)
        return machines
