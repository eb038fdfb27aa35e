"""`python -m hub` is the `triggerhub` command."""

import sys

from hub.cli import main

sys.exit(main())
