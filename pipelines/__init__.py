"""KFP v2 components and the kubetune pipeline; the compiled pipeline is kubetune_pipeline.yaml."""
