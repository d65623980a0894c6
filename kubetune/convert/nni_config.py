"""Read an NNI experiment config (v1 or v2) into one normalised `NniConfig`.

Detection is NNI's (nni-semantics 1.1): a file is v1 iff it has a top-level
`trainingServicePlatform` key. v1 keys are exact camelCase; v2 field names are matched
case-insensitively with underscores ignored (`trial_concurrency` == `trialConcurrency`). Unknown
keys are errors, as NNI rejects them; every error names the file, the key path and the allowed
keys. Relative paths are resolved against the config file's directory, `~` is expanded.
Operational keys with no Kubernetes meaning (logDir, nniManagerIp, ...) are dropped with a note.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import yaml

from kubetune.spec.duration import parse_duration, parse_v1_duration
from .errors import ConvertError, Note, Problems, join, show

SUPPORTED_PLATFORMS = ("local", "remote")
V1_PLATFORMS = ("local", "remote", "pai", "paiYarn", "kubeflow", "frameworkcontroller", "dlts", "aml", "adl",
                "hybrid")
V2_PLATFORMS = ("local", "remote", "openpai", "aml", "dlc", "kubeflow", "frameworkcontroller", "adl")

# -- v1 schema (union of 1.x and the 2.x legacy schema) ----------------------------------------
V1_COMMON = ("authorName", "experimentName", "description", "trialConcurrency", "maxExecDuration",
             "maxTrialDuration", "maxTrialNum", "trainingServicePlatform", "searchSpacePath", "useAnnotation",
             "multiPhase", "multiThread", "nniManagerIp", "logDir", "logLevel", "logCollection", "debug",
             "versionCheck", "tuner", "assessor", "advisor", "trial", "sharedStorage")
V1_PLATFORM_KEYS = {"local": ("localConfig",), "remote": ("machineList", "remoteConfig")}
V1_OTHER_PLATFORM_KEYS = ("paiConfig", "paiYarnConfig", "kubeflowConfig", "frameworkcontrollerConfig",
                          "amlConfig", "dltsConfig", "hybridConfig", "adlConfig")
V1_ALGO = {"tuner": "builtinTunerName", "assessor": "builtinAssessorName", "advisor": "builtinAdvisorName"}
V1_ALGO_COMMON = ("codeDir", "classFileName", "className", "classArgs", "gpuIndices", "gpuNum",
                  "includeIntermediateResults")
V1_TRIAL = ("command", "codeDir", "gpuNum", "nasMode")
V1_LOCAL_CONFIG = ("gpuIndices", "maxTrialNumPerGpu", "useActiveGpu")
V1_MACHINE = ("ip", "port", "username", "passwd", "sshKeyPath", "passphrase", "gpuIndices", "maxTrialNumPerGpu",
              "useActiveGpu", "preCommand", "pythonPath")
V1_REMOTE_CONFIG = ("reuse",)
SHARED_STORAGE = ("storageType", "localMountPoint", "remoteMountPoint", "localMounted", "nfsServer",
                  "exportedDirectory", "storageAccountName", "storageAccountKey", "containerName")
V1_DROPPED = ("authorName", "description", "multiThread", "nniManagerIp", "logDir", "logLevel", "logCollection",
              "debug", "versionCheck")

# -- v2 schema (field names; matched case-insensitively, underscores ignored) ------------------
V2_EXPERIMENT = ("experimentName", "experimentType", "searchSpaceFile", "searchSpace", "trialCommand",
                 "trialCodeDirectory", "trialConcurrency", "trialGpuNumber", "maxExperimentDuration",
                 "maxTrialNumber", "maxTrialDuration", "nniManagerIp", "useAnnotation", "debug", "logLevel",
                 "experimentWorkingDirectory", "tunerGpuIndices", "tuner", "assessor", "advisor",
                 "trainingService", "sharedStorage")
V2_ALGO = ("name", "className", "codeDirectory", "classArgs")
V2_TS_COMMON = ("platform", "trialCommand", "trialCodeDirectory", "trialGpuNumber", "nniManagerIp", "debug",
                "reuseMode")
V2_TS = {"local": V2_TS_COMMON + ("useActiveGpu", "maxTrialNumberPerGpu", "gpuIndices"),
         "remote": V2_TS_COMMON + ("machineList",)}
V2_MACHINE = ("host", "port", "user", "password", "sshKeyFile", "sshPassphrase", "useActiveGpu",
              "maxTrialNumberPerGpu", "gpuIndices", "pythonPath")
V2_DROPPED = ("nniManagerIp", "debug", "logLevel", "experimentWorkingDirectory", "tunerGpuIndices")


@dataclass
class Algo:
    """A tuner, assessor or advisor block. `builtin` for built-ins (name as written), else `module`
    and `class_name` of a custom class."""

    role: str  # 'tuner' | 'assessor' | 'advisor'
    path: str  # key path in the config, for messages
    builtin: str | None = None
    module: str | None = None
    class_name: str | None = None
    class_args: dict = field(default_factory=dict)
    include_intermediate: bool = False
    name_key: str = "name"  # the key holding the built-in name (v1: builtinTunerName, ...)

    @property
    def label(self) -> str:
        return self.builtin or f"{self.module}.{self.class_name}"


@dataclass
class NniConfig:
    source: str  # the config file as given
    base_dir: Path  # its directory (relative paths resolve here)
    version: int  # 1 | 2
    name: str | None
    trial_command: str
    code_dir: Path  # absolute
    code_dir_text: str  # as written
    concurrency: int
    max_trials: int | None
    max_duration: tuple[Any, int] | None  # (as written, seconds)
    max_trial_duration: int | None  # seconds
    gpus: int | None
    space: dict
    space_source: str  # file name, or "<config>:searchSpace"
    tuner: Algo
    assessor: Algo | None
    platform: str
    machines: list[dict] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)


def load_nni_config(path: str | Path) -> NniConfig:
    """Read and check an NNI config file; ConvertError lists every problem."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConvertError([f"{source}: cannot read: {exc.strerror or exc}"]) from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        raise ConvertError([f"{where}: invalid YAML: {getattr(exc, 'problem', None) or exc}"]) from None
    if not isinstance(doc, dict):
        raise ConvertError([f"{source}: an NNI config must be a YAML mapping, found {type(doc).__name__}"])
    base_dir = Path(path).resolve().parent
    reader = _V1Reader if "trainingServicePlatform" in doc else _V2Reader
    return reader(source, base_dir, doc).read()


