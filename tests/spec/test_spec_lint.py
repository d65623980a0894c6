"""One case per lint trap: accepted by Katib, but hangs, fails later or misleads."""
from __future__ import annotations

import pytest

from kubetune.spec import check, experiment_from_dict, lint
from spec_helpers import find, paths, warnings_of

T = "spec.trialTemplate"


def test_every_warning_is_a_warning_with_a_hint(doc, container):
    del doc["spec"]["maxTrialCount"]
    container["command"].append("$(trialParameters.lr)")
    warnings = warnings_of(doc)
    assert warnings and all(w.severity == "warning" and w.hint for w in warnings)


def test_parameter_not_referenced_by_any_trial_parameter(doc, container):
    doc["spec"]["parameters"].append({"name": "momentum", "parameterType": "double",
                                      "feasibleSpace": {"min": "0.5", "max": "0.9"}})
    w = find(warnings_of(doc), "spec.parameters[3].name", "not referenced by any trialParameter")
    assert "${trialParameters.momentum}" in w.hint


def test_nas_references_must_match_the_assignment_names(make_doc):
    doc = make_doc("enas.yaml")
    doc["spec"]["trialTemplate"]["trialParameters"][1]["reference"] = "nn-config"
    warnings = warnings_of(doc)
    w = find(warnings, f"{T}.trialParameters[1].reference", "never gets a value")
    assert 'did you mean "nn_config"' in w.hint
    find(warnings, f"{T}.trialParameters", "assigns \"nn_config\"")


@pytest.mark.parametrize("text", ["$(trialParameters.lr)", "${ trialParameters.lr }", "${trialParameter.lr}",
                                  "{trialParameters.lr}", "$trialParameters.lr"])
def test_near_miss_placeholders_are_passed_through_literally(doc, container, text):
    container["command"].append(f"--x={text}")
    find(warnings_of(doc), f"{T}.trialSpec", "not a Katib placeholder")


def test_metadata_reference_to_a_missing_label(doc, container):
    doc["spec"]["trialTemplate"]["trialParameters"].append({"name": "team", "reference": "${trialSpec.Labels[team]}"})
    container["env"] = [{"name": "TEAM", "value": "${trialParameters.team}"}]
    w = find(warnings_of(doc), f"{T}.trialParameters[3].reference", "no metadata.labels key")
    assert "trialSpec.metadata.labels" in w.hint
    doc["spec"]["trialTemplate"]["trialSpec"]["metadata"] = {"labels": {"team": "vision"}}
    assert f"{T}.trialParameters[3].reference" not in paths(warnings_of(doc))


def test_early_stopping_without_retain(make_doc):
    doc = make_doc("median-stop.yaml")
    del doc["spec"]["trialTemplate"]["retain"]
    w = find(warnings_of(doc), f"{T}.retain", "early stopping without retain")
    assert "retain: true" in w.hint


def test_early_stopping_with_a_collector_that_cannot_stop(make_doc):
    doc = make_doc("median-stop.yaml")
    doc["spec"]["metricsCollectorSpec"] = {"collector": {"kind": "Push"}}
    find(warnings_of(doc), "spec.metricsCollectorSpec.collector.kind", "only works with the StdOut and File")


def test_medianstop_that_can_never_fire(make_doc):
    doc = make_doc("median-stop.yaml")
    doc["spec"]["maxTrialCount"] = 2
    find(warnings_of(doc), "spec.earlyStopping.algorithmSettings", "needs 2 succeeded trials")


def test_no_max_trial_count(doc):
    del doc["spec"]["maxTrialCount"]
    find(warnings_of(doc), "spec.maxTrialCount", "no maxTrialCount")


def test_no_max_failed_trial_count(doc):
    del doc["spec"]["maxFailedTrialCount"]
    find(warnings_of(doc), "spec.maxFailedTrialCount", "still ends Succeeded")


