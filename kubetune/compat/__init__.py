"""Compatibility layers that let other tools' trial code run unchanged under kubetune and Katib
(`kubetune.compat.nni`: NNI's trial API)."""
