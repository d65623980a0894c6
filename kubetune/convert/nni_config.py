"""Read an NNI experiment config (v1 or v2) into one normalised `NniConfig`.

nni_config_common.py  NniConfig, Algo and ConfigReader: the checks both versions share
nni_config_v1.py      the v1 schema and its reader (exact camelCase keys)
nni_config_v2.py      the v2 schema and its reader (field names matched loosely)

Detection is NNI's (nni-semantics 1.1): a file is v1 iff it has a top-level
`trainingServicePlatform` key. v1 keys are exact camelCase; v2 field names are matched
case-insensitively with underscores ignored (`trial_concurrency` == `trialConcurrency`). Unknown
keys are errors, as NNI rejects them; every error names the file, the key path and the allowed
keys. Relative paths are resolved against the config file's directory, `~` is expanded.
Operational keys with no Kubernetes meaning (logDir, nniManagerIp, ...) are dropped with a note.
"""
from __future__ import annotations

from pathlib import Path

import yaml

from .errors import ConvertError
from .nni_config_common import NniConfig
from .nni_config_v1 import V1Reader
from .nni_config_v2 import V2Reader


def load_nni_config(path: str | Path) -> NniConfig:
    """Read and check an NNI config file; ConvertError lists every problem."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConvertError([f"{source}: cannot read: {exc.strerror or exc}"]) from None
    except ValueError as exc:  # UnicodeDecodeError
        raise ConvertError([f"{source}: not UTF-8 text ({exc}); allowed: an NNI config in YAML"]) from None
    try:
        doc = yaml.safe_load(text)
    except RecursionError:
        raise ConvertError([f"{source}: invalid YAML: nested too deeply; allowed: an NNI config "
                            "(a mapping of keys)"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        raise ConvertError([f"{where}: invalid YAML: {getattr(exc, 'problem', None) or exc}"]) from None
    if not isinstance(doc, dict):
        raise ConvertError([f"{source}: an NNI config must be a YAML mapping, found {type(doc).__name__}"])
    base_dir = Path(path).resolve().parent
    reader = V1Reader if "trainingServicePlatform" in doc else V2Reader
    return reader(source, base_dir, doc).read()