def test_grid_without_max_trial_count(make_doc):
    doc = make_doc("grid.yaml")
    del doc["spec"]["maxTrialCount"]
    w = find(warnings_of(doc), "spec.maxTrialCount", "grid without maxTrialCount")
    assert "(12)" in w.hint


def test_finite_space_smaller_than_the_budget(doc):
    doc["spec"]["parameters"] = doc["spec"]["parameters"][1:]  # 4 batch sizes x 2 optimizers = 8 points
    doc["spec"]["trialTemplate"]["trialParameters"] = doc["spec"]["trialTemplate"]["trialParameters"][1:]
    doc["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"]["containers"][0]["command"] = [
        "python", "-m", "trainer", "--bs=${trialParameters.batchSize}", "--opt=${trialParameters.optimizer}"]
    doc["spec"]["maxTrialCount"] = 9
    find(warnings_of(doc), "spec.maxTrialCount", "only 8 distinct points")


@pytest.mark.parametrize("name", ["val/loss", "val.loss", "top-1 acc", "précision"])
def test_metric_names_the_default_stdout_regex_cannot_read(doc, name):
    doc["spec"]["objective"]["objectiveMetricName"] = name
    w = find(warnings_of(doc), "spec.objective.objectiveMetricName", "can never be read")
    assert "metricsFormat" in w.hint


def test_slash_metric_is_recorded_under_its_suffix(doc):
    doc["spec"]["objective"]["additionalMetricNames"] = ["val/loss"]
    w = find(warnings_of(doc), "spec.objective.additionalMetricNames[0]", "can never be read")
    assert 'recorded as "loss"' in w.message


def test_metric_names_are_fine_with_a_custom_filter(doc):
    doc["spec"]["objective"]["objectiveMetricName"] = "val/loss"
    doc["spec"]["metricsCollectorSpec"] = {"collector": {"kind": "StdOut"}, "source": {"filter": {
        "metricsFormat": [r"([\w/]+)=([+-]?\d+(\.\d+)?)"]}}}
    assert "spec.objective.objectiveMetricName" not in paths(warnings_of(doc))


def test_stdout_filter_problems_are_warnings(doc):
    doc["spec"]["metricsCollectorSpec"] = {"collector": {"kind": "StdOut"},
                                           "source": {"filter": {"metricsFormat": ["loss=(\\d+)"]}}}
    find(warnings_of(doc), "spec.metricsCollectorSpec.source.filter.metricsFormat[0]", "two top subexpressions")


def test_metric_strategy_with_an_invalid_value(doc):
    doc["spec"]["objective"]["metricStrategies"] = [{"name": "accuracy", "value": "maximum"},
                                                    {"name": "f1", "value": "max"}]
    warnings = warnings_of(doc)
    find(warnings, "spec.objective.metricStrategies[0].value", "unavailable")
    find(warnings, "spec.objective.metricStrategies[1].name", "never collected")


def test_file_collector_path_not_used_by_the_command(make_doc):
    doc = make_doc("file-collector.yaml")
    doc["spec"]["metricsCollectorSpec"]["source"]["fileSystemPath"]["path"] = "/katib/other.log"
    w = find(warnings_of(doc), "spec.metricsCollectorSpec.source.fileSystemPath.path", "never mentions")
    assert "/katib/other.log" in w.hint


def test_hyperband_beyond_the_first_bracket(make_doc):
    doc = make_doc("hyperband.yaml")
    doc["spec"]["maxTrialCount"] = 20
    find(warnings_of(doc), "spec.maxTrialCount", "only its first bracket")


def test_hyperband_discrete_values_must_be_numbers(make_doc):
    doc = make_doc("hyperband.yaml")
    doc["spec"]["parameters"][0] = {"name": "lr", "parameterType": "discrete",
                                    "feasibleSpace": {"list": ["low", "high"]}}
    w = find(warnings_of(doc), "spec.parameters[0].feasibleSpace.list", "hyperband fails")
    assert "categorical" in w.hint


