"""`python -m aggregator.cli …`: the `aggregator` command."""

import sys

from aggregator.cli.main import main

sys.exit(main())
