"""Example block networks (YAML) shipped with the package; see ../builder.py."""