def test_skopt_min_not_positive_and_ignored_distribution(make_doc):
    doc = make_doc("bayesianoptimization.yaml")
    doc["spec"]["parameters"][0]["feasibleSpace"].update(min="0", distribution="normal")
    warnings = warnings_of(doc)
    find(warnings, "spec.parameters[0].feasibleSpace.min", "log-uniformly")
    find(warnings, "spec.parameters[0].feasibleSpace.distribution", "ignores distribution normal")


@pytest.mark.parametrize("fixture, distribution, text", [
    ("multivariate-tpe.yaml", "normal", "raises on normal"),
    ("multivariate-tpe.yaml", "logNormal", "raises on logNormal"),
    ("grid.yaml", "logUniform", "grid ignores"),
    ("cmaes.yaml", "normal", "cmaes ignores"),
    ("tpe.yaml", "normal", "not clipped"),
])
def test_distribution_support_per_algorithm(make_doc, fixture, distribution, text):
    doc = make_doc(fixture)
    doc["spec"]["parameters"][0]["feasibleSpace"]["distribution"] = distribution
    find(warnings_of(doc), "spec.parameters[0].feasibleSpace.distribution", text)


D = "spec.parameters[0].feasibleSpace"


def _with_distribution(make_doc, fixture: str, dist: str, **space) -> dict:
    doc = make_doc(fixture)
    doc["spec"]["parameters"][0]["feasibleSpace"].update(distribution=dist, **space)
    return doc


def test_skopt_uniform_doubles_are_log_uniform_on_the_released_katib(make_doc):
    doc = _with_distribution(make_doc, "bayesianoptimization.yaml", "uniform")
    w = find(warnings_of(doc), f"{D}.distribution", "Katib v0.19.0 and master before PR #2689")
    assert "log-uniformly" in w.message and "Katib master since PR #2689: skopt samples uniformly" in w.message
    assert "a cluster run differs from kubetune run" in w.message
    assert w.hint.startswith("use logUniform")
    # logUniform is sampled the same by every Katib version and kubetune run: no warning
    doc = _with_distribution(make_doc, "bayesianoptimization.yaml", "logUniform")
    assert f"{D}.distribution" not in paths(warnings_of(doc))


@pytest.mark.parametrize("fixture, dist, older, newer", [
    ("cmaes.yaml", "normal", "cmaes ignores distribution normal (goptuna samples uniformly",
     "Katib master since PR #2689: goptuna fails to build its search space"),
    ("sobol.yaml", "logUniform", "sobol ignores distribution logUniform",
     "Katib master since PR #2689: goptuna samples log-uniformly"),
    ("bayesianoptimization.yaml", "logNormal", "bayesianoptimization ignores distribution logNormal",
     "Katib master since PR #2689: skopt raises on logNormal"),
    ("multivariate-tpe.yaml", "normal", "Katib v0.19.0: optuna leaves the parameter out",
     "Katib master since PR #2666: optuna raises on normal"),
])
def test_version_dependent_behaviour_names_each_katib_version(make_doc, fixture, dist, older, newer):
    w = find(warnings_of(_with_distribution(make_doc, fixture, dist)), f"{D}.distribution", older)
    assert newer in w.message and "kubetune run" in w.message


def test_what_kubetune_run_refuses_it_says_so_and_allow_normal_changes_it(make_doc):
    doc = _with_distribution(make_doc, "cmaes.yaml", "normal")
    w = find(warnings_of(doc), f"{D}.distribution", "kubetune run refuses it")
    assert "kubetune.allow_normal" in w.hint
    doc["spec"]["algorithm"]["algorithmSettings"].append({"name": "kubetune.allow_normal", "value": "true"})
    w = find(warnings_of(doc), f"{D}.distribution", "kubetune run samples a normal truncated")
    assert "the experiment hangs with no trials" in w.message  # the cluster still gets stuck