# -- shared helpers ----------------------------------------------------------------------------
class _Reader:
    version = 0
    dropped_keys: tuple[str, ...] = ()  # operational keys with no Kubernetes meaning
    duration_parser: Callable[[Any], int]  # the version's duration syntax -> seconds
    missing_key = "required key is missing"  # v2 says "field"

    def __init__(self, source: str, base_dir: Path, doc: dict):
        self.source, self.base_dir, self.doc = source, base_dir, doc
        self.problems = Problems(source)
        self.notes: list[Note] = []

    def note(self, where: str, text: str) -> None:
        self.notes.append(Note(where, text))

    def mapping(self, value: Any, path: str) -> dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problems.add(path, f"found {show(value)}; must be a mapping")
            return {}
        return value

    def int_value(self, value: Any, path: str, low: int, high: int | None = None) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.problems.add(path, f"found {show(value)}; must be an integer")
            return None
        if value < low or (high is not None and value > high):
            bound = f"from {low} to {high}" if high is not None else f">= {low}"
            self.problems.add(path, f"found {value}; must be {bound}")
            return None
        return value

    def str_value(self, value: Any, path: str, required: bool = False) -> str | None:
        if value is None:
            if required:
                self.problems.add(path, "required key is missing")
            return None
        if not isinstance(value, str) or (required and not value.strip()):
            self.problems.add(path, f"found {show(value)}; must be a non-empty string")
            return None
        return value

    def bool_value(self, value: Any, path: str) -> bool | None:
        if value is None:
            return None
        if not isinstance(value, bool):
            self.problems.add(path, f"found {show(value)}; must be true or false")
            return None
        return value

    def resolve(self, text: str) -> Path:
        return (self.base_dir / os.path.expanduser(text)).resolve()

    def load_space_file(self, text: str, path: str) -> tuple[dict, str]:
        file = self.resolve(text)
        try:
            content = file.read_text(encoding="utf-8")
        except OSError as exc:
            self.problems.add(path, f"cannot read search space file {text!r} ({file}): {exc.strerror or exc}")
            return {}, text
        try:  # NNI parses JSON first, YAML if that fails (v2); both are accepted here
            space = json.loads(content)
        except json.JSONDecodeError as json_exc:
            try:
                space = yaml.safe_load(content)
            except yaml.YAMLError:
                self.problems.add(path, f"search space file {text!r} is neither JSON ({json_exc}) nor YAML")
                return {}, text
        if not isinstance(space, dict):
            self.problems.add(path, f"search space file {text!r} must hold a JSON object, found "
                                    f"{type(space).__name__}")
            return {}, text
        return space, os.path.relpath(file) if not os.path.relpath(file).startswith("..") else str(file)

    def check_optional_block(self, value: Any, path: str, allowed: tuple[str, ...]) -> dict:
        block = self.mapping(value, path)
        for key in block:
            if key not in allowed:
                self.problems.unknown_key(path, key, allowed)
        return block

    def duration(self, doc: dict, key: str) -> tuple[Any, int] | None:
        if doc.get(key) is None:
            return None
        try:
            return doc[key], self.duration_parser(doc[key])
        except ValueError as exc:
            self.problems.add(key, str(exc))
            return None

    def limits_and_algorithms(self, doc: dict, max_duration_key: str) -> dict[str, Any]:
        """The experiment's duration limits, name and tuner/advisor/assessor blocks, as `finish`
        takes them (both versions read them in this order, so problems are listed alike)."""
        return dict(max_duration=self.duration(doc, max_duration_key),
                    trial_duration=self.duration(doc, "maxTrialDuration"),
                    name=self.str_value(doc.get("experimentName"), "experimentName"),
                    tuner=self.algo_block(doc, "tuner"), advisor=self.algo_block(doc, "advisor"),
                    assessor=self.algo_block(doc, "assessor"))

    def algo_block(self, doc: dict, role: str) -> Algo | None:
        """The tuner, advisor or assessor block; None when absent."""
        return None if doc.get(role) is None else self.algo(doc[role], role)

    def algo(self, value: Any, role: str) -> Algo | None:
        """A present tuner/advisor/assessor block in the version's syntax; None when unusable."""
        raise NotImplementedError

    def config_block(self, value: Any, path: str, allowed: tuple[str, ...]) -> dict:
        """A nested config mapping with its keys checked the version's way (v1: exact keys)."""
        return self.check_optional_block(value, path, allowed)

    def machine_list(self, raw: Any, path: str, allowed: tuple[str, ...], address: str) -> list[dict]:
        """The remote platform's machines; each needs its `address` key (v1 ip, v2 host)."""
        if not isinstance(raw, list) or not raw:
            self.problems.add(path, "the remote platform needs a non-empty machineList")
            raw = []
        machines = []
        for i, m in enumerate(raw):
            block = self.config_block(m, join(path, i), allowed)
            if block and not block.get(address):
                self.problems.add(join(join(path, i), address), self.missing_key)
            machines.append(block)
        return machines

    def note_local_gpu_keys(self, where: str, keys: Iterable[str]) -> None:
        self.note(where, f"dropped ({', '.join(keys)}): Kubernetes schedules each trial on a "
                         "node with the GPUs its nvidia.com/gpu limit asks for")

    def note_shared_storage(self) -> None:
        self.note("sharedStorage", "dropped: mount the storage as a volume in the trial's pod spec instead")

    def finish(self, doc: dict, *, command: str | None, code_text: str, concurrency: int | None,
               trial_duration: tuple[Any, int] | None, tuner: Algo | None, advisor: Algo | None,
               **fields: Any) -> NniConfig:
        """Note the dropped keys, raise every problem at once, else build the config (`fields`
        are NniConfig's own: name, max_trials, max_duration, gpus, space, ...)."""
        dropped = [k for k in self.dropped_keys if k in doc]
        if dropped:
            self.note("", f"dropped (no Kubernetes meaning): {', '.join(dropped)}")
        self.problems.raise_if_any()
        return NniConfig(
            source=self.source, base_dir=self.base_dir, version=self.version, trial_command=command or "",
            code_dir=self.resolve(code_text), code_dir_text=code_text, concurrency=concurrency or 1,
            max_trial_duration=trial_duration[1] if trial_duration else None, tuner=advisor or tuner,
            notes=self.notes, **fields)


