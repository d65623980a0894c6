"""Converters from other AutoML tools' experiment definitions to Katib Experiments.

    from kubetune.convert import convert_nni, ConvertError
    result = convert_nni("config.yml")      # NNI config v1/v2 + search space -> Katib Experiment
    print(result.text)

Each converter writes its YAML with kubetune.experiment.yaml_writer.dump_experiment.

nni.py                     `kubetune convert nni`: NNI config + search space -> Experiment
nni_config.py              read an NNI config: v1 or v2 -> one NniConfig
nni_config_common.py       NniConfig, Algo and the checks both config versions share
nni_config_v1.py, _v2.py   each version's schema and reader
nni_space.py               NNI search spaces: validation into typed entries
nni_encode.py              NNI search-space entries -> Katib parameters (+ the shim's decode record)
nni_tuners.py              NNI tuners/advisors/assessors -> Katib algorithm and early stopping
nni_trial.py               NNI's trial command -> the trial template's workload (Job, or per-role replicas)
nni_k8s.py                 NNI's kubeflow / frameworkcontroller roles -> PyTorchJob / TFJob replicas
optuna_space_format.py     the SearchSpace file format: keys, detection (is_space_file), reading
optuna_space_parameters.py its parameters block -> Katib parameters, flags, conditions
optuna_space_compile.py    `kubetune convert optuna`: SearchSpace -> Experiment (compile_space_file)
katib_form.py              `kubetune convert katib`: kubetune extensions -> plain Katib
errors.py                  ConvertError, Note, Problems: messages naming file, key path and fix

NNI 1.x FixedProductTuner's grid (the EfficientNet compound-scaling triples) is the algorithm's
own: kubetune.algorithms.nni_fixed_product.
"""
from __future__ import annotations

from .errors import ConvertError, Note
from .nni import Conversion, convert_nni

__all__ = ["Conversion", "ConvertError", "Note", "convert_nni"]
