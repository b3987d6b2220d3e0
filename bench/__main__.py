"""`python -m bench`: run every registered scenario (bench/run.sh calls it)."""

import sys

import bench.scenarios  # noqa: F401  # registers the scenarios
from bench.harness import main

sys.exit(main())