# -- v1 ----------------------------------------------------------------------------------------
class _V1Reader(_Reader):
    version = 1
    dropped_keys = V1_DROPPED
    duration_parser = staticmethod(parse_v1_duration)

    def read(self) -> NniConfig:
        doc = self.doc
        platform = doc.get("trainingServicePlatform")
        if platform not in V1_PLATFORMS:
            self.problems.add("trainingServicePlatform", f"found {show(platform)}", V1_PLATFORMS)
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
                v2_hint = _v2_name(key)
                hint = f" (a v2 key; this file is v1 because it has trainingServicePlatform)" if v2_hint else ""
                self.problems.add(key, f"unknown key {show(key)}{hint}"
                                  + _did_you_mean(key, allowed), allowed)
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
        if not tuner and not advisor and "tuner" not in doc and "advisor" not in doc:
            self.problems.add("tuner", "required: a tuner (or an advisor) block")
        trial = self.check_optional_block(doc.get("trial"), "trial", V1_TRIAL)
        if "trial" not in doc:
            self.problems.add("trial", "required key is missing")
        command = self.str_value(trial.get("command"), "trial.command", required="trial" in doc)
        code_text = self.str_value(trial.get("codeDir"), "trial.codeDir") or "."
        gpus = self.int_value(trial.get("gpuNum"), "trial.gpuNum", 0, 99999)
        if trial.get("nasMode") is not None:
            self.problems.add("trial.nasMode", "NNI's classic NAS modes cannot be converted")
        space, space_source = {}, ""
        space_path = self.str_value(doc.get("searchSpacePath"), "searchSpacePath")
        if space_path:
            space, space_source = self.load_space_file(space_path, "searchSpacePath")
        elif not doc.get("useAnnotation"):
            self.problems.add("searchSpacePath", "required key is missing (the search space JSON file)")
        machines = self.platform_blocks(doc, platform)
        self.check_optional_block(doc.get("sharedStorage"), "sharedStorage", SHARED_STORAGE)
        if doc.get("sharedStorage"):
            self.note_shared_storage()
        return self.finish(doc, command=command, code_text=code_text, concurrency=concurrency, gpus=gpus,
                           max_trials=max_trials, space=space, space_source=space_source, platform=platform,
                           machines=machines, **found)

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