def test_grid_normal_hangs_a_cluster_but_kubetune_samples_the_step_grid(make_doc):
    doc = _with_distribution(make_doc, "grid.yaml", "normal")
    w = find(warnings_of(doc), f"{D}.distribution", "optuna raises on normal")
    assert "kubetune run samples the points of the step grid" in w.message
    assert "a cluster run differs" in w.message and w.hint.startswith("use uniform")


@pytest.mark.parametrize("fixture, dist, text, differs", [
    ("hyperband.yaml", "logUniform", "hyperband ignores distribution logUniform", True),
    ("pbt.yaml", "normal", "pbt ignores distribution normal", False),  # no local pbt to compare
])
def test_services_that_never_read_the_distribution(make_doc, fixture, dist, text, differs):
    w = find(warnings_of(_with_distribution(make_doc, fixture, dist)), f"{D}.distribution", text)
    assert ("a cluster run differs from kubetune run" in w.message) is differs


@pytest.mark.parametrize("fixture, dist", [
    ("tpe.yaml", "logUniform"), ("random.yaml", "uniform"), ("cmaes.yaml", "uniform"),
    ("multivariate-tpe.yaml", "logUniform"), ("hyperband.yaml", "uniform"), ("grid.yaml", "uniform"),
])
def test_distributions_sampled_the_same_everywhere_are_not_flagged(make_doc, fixture, dist):
    doc = _with_distribution(make_doc, fixture, dist)
    assert f"{D}.distribution" not in paths(warnings_of(doc))


def test_skopt_log_uniform_needs_a_positive_min_since_pr_2689_too(make_doc):
    doc = _with_distribution(make_doc, "bayesianoptimization.yaml", "logUniform", min="0")
    w = find(warnings_of(doc), f"{D}.min", "every Katib version (v0.19.0 and master): skopt")
    assert "needs min > 0" in w.message
    # uniform doubles need it only on the released Katib
    doc = _with_distribution(make_doc, "bayesianoptimization.yaml", "uniform", min="0")
    find(warnings_of(doc), f"{D}.min", "Katib v0.19.0 and master before PR #2689: skopt samples every double")


def test_hyperopt_log_distribution_needs_positive_min(make_doc):
    doc = make_doc("tpe.yaml")
    doc["spec"]["parameters"][0]["feasibleSpace"]["min"] = "0"
    find(warnings_of(doc), "spec.parameters[0].feasibleSpace.min", "needs min > 0")


def test_pbt_traps(make_doc):
    doc = make_doc("pbt.yaml")
    doc["spec"]["resumePolicy"] = "Never"
    del doc["spec"]["parameters"][0]["feasibleSpace"]["step"]
    doc["metadata"]["name"] = "a-rather-long-pbt-experiment"
    warnings = warnings_of(doc)
    find(warnings, "spec.resumePolicy", "FromVolume")
    find(warnings, "spec.parameters[0].feasibleSpace.step", "fails without a step")
    find(warnings, "metadata.name", "longer than 63")


def test_pbt_resample_probability_is_an_error_not_a_warning(make_doc):
    doc = make_doc("pbt.yaml")
    doc["spec"]["algorithm"]["algorithmSettings"].append({"name": "resample_probability", "value": "0.1"})
    from spec_helpers import errors_of

    find(errors_of(doc), "spec.algorithm.algorithmSettings[3].name", "resample_probability")


def test_cmaes_settings_that_fail_only_at_run_time(make_doc):
    doc = make_doc("cmaes.yaml")
    doc["spec"]["algorithm"]["algorithmSettings"][0]["value"] = "restart"
    w = find(warnings_of(doc), "spec.algorithm.algorithmSettings[0].value", "restart_strategy")
    assert "every suggestion call fails" in w.hint


def test_from_volume_with_an_in_memory_algorithm(make_doc):
    doc = make_doc("grid.yaml")
    doc["spec"]["resumePolicy"] = "FromVolume"
    find(warnings_of(doc), "spec.resumePolicy", "bookkeeping in memory")


