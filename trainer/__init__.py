"""kubetune's trial program: `python -m trainer {train,predict,export,data}`.

Module map (docs/dev/trainer-interfaces.md): config/ (TrainConfig, flags = YAML keys: schema,
coercion, argv, build, validation), booleans and options (shared by config and models), optim,
losses, report (Katib metric lines), checkpoint, predict, export, distributed, errors, cli; the
training run is train (Trainer.run, DDP under torchrun) over runtime, loaders, model_setup,
batches, tally, epoch, evaluation, run_state and run_report; models/ and data/ are their own
packages. Nothing here imports kubetune.
"""