# -- v2 ----------------------------------------------------------------------------------------
def _canon(key: str) -> str:
    return key.replace("_", "").lower()


def _v2_name(key: Any) -> str | None:
    return {_canon(k): k for k in V2_EXPERIMENT}.get(_canon(key)) if isinstance(key, str) else None


def _did_you_mean(key: Any, allowed) -> str:
    from .errors import suggestion

    return suggestion(str(key), allowed)


class _V2Reader(_Reader):
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
                self.problems.add(join(path, key), f"unknown field {show(key)}{hint}{_did_you_mean(key, allowed)}",
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
        elif platform not in V2_PLATFORMS:
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
        command = self.str_value(doc.get("trialCommand"), "trialCommand", required=True)
        code_text = self.str_value(doc.get("trialCodeDirectory"), "trialCodeDirectory") or "."
        concurrency = self.int_value(doc.get("trialConcurrency"), "trialConcurrency", 1)
        if "trialConcurrency" not in doc:
            self.problems.add("trialConcurrency", "required field is missing")
        gpus = self.int_value(doc.get("trialGpuNumber"), "trialGpuNumber", 0)
        max_trials = self.int_value(doc.get("maxTrialNumber"), "maxTrialNumber", 1)
        found = self.limits_and_algorithms(doc, "maxExperimentDuration")
        tuner, advisor = found["tuner"], found["advisor"]
        if tuner and advisor:
            self.problems.add("advisor", "tuner and advisor cannot both be set")
        if not tuner and not advisor and "tuner" not in doc and "advisor" not in doc:
            self.problems.add("tuner", "required field is missing")
        space, space_source = {}, ""
        if "searchSpaceFile" in doc and "searchSpace" in doc:
            self.problems.add("searchSpace", "give either searchSpaceFile or searchSpace, not both")
        elif "searchSpaceFile" in doc:
            path = self.str_value(doc["searchSpaceFile"], "searchSpaceFile", required=True)
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
                           machines=machines, **found)

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