def test_dot_in_the_experiment_name(doc):
    doc["metadata"]["name"] = "exp.v2"
    find(warnings_of(doc), "metadata.name", "DNS-1035")


def test_primary_container_name_not_in_the_pods(doc):
    doc["spec"]["trialTemplate"]["primaryContainerName"] = "training"
    w = find(warnings_of(doc), f"{T}.primaryContainerName", "no container named")
    assert "training-container" in w.hint


def test_primary_container_without_command(doc, container):
    container["args"] = container.pop("command")
    find(warnings_of(doc), f"{T}.trialSpec.spec.template.spec.containers[0].command", "ENTRYPOINT")


def test_job_restart_policy(doc):
    del doc["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"]["restartPolicy"]
    find(warnings_of(doc), f"{T}.trialSpec.spec.template.spec.restartPolicy", "Never or OnFailure")


def test_kind_outside_the_default_trial_resources(doc):
    ts = doc["spec"]["trialTemplate"]["trialSpec"]
    ts.update(apiVersion="argoproj.io/v1alpha1", kind="Workflow")
    doc["spec"]["trialTemplate"].update(successCondition='status.[@this].#(phase=="Succeeded")#',
                                        failureCondition='status.[@this].#(phase=="Failed")#')
    find(warnings_of(doc), f"{T}.trialSpec.kind", "trialResources")


def test_config_map_template_cannot_be_checked_or_run_locally(doc):
    del doc["spec"]["trialTemplate"]["trialSpec"]
    doc["spec"]["trialTemplate"].update(successCondition="x", failureCondition="y", configMap={
        "configMapName": "trial-templates", "configMapNamespace": "kubeflow", "templatePath": "job.yaml"})
    find(warnings_of(doc), f"{T}.configMap", "cannot read it")


def test_duplicate_names_and_unknown_distribution(doc):
    doc["spec"]["objective"]["additionalMetricNames"] = ["loss", "loss"]
    doc["spec"]["parameters"][0]["feasibleSpace"]["distribution"] = "unknown"
    warnings = warnings_of(doc)
    find(warnings, "spec.objective.additionalMetricNames[1]", "listed twice")
    find(warnings, "spec.parameters[0].feasibleSpace.distribution", "treats it as uniform")


def test_nas_is_cluster_only(make_doc):
    find(warnings_of(make_doc("darts.yaml")), "spec.algorithm.algorithmName", "cluster only")


def test_check_reports_errors_of_a_spec_edited_after_loading(doc):
    exp = experiment_from_dict(doc)
    exp.spec["parallelTrialCount"] = 0
    errors, warnings = check(exp)
    assert paths(errors) == ["spec.parallelTrialCount"]
    assert lint(exp) == warnings


def test_additional_metric_reported_in_the_objective_direction(doc):
    doc["spec"]["objective"].pop("metricStrategies")
    w = find(warnings_of(doc), "spec.objective.additionalMetricNames[0]", "reports its maximum")
    assert "value: min" in w.hint


def test_values_with_quotes_break_the_json_template(doc):
    doc["spec"]["parameters"][2]["feasibleSpace"]["list"] = ["sgd", 'adam"w']
    find(warnings_of(doc), "spec.parameters[2].feasibleSpace.list[1]", "unescaped")


def test_registered_extension_fields_are_kept_without_warning(doc):
    from kubetune.spec import register_extension_field
    from kubetune.spec.decode import EXTENSION_FIELDS

    doc["spec"]["kubetuneExtension"] = {"objectives": ["accuracy", "latency"]}
    assert "spec.kubetuneExtension" in paths(warnings_of(doc))
    register_extension_field("spec.kubetuneExtension")
    try:
        exp = experiment_from_dict(doc)
        assert "spec.kubetuneExtension" not in paths(lint(exp))
        assert exp.spec["kubetuneExtension"] == {"objectives": ["accuracy", "latency"]}
    finally:
        EXTENSION_FIELDS.discard("spec.kubetuneExtension")
