"""kubetune's trial program: `python -m trainer {train,predict,export,data}`.

Module map (docs/dev/trainer-interfaces.md): config (TrainConfig, flags = YAML keys), optim, losses,
report (Katib metric lines), checkpoint, train (the loop, DDP under torchrun), predict, export,
distributed, errors, cli; models/ and data/ are their own packages. Nothing here imports kubetune.
"""
