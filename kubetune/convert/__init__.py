"""Converters from other AutoML tools' experiment definitions to Katib Experiments.

    from kubetune.convert import convert_nni, ConvertError
    result = convert_nni("config.yml")      # NNI config v1/v2 + search space -> Katib Experiment
    print(result.text)
"""
from __future__ import annotations

from .errors import ConvertError, Note
from .nni import Conversion, convert_nni

__all__ = ["Conversion", "ConvertError", "Note", "convert_nni"]
