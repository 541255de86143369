"""`python -m flows.cli`: the same as the `newswatch` command."""

from flows.cli import main

raise SystemExit(main())
