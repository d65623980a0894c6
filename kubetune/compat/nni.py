"""NNI's trial API for trials run by Katib or kubetune (an unchanged NNI trial script works).

`import nni` resolves to the `nni` shim package (top level of this repository, shipped in the
kubetune wheel), which re-exports this module. Functions (nni-semantics 5.1):

* get_next_parameter() / get_next_parameters(): the parameter dict NNI would have given, rebuilt
  from the env vars Katib substituted (`KUBETUNE_NNI_SPACE` says how: NNI types, q rounding and
  clipping, randint as int, original choice values, nested choices as {"_name": ..., sub: ...}).
  Only the first call returns it; later calls return None (NNI without multi-phase).
* get_current_parameter(tag=None), get_experiment_id(), get_trial_id(), get_sequence_id().
* report_intermediate_result(metric): prints `<RFC3339 time> default=<value> step=<n>` (n = NNI's
  sequence number, from 0); report_final_result(metric): prints `<time> default=<value>`. A metric
  is a number or a dict whose `default` is a number; other numeric keys of a dict are printed too.
  The objective of the converted Experiment is `default` with metric strategy `latest`, so the
  trial's objective is the final result (it is printed last; re-printed at exit if intermediate
  results came after it). Only the first final result counts, as in NNI.
* merge_parameter(base, override) (also as nni.utils.merge_parameter), NNI >= 2.8 semantics.

Standalone mode (no `KUBETUNE_NNI_SPACE`, i.e. not started from a converted Experiment) behaves as
NNI's: get_next_parameter() warns and returns {}, ids are "STANDALONE"/"STANDALONE"/0, reports are
only logged ("Intermediate result: ... (Index n)", "Final result: ...") on the `nni` logger.

This module imports only the standard library and `trainer.report` (itself stdlib-only).
"""
from __future__ import annotations

import atexit
import copy
import json
import logging
import math
import os
import sys
import warnings
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping

from trainer.report import format_metrics

SPACE_ENV = "KUBETUNE_NNI_SPACE"
OBJECTIVE = "default"
STANDALONE = "STANDALONE"

_logger = logging.getLogger("nni")


class NniShimError(RuntimeError):
    """The parameters the converter passed cannot be read (missing env var, bad record)."""


# -- decoding -----------------------------------------------------------------------------------
def decode_parameters(record: Mapping[str, Any], environ: Mapping[str, str]) -> Any:
    """The value NNI's get_next_parameter() would return, from the converter's record and the
    env vars holding Katib's assignments."""
    if not isinstance(record, Mapping) or record.get("v") != 1:
        raise NniShimError(f"{SPACE_ENV}: unknown record format (expected a JSON object with \"v\": 1); "
                           "re-run `kubetune convert nni` with this kubetune version")
    params: dict[str, Any] = {}
    for key, node in (record.get("params") or {}).items():
        params[key] = _decode(node, environ, key)
    for key, node in (record.get("extra") or {}).items():
        params[key] = _decode(node, environ, key)
    if record.get("pbt"):
        trial_dir = os.path.join(record["pbt"]["dir"], environ.get("NNI_TRIAL_JOB_ID", STANDALONE))
        params["load_checkpoint_dir"] = trial_dir
        params["save_checkpoint_dir"] = trial_dir
    batch = record.get("batch")
    if batch:
        return params[batch]  # BatchTuner hands out the configuration itself
    return params


def _raw(node: Mapping[str, Any], environ: Mapping[str, str], key: str) -> str:
    env = node.get("env", "")
    if env not in environ:
        raise NniShimError(f"parameter {key!r}: environment variable {env} is not set (the converted Experiment "
                           f"passes it as ${{trialParameters...}}); was the trial started from the converted YAML?")
    return environ[env]


