"""What both NNI config versions share: the normalised result (NniConfig, Algo) and ConfigReader,
the checks and blocks each version's reader builds on (values, paths, search space files, durations,
machine lists, the final NniConfig)."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import yaml

from .errors import Note, Problems, join, show

SUPPORTED_PLATFORMS = ("local", "remote", "kubeflow", "frameworkcontroller")
SHARED_STORAGE = ("storageType", "localMountPoint", "remoteMountPoint", "localMounted", "nfsServer",
                  "exportedDirectory", "storageAccountName", "storageAccountKey", "containerName")


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
    job_kind: str = ""  # kubeflow / frameworkcontroller: PyTorchJob | TFJob (kubetune.convert.nni_k8s)
    roles: list = field(default_factory=list)  # their nni_k8s.Role replicas, the primary first


class ConfigReader:
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

    def path_value(self, value: Any, path: str, required: bool = False) -> str | None:
        """A file or directory name: a string the file system can take (no NUL byte, no lone
        surrogate), else a problem and None."""
        text = self.str_value(value, path, required)
        if text is None:
            return None
        try:
            os.fsencode(text)
            bad = "\0" in text
        except UnicodeEncodeError:
            bad = True
        if bad:
            self.problems.add(path, f"found {show(text)}; a file name cannot hold a NUL byte or a lone surrogate",
                              ["a path relative to the config file's directory, or an absolute path"])
            return None
        return text

    def resolve(self, text: str) -> Path:
        try:
            return (self.base_dir / os.path.expanduser(text)).resolve()
        except (ValueError, RuntimeError):  # a name path_value would refuse; symlink loop
            return self.base_dir / text

    def load_space_file(self, text: str, path: str) -> tuple[dict, str]:
        file = self.resolve(text)
        try:
            content = file.read_text(encoding="utf-8")
        except OSError as exc:
            self.problems.add(path, f"cannot read search space file {text!r} ({file}): {exc.strerror or exc}")
            return {}, text
        except ValueError as exc:  # UnicodeDecodeError
            self.problems.add(path, f"search space file {text!r} is not UTF-8 text ({exc})", ["a JSON or YAML "
                                                                                               "file in UTF-8"])
            return {}, text
        try:  # NNI parses JSON first, YAML if that fails (v2); both are accepted here
            space = json.loads(content)
        except RecursionError:
            self.problems.add(path, f"search space file {text!r} is nested too deeply", ["a JSON object of "
                                                                                          "parameters"])
            return {}, text
        except json.JSONDecodeError as json_exc:
            try:
                space = yaml.safe_load(content)
            except (yaml.YAMLError, RecursionError):
                self.problems.add(path, f"search space file {text!r} is neither JSON ({json_exc}) nor YAML",
                                  ["a JSON object of parameters", "the same in YAML"])
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

    def note_k8s_storage(self, where: str) -> None:
        self.note(where, "storage dropped: NNI copied the code there; on Katib the code is in the image at /code "
                         "(or mount a volume in the trial's pod spec)")

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
