"""The pipeline compiles, the checked-in YAML is what it compiles to (fails when stale), and the
compiled DAG has the steps, settings and parameters the issue asks for."""
from __future__ import annotations

import yaml

from pipelines.compile import COMPILED, compile_to_text
from pipelines.kubetune_pipeline import build_pipeline


def _ir(text: str) -> dict:
    return list(yaml.safe_load_all(text))[0]


def test_checked_in_pipeline_yaml_is_not_stale():
    fresh = compile_to_text()
    assert COMPILED.is_file(), f"{COMPILED} is missing: run `kubetune pipeline compile -o {COMPILED}`"
    assert COMPILED.read_text(encoding="utf-8") == fresh, (
        f"{COMPILED} is stale (the pipeline or its components changed): run "
        f"`kubetune pipeline compile -o pipelines/kubetune_pipeline.yaml` and check the file in")


def test_compile_command_writes_the_same_yaml(tmp_path, capsys):
    from kubetune.cli import main

    out = tmp_path / "p.yaml"
    assert main(["pipeline", "compile", "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == compile_to_text()
    assert str(out) in capsys.readouterr().out


def test_compiled_dag_steps_outputs_and_parameters():
    ir = _ir(compile_to_text())
    tasks = ir["root"]["dag"]["tasks"]
    assert set(tasks) == {"prepare-data", "search", "export-best", "ensemble", "report"}
    # data flow: prepare -> search -> export/ensemble -> report
    assert tasks["search"]["dependentTasks"] == ["prepare-data"]
    assert set(tasks["report"]["dependentTasks"]) == {"search", "prepare-data", "export-best", "ensemble"}
    assert tasks["search"]["inputs"]["parameters"]["run_id"]["runtimeValue"]["constant"] == "{{$.pipeline_job_uuid}}"
    # no caching of steps with side effects: creating the Experiment, publishing the model, reading changing data
    for name in ("prepare-data", "search", "export-best"):
        assert tasks[name]["cachingOptions"] == {}, name
    assert tasks["ensemble"]["cachingOptions"] == {"enableCache": True}
    params = ir["root"]["inputDefinitions"]["parameters"]
    for name in ("dataset", "model", "search_space", "algorithm", "max_trials", "parallel_trials", "gpus_per_trial",
                 "accelerator", "ensemble_size", "store", "backend"):
        assert name in params, name
    assert params["backend"]["defaultValue"] == "katib"
    outputs = ir["root"]["outputDefinitions"]["artifacts"]
    assert {k: v["artifactType"]["schemaTitle"] for k, v in outputs.items()} == {
        "model": "system.Model", "leaderboard": "system.Markdown", "metrics": "system.Metrics",
        "confusion_matrix": "system.ClassificationMetrics"}
    components = ir["components"]
    assert "confusion_matrix" in components["comp-ensemble"]["outputDefinitions"]["artifacts"]


def test_gpu_requests_are_accelerator_type_and_limit_from_parameters():
    ir = _ir(compile_to_text())
    executors = ir["deploymentSpec"]["executors"]
    for name, limit in (("exec-search", "local_search_gpus"), ("exec-ensemble", "ensemble_gpus")):
        accelerator = executors[name]["container"]["resources"]["accelerator"]
        assert accelerator["resourceType"] == "{{$.inputs.parameters['pipelinechannel--accelerator']}}"
        assert accelerator["resourceCount"] == f"{{{{$.inputs.parameters['pipelinechannel--{limit}']}}}}"
    # the trials' GPUs travel into the Katib Experiment as a parameter of the search step
    search_inputs = ir["root"]["dag"]["tasks"]["search"]["inputs"]["parameters"]
    assert search_inputs["gpus_per_trial"]["componentInputParameter"] == "gpus_per_trial"
    assert search_inputs["accelerator"]["componentInputParameter"] == "accelerator"


def test_components_are_thin_wrappers_without_pip_installs():
    ir = _ir(compile_to_text())
    for name, executor in ir["deploymentSpec"]["executors"].items():
        command = " ".join(executor["container"]["command"])
        assert "pip install" not in command, name  # kfp and kubetune are in the image
        source = executor["container"]["command"][-1]
        assert "from kubetune.steps.steps import" in source, name


def test_local_variant_has_no_pod_settings():
    from kfp import compiler

    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "local.yaml"
        compiler.Compiler().compile(build_pipeline(for_local=True), str(path))
        ir = _ir(path.read_text())
    for executor in ir["deploymentSpec"]["executors"].values():
        assert "resources" not in executor["container"]