def _number(raw: str, key: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise NniShimError(f"parameter {key!r}: {raw!r} is not a number") from None
    if not math.isfinite(value):
        raise NniShimError(f"parameter {key!r}: {raw!r} is not a finite number")
    return value


def _index(raw: str, size: int, key: str) -> int:
    try:
        i = int(raw)
    except ValueError:
        raise NniShimError(f"parameter {key!r}: {raw!r} is not an option index") from None
    if not 0 <= i < size:
        raise NniShimError(f"parameter {key!r}: option index {i} is out of range 0..{size - 1}")
    return i


def _lookup(raw: str, keys: list[str], key: str) -> int:
    if raw in keys:
        return keys.index(raw)
    try:  # a service may render a listed number differently ("1e-05" vs "1e-5")
        x = float(raw)
        for i, k in enumerate(keys):
            try:
                if float(k) == x:
                    return i
            except ValueError:
                continue
    except ValueError:
        pass
    raise NniShimError(f"parameter {key!r}: {raw!r} is not one of the choices {keys}")


def _quantize(x: float, q: float, low: float | None = None, high: float | None = None) -> float:
    x = round(x / q) * q  # NNI: round half to even, then an integer multiple of q
    if low is not None:
        x = max(x, low)
    if high is not None:
        x = min(x, high)
    return float(x)


def _decode(node: Mapping[str, Any], environ: Mapping[str, str], key: str) -> Any:
    t = node.get("t")
    raw = _raw(node, environ, key)
    if t == "choice":
        values = node["values"]
        i = _lookup(raw, node["keys"], key) if node.get("enc") == "value" else _index(raw, len(values), key)
        return copy.deepcopy(values[i])
    if t == "joint":
        values = node["values"]
        return copy.deepcopy(values[_index(raw, len(values), key)])
    if t == "nested":
        options = node["options"]
        i = _lookup(raw, node["keys"], key) if node.get("enc") == "value" else _index(raw, len(options), key)
        option = options[i]
        value: dict[str, Any] = {"_name": copy.deepcopy(option["name"])}
        for sub, sub_node in option["params"].items():
            value[sub] = _decode(sub_node, environ, f"{key}.{sub}")
        return value
    if t == "triple":
        parts = raw.split(",")
        if len(parts) != 3:
            raise NniShimError(f"parameter {key!r}: {raw!r} is not 'alpha,beta,gamma'")
        return _number(parts[node["i"]], key)
    x = _number(raw, key)
    if t in ("randint", "int"):
        n = int(round(x))
        if t == "randint":
            n = min(max(n, int(node["lo"])), int(node["hi"]) - 1)  # NNI: upper bound exclusive
        return n
    if t in ("uniform", "loguniform"):
        return float(min(max(x, node["lo"]), node["hi"]))
    if t in ("quniform", "qloguniform"):
        return _quantize(x, node["q"], node["lo"], node["hi"])
    if t in ("normal", "lognormal"):
        return float(x)
    if t in ("qnormal", "qlognormal"):
        return _quantize(x, node["q"])
    raise NniShimError(f"parameter {key!r}: unknown node type {t!r} in {SPACE_ENV}")


# -- trial state ----------------------------------------------------------------------------------
class _Trial:
    def __init__(self) -> None:
        self.params: dict | None = None  # NNI's record: {parameter_id, parameter_source, parameters, ...}
        self.requests = 0
        self.sequence = 0
        self.final: str | None = None  # the first final result's metric text
        self.after_final = False
        self.last_time: datetime | None = None
        self.warned: set[str] = set()


_trial = _Trial()


def _managed() -> bool:
    return SPACE_ENV in os.environ


def _say(message: str) -> None:
    """A note on stderr that a Katib collector never reads as a metric (no '=')."""
    sys.stderr.write("[nni shim] " + message.replace("=", ":") + "\n")
    sys.stderr.flush()


def _standalone_logger() -> logging.Logger:
    if not _logger.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("[%(asctime)s] %(levelname)s (%(name)s) %(message)s"))
        _logger.addHandler(handler)
        _logger.setLevel(logging.INFO)
    return _logger


def get_next_parameter() -> Any:
    """The trial's parameters (first call), None afterwards; {} in standalone mode."""
    _trial.requests += 1
    if not _managed():
        warnings.warn("Running trial code without runtime (no KUBETUNE_NNI_SPACE: not started from an Experiment "
                      "converted by `kubetune convert nni`); get_next_parameter() returns {}.", RuntimeWarning,
                      stacklevel=2)
        _trial.params = {"parameter_id": None, "parameters": {}}
        return {}
    if _trial.requests > 1:
        return None  # NNI without multi-phase: one configuration per trial
    try:
        record = json.loads(os.environ[SPACE_ENV])
    except json.JSONDecodeError as exc:
        raise NniShimError(f"{SPACE_ENV} is not valid JSON ({exc})") from None
    parameters = decode_parameters(record, os.environ)
    _trial.params = {"parameter_id": 0, "parameter_source": "algorithm", "parameters": parameters,
                     "parameter_index": 0}
    return copy.deepcopy(parameters)


get_next_parameters = get_next_parameter


def get_current_parameter(tag: str | None = None) -> Any:
    if _trial.params is None:
        return None
    if tag is None:
        return _trial.params["parameters"]
    return _trial.params["parameters"][tag]


def get_experiment_id() -> str:
    return os.environ.get("NNI_EXP_ID", STANDALONE) if _managed() else STANDALONE


def get_trial_id() -> str:
    return os.environ.get("NNI_TRIAL_JOB_ID", STANDALONE) if _managed() else STANDALONE


def get_sequence_id() -> int:
    if not _managed():
        return 0
    try:
        return int(os.environ.get("NNI_TRIAL_SEQ_ID", "0"))
    except ValueError:
        return 0


