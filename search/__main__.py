"""Allow ``python -m search``."""

from search.cli import cli

cli()
