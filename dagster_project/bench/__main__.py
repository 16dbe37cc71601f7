"""`python -m dagster_project.bench`: see `measure`."""

import sys

from dagster_project.bench.measure import main

if __name__ == "__main__":
    sys.exit(main())
