"""Property-based fuzzing of `kubetune convert nni`: whatever the config and search space, the
converter either converts or raises its own ConvertError whose every line names the input file;
never another exception (a traceback on the user's terminal)."""
from __future__ import annotations

import copy
import json
import os
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubetune.convert import ConvertError, convert_nni
from convert_nni_bases import SMALL_SPACE, V1_BASE, V2_BASE

FUZZ = settings(max_examples=int(os.environ.get("KUBETUNE_FUZZ_EXAMPLES", "60")), deadline=None,
                suppress_health_check=list(HealthCheck))

KNOWN_KEYS = sorted({*V1_BASE, *V2_BASE, *V1_BASE["trial"], *V2_BASE["tuner"], "classArgs", "platform",
                     "builtinTunerName", "builtinAssessorName", "assessor", "advisor", "machineList", "localConfig",
                     "kubeflowConfig", "frameworkcontrollerConfig", "searchSpace", "trialGpuNumber", "_type",
                     "_value", "_name", "optimize_mode", "start_step", "worker", "ps", "master", "replicas", "gpuNum",
                     "image", "command", "taskRoles", "R", "eta"})
KNOWN_VALUES = ["local", "remote", "kubeflow", "frameworkcontroller", "TPE", "Random", "GridSearch", "Hyperband",
                "BOHB", "Evolution", "Anneal", "Medianstop", "Curvefitting", "maximize", "minimize", "choice",
                "randint", "uniform", "quniform", "loguniform", "qloguniform", "normal", "qnormal", "lognormal",
                "qlognormal", "python3 train.py", "python -m trainer train --epochs=1", "cd src && python t.py",
                "search_space.json", "1h", "10m", "\x00", "\udc80", "\ud800", "[", "{", "0", "-1", "1e-5"]

scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**40), max_value=2**40)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=10) | st.sampled_from(KNOWN_VALUES))
keys = st.sampled_from(KNOWN_KEYS) | st.text(max_size=6) | st.integers(-2, 2)
values = st.recursive(scalars, lambda children: st.lists(children, max_size=4)
                      | st.dictionaries(keys, children, max_size=4), max_leaves=12)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


@st.composite
def mutated(draw, base):
    doc = copy.deepcopy(base)
    candidates = [p for p in _paths(doc) if p]
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(candidates))
        parent = doc
        try:
            for part in path[:-1]:
                parent = parent[part]
            how = draw(st.sampled_from(["delete", "value", "known"]))
            if how == "delete" and isinstance(parent, dict):
                parent.pop(path[-1])
            else:
                parent[path[-1]] = draw(values if how == "value" else st.sampled_from(KNOWN_VALUES))
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced this path
    if draw(st.booleans()):
        doc[draw(keys)] = draw(values)
    return doc


