"""The search step's local backend: the rendered Experiment run by kubetune's local engine; when
every trial fails, the step fails with the engine's reason and the end of a failed trial's log."""
from __future__ import annotations

import pytest

from kubetune.steps.search import SearchFailed
from kubetune.steps.steps import search_step


@pytest.mark.slow
def test_failing_trials_fail_the_step_with_the_reason_and_the_trial_log(tmp_path):
    lines: list[str] = []
    with pytest.raises(SearchFailed) as info:
        search_step(str(tmp_path / "out"), backend="local", run_id="local-run-1",
                    data_path=str(tmp_path / "no-such-data"), data_args=[], model="cells", search_space="basic",
                    algorithm="random", max_trials=1, parallel_trials=1, max_failed_trials=0, epochs=1, image_size=16,
                    batch_size=32, gpus_per_trial=0, accelerator="nvidia.com/gpu", top_k=1,
                    work_dir=str(tmp_path / "work"), namespace="", trial_image="unused", datasets_pvc="d",
                    models_pvc="m", say=lines.append)
    message = str(info.value)
    assert "failed locally: ExperimentFailed: Experiment has failed because max failed count has reached" in message
    assert f"data path {tmp_path / 'no-such-data'} does not exist" in message  # from the trial's log
    assert any(line.startswith("failed   kt-cells-localrun") for line in lines)
    assert (tmp_path / "out" / "experiment.yaml").is_file()
