"""kubetune.experiment.katib_models: the lazy `kubeflow_katib_api.models` package gives every
class the real package gives (the very same class), imports only what is asked for, stands aside
when the real package is already imported, and keeps kubeflow's SDK working.

Each check runs in a fresh interpreter: which package a process gets depends on what imported it
first, and the pytest process has imported it long before."""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

from kubetune.experiment.katib_models import PACKAGE, _table

LAZY = "__getattr__"  # what the stand-in has and the real package has not


def _python(code: str, stdin: str = "") -> dict:
    r = subprocess.run([sys.executable, "-c", code], input=stdin, capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_every_class_resolves_to_the_class_the_real_package_gives():
    real = _python(
        "import json, types, kubeflow_katib_api.models as m\n"
        f"assert not hasattr(m, {LAZY!r})\n"
        "print(json.dumps({'classes': {n: [v.__module__, v.__qualname__] for n, v in vars(m).items()"
        " if isinstance(v, type)}, 'modules': sorted(n for n, v in vars(m).items()"
        " if isinstance(v, types.ModuleType) and v.__name__.startswith(m.__name__ + '.'))}))")
    assert len(real["classes"]) >= 300 and len(real["modules"]) >= 300  # 325 in 0.19.0
    lazy = _python(
        "import importlib, json, sys\n"
        "from kubetune.experiment import katib_models\n"
        "m = sys.modules['kubeflow_katib_api.models']\n"
        f"assert hasattr(m, {LAZY!r}) and katib_models.models is m\n"
        "import kubeflow_katib_api\nfrom kubeflow_katib_api import models\nassert kubeflow_katib_api.models is models is m\n"
        "loaded = sum(1 for k in sys.modules if k.startswith(m.__name__ + '.'))\n"
        "real = json.load(sys.stdin)\nclasses = {}\n"
        "for name in real['classes']:\n"
        "    cls = getattr(m, name)\n"
        "    assert getattr(importlib.import_module(cls.__module__), cls.__qualname__) is cls, name\n"
        "    ns = {}\n    exec(f'from kubeflow_katib_api.models import {name} as c', ns)\n"
        "    assert ns['c'] is cls and getattr(katib_models, name) is cls, name\n"
        "    classes[name] = [cls.__module__, cls.__qualname__]\n"
        "modules = sorted(n for n in real['modules'] if getattr(m, n) is sys.modules[m.__name__ + '.' + n])\n"
        "print(json.dumps({'classes': classes, 'modules': modules, 'loaded': loaded,\n"
        "                  'all': sorted(m.__all__), 'dir': sorted(set(real['classes']) - set(dir(m)))}))",
        stdin=json.dumps(real))
    assert lazy["classes"] == real["classes"]
    assert lazy["modules"] == real["modules"]
    assert lazy["all"] == sorted(real["classes"]) and lazy["dir"] == []
    assert lazy["loaded"] < len(real["modules"]) // 2  # importing kubetune.experiment loads few, if any


def test_unknown_names_are_attribute_errors():
    out = _python(
        "import json\nfrom kubetune.experiment import katib_models\nerrors = []\n"
        "for get in (lambda: katib_models.models.V1beta1Nope, lambda: katib_models.V1beta1Nope):\n"
        "    try:\n        get()\n    except AttributeError as exc:\n        errors.append(str(exc))\n"
        "try:\n    from kubeflow_katib_api.models import V1beta1Nope\nexcept ImportError as exc:\n"
        "    errors.append(type(exc).__name__)\n"
        "print(json.dumps(errors))")
    assert len(out) == 3 and "V1beta1Nope" in out[0] and "V1beta1Nope" in out[1] and out[2] == "ImportError"


def test_the_real_package_imported_first_is_left_alone():
    out = _python(
        "import json, sys\nimport kubeflow_katib_api.models as real\n"
        "from kubetune.experiment import katib_models\n"
        "from kubetune.experiment.katib_models import V1beta1Experiment\n"
        "from kubetune.experiment import load_experiment\n"
        f"exp = load_experiment({str(Path(__file__).parent / 'data' / 'tpe.yaml')!r})\n"
        "print(json.dumps([katib_models.models is real, sys.modules['kubeflow_katib_api.models'] is real,"
        f" hasattr(real, {LAZY!r}), V1beta1Experiment is real.V1beta1Experiment,"
        " type(exp.model) is real.V1beta1Experiment]))")
    assert out == [True, True, False, True, True]


def test_kubeflow_sdk_works_on_the_lazy_package():
    """kubeflow's optimizer SDK reads the models as `models.V1beta1...` attributes."""
    out = _python(
        "import json, sys\nfrom dataclasses import dataclass\nfrom kubetune.experiment import katib_models\n"
        f"assert hasattr(sys.modules['kubeflow_katib_api.models'], {LAZY!r})\n"
        "from kubeflow.optimizer.types.search_types import Search\n"
        "from kubeflow.optimizer.types.algorithm_types import algorithm_to_katib_spec\n"
        "@dataclass\nclass Tpe:\n    algorithm_name = 'tpe'\n    random_state: int = 7\n"
        "spec = algorithm_to_katib_spec(Tpe())\np = Search.uniform(0.1, 0.9)\n"
        "print(json.dumps([type(spec).__module__, spec.to_dict(), p.to_dict()]))")
    assert out[0] == "kubeflow_katib_api.models.v1beta1_algorithm_spec"
    assert out[1] == {"algorithmName": "tpe", "algorithmSettings": [{"name": "random_state", "value": "7"}]}
    assert out[2]["feasibleSpace"]["min"] == "0.1" and out[2]["feasibleSpace"]["max"] == "0.9"


def test_table_reads_the_real_init_and_refuses_anything_else():
    spec = importlib.util.find_spec(PACKAGE)
    source = Path(spec.origin).read_text(encoding="utf-8")
    table = _table(source)
    assert table is not None and len(table) == source.count("\nfrom kubeflow_katib_api.models.")
    assert table["V1beta1Experiment"] == "v1beta1_experiment"
    assert table["IoK8sApiCoreV1AWSElasticBlockStoreVolumeSource"] == \
        "io_k8s_api_core_v1_aws_elastic_block_store_volume_source"  # not guessable from the name
    head = '# coding: utf-8\n\n"""\n    Doc "quoted"\n"""  # noqa\n\n'
    line = "from kubeflow_katib_api.models.v1beta1_a import V1beta1A\n"
    assert _table(head + line) == {"V1beta1A": "v1beta1_a"}
    for extra in ("import os\n", "__all__ = ['V1beta1A']\n",
                  "from kubeflow_katib_api.models.v1beta1_b import V1beta1B, V1beta1C\n",
                  "from kubeflow_katib_api.models.v1beta1_b import V1beta1B as B\n", '"""late docstring"""\n'):
        assert _table(head + line + extra) is None, extra  # unknown shape: use the real package
    assert _table(head) is None
