"""The kubetune pipeline for Kubeflow Pipelines (KFP v2). The steps' logic is kubetune.steps; this
package holds what KFP sees and the ways to run it.

components.py           the five KFP components: thin wrappers that call kubetune.steps.steps
kubetune_pipeline.py    build_pipeline(): the DAG, its parameters and pod settings
kubetune_pipeline.yaml  the compiled pipeline (checked in; compile.py writes it)
compile.py              compile the pipeline to IR YAML (`kubetune pipeline compile`)
run_local.py            run the whole pipeline on kfp.local (`kubetune pipeline run --local`)
submit.py               start a run on a Kubeflow Pipelines server (`kubetune pipeline submit`)
"""
