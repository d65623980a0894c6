"""`python -m kubetune.cli`: the `kubetune` command without the console script."""
import sys

from kubetune.cli import main

sys.exit(main())