def converts_or_convert_error(config, space) -> None:
    """Write config + space into a fresh directory and convert; only a clean ConvertError may escape."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        path = root / "config.yml"
        if isinstance(config, bytes):
            path.write_bytes(config)
        else:
            path.write_text(config if isinstance(config, str) else
                            yaml.safe_dump(config, sort_keys=False, allow_unicode=True), errors="surrogatepass")
        (root / "search_space.json").write_bytes(space if isinstance(space, bytes) else
                                                  json.dumps(space).encode("utf-8", "surrogatepass"))
        (root / "train.py").write_text("print('default=1')\n")
        try:
            result = convert_nni(path)
        except ConvertError as exc:
            assert exc.problems, "a ConvertError lists its problems"
            for line in exc.problems:
                assert str(path.name) in line.split(":", 1)[0] or "search_space.json" in line \
                    or str(root) in line, line
            return
        assert result.document["kind"] == "Experiment" and result.text


@FUZZ
@given(st.sampled_from([V1_BASE, V2_BASE]).flatmap(mutated), st.just(SMALL_SPACE))
def test_mutated_configs(config, space):
    converts_or_convert_error(config, space)


@FUZZ
@given(st.sampled_from([V1_BASE, V2_BASE]), mutated({**SMALL_SPACE, "nested": {
    "_type": "choice", "_value": [{"_name": "a", "x": {"_type": "uniform", "_value": [0, 1]}}, {"_name": "b"}]}}))
def test_mutated_search_spaces(config, space):
    converts_or_convert_error(config, space)


@FUZZ
@given(st.sampled_from([V1_BASE, V2_BASE]), st.integers(0, 10_000), st.integers(0, 8), st.text(max_size=6))
def test_spliced_config_text(base, at, cut, insert):
    text = yaml.safe_dump(base, sort_keys=False)
    at %= len(text)
    converts_or_convert_error(text[:at] + insert + text[at + cut:], SMALL_SPACE)


@FUZZ
@given(st.sampled_from([V1_BASE, V2_BASE]), st.binary(max_size=40) | st.text(max_size=40).map(str.encode))
def test_arbitrary_search_space_bytes(config, space):
    converts_or_convert_error(config, space)


def test_hostile_inputs_seen_in_the_wild(tmp_path):
    """The issue-14 reproductions: each a clean error naming the file and key."""
    cases = [
        ({**V1_BASE, "trainingServicePlatform": ["local"]}, SMALL_SPACE, "config.yml: trainingServicePlatform: "),
        ({**V2_BASE, "trainingService": {"platform": ["local"]}}, SMALL_SPACE, "config.yml: trainingService.platform"),
        (V1_BASE, b"[" * 100_000, "config.yml: searchSpacePath: search space file 'search_space.json' is nested"),
        (V2_BASE, b"[" * 100_000, "config.yml: searchSpaceFile: search space file 'search_space.json' is nested"),
        ({**V1_BASE, "searchSpacePath": "sp\x00.json"}, SMALL_SPACE, "config.yml: searchSpacePath: found"),
        ({**V2_BASE, "searchSpaceFile": "sp\x00.json"}, SMALL_SPACE, "config.yml: searchSpaceFile: found"),
        ({**V2_BASE, "searchSpaceFile": "sp\ud800.json"}, SMALL_SPACE, "cannot hold a NUL byte or a lone surrogate"),
        (V1_BASE, b'{"lr": {"_type": "choice", "_value": ["\xff"]}}', "searchSpacePath: search space file "
                                                                       "'search_space.json' is not UTF-8"),
        (V2_BASE, b'{"lr": {"_type": "choice", "_value": ["\xff"]}}', "searchSpaceFile: search space file "
                                                                       "'search_space.json' is not UTF-8"),
        (b"a: \xff\n", SMALL_SPACE, "config.yml: not UTF-8 text"),
        ("a: " + "[" * 5000 + "]" * 5000 + "\n", SMALL_SPACE, "config.yml: "),
    ]
    for config, space, expected in cases:
        (tmp_path / "search_space.json").write_bytes(space if isinstance(space, bytes) else
                                                      json.dumps(space).encode())
        path = tmp_path / "config.yml"
        if isinstance(config, bytes):
            path.write_bytes(config)
        else:
            path.write_text(config if isinstance(config, str) else yaml.safe_dump(config),
                            errors="surrogatepass")
        try:
            convert_nni(path)
        except ConvertError as exc:
            assert expected in str(exc) and "allowed" in str(exc), (expected, str(exc))
            assert "Traceback" not in str(exc)
        else:
            raise AssertionError(f"converted: {config!r:.80}")


def test_fuzz_bases_convert():
    """Guard: the unmutated bases convert, so the fuzzing reaches the converter's whole path."""
    for base in (V1_BASE, V2_BASE):
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "search_space.json").write_text(json.dumps(SMALL_SPACE))
            (Path(tmp) / "config.yml").write_text(yaml.safe_dump(base))
            assert convert_nni(Path(tmp) / "config.yml").document["spec"]["parameters"]