def _scalar(value: Any) -> Any:
    if hasattr(value, "item") and not isinstance(value, (str, bytes, dict, list)):
        try:
            return value.item()  # numpy / torch scalars
        except (TypeError, ValueError):
            return value
    return value


def _metrics(metric: Any) -> dict[str, Any]:
    """{default: number, extra numeric keys...}; values Katib cannot read are left out with a note."""
    metric = _scalar(metric)
    if isinstance(metric, Mapping):
        items = {str(k): _scalar(v) for k, v in metric.items()}
    else:
        items = {OBJECTIVE: metric}
    out: dict[str, Any] = {}
    for name in [OBJECTIVE] + [k for k in items if k != OBJECTIVE]:
        if name not in items:
            _warn_once(f"no-default", "the metric has no 'default' key: Katib gets no objective value from it "
                                      "(NNI's tuners need a number or a dict with a numeric 'default')")
            continue
        value = items[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            if name == OBJECTIVE:
                _warn_once(f"type-{name}", f"metric {name} is {type(value).__name__}, not a number: not reported")
            continue
        if not math.isfinite(value):
            _warn_once(f"finite-{name}", f"metric {name} is {value}: Katib cannot parse it, not reported")
            continue
        try:
            format_metrics({name: value})
        except ValueError:
            _warn_once(f"name-{name}", f"metric name {name!r} cannot be read by Katib's collector (letters, digits, "
                                       "_ and - only): not reported")
            continue
        out[name] = value
    return out


def _warn_once(key: str, message: str) -> None:
    if key not in _trial.warned:
        _trial.warned.add(key)
        _say(message)


def _print(metrics: Mapping[str, Any]) -> None:
    now = datetime.now(timezone.utc)
    if _trial.last_time is not None and now <= _trial.last_time:
        now = _trial.last_time + timedelta(microseconds=1)  # strictly increasing: `latest` stays the last line
    _trial.last_time = now
    sys.stdout.write(f"{now.strftime('%Y-%m-%dT%H:%M:%S.%fZ')} {format_metrics(metrics)}\n")
    sys.stdout.flush()


def _check_order(what: str) -> None:
    if _managed() and _trial.params is None:
        raise AssertionError(f"nni.get_next_parameter() needs to be called before {what}")


def report_intermediate_result(metric: Any) -> None:
    _check_order("report_intermediate_result")
    sequence = _trial.sequence
    _trial.sequence += 1
    if not _managed():
        _standalone_logger().info("Intermediate result: %s  (Index %s)", metric, sequence)
        return
    metrics = _metrics(metric)
    if not metrics:
        return
    if OBJECTIVE in metrics and "step" not in metrics:
        metrics["step"] = sequence
    _print(metrics)
    if _trial.final is not None and OBJECTIVE in metrics:
        _trial.after_final = True


def report_final_result(metric: Any) -> None:
    _check_order("report_final_result")
    if not _managed():
        _standalone_logger().info("Final result: %s", metric)
        return
    if _trial.final is not None:
        _warn_once("final-twice", "report_final_result called again: only the first final result counts (as in "
                                  "NNI's tuners); this one is ignored")
        return
    metrics = _metrics(metric)
    if not metrics:
        return
    _print(metrics)
    _trial.final = json.dumps(metrics)


@atexit.register
def _reprint_final() -> None:
    """If intermediate results were printed after the final one, print the final one again so it
    is the `latest` objective value Katib reads."""
    if _trial.final is not None and _trial.after_final:
        _trial.after_final = False
        _print(json.loads(_trial.final))


# -- utils ------------------------------------------------------------------------------------------
def merge_parameter(base_params: Any, override_params: Mapping[str, Any] | None) -> Any:
    """Overwrite keys of a dict (or attributes of an argparse Namespace) with the tuner's values, as
    NNI >= 2.8 does: unknown keys raise ValueError; a value must be an instance of the base value's
    type (an int may replace a float; any value replaces None), else ValueError. Returns base_params."""
    if override_params is None:
        return base_params
    is_dict = isinstance(base_params, dict)
    for key, value in override_params.items():
        if is_dict:
            if key not in base_params:
                raise ValueError(f"Key '{key}' not found in base parameters.")
            base_params[key] = _compatible(key, base_params[key], value)
        else:
            if not hasattr(base_params, key):
                raise ValueError(f"Key '{key}' not found in base parameters.")
            setattr(base_params, key, _compatible(key, getattr(base_params, key), value))
    return base_params


def _compatible(key: str, base: Any, override: Any) -> Any:
    if base is None or isinstance(override, type(base)):
        return override
    if isinstance(base, float) and isinstance(override, int):
        return float(override)
    raise ValueError(f'Expected "{key}" in override parameters to have type {type(base).__name__}, '
                     f"but found {type(override).__name__}")
