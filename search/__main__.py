"""Allow ``python -m mikke.search`` (the same as ``python -m mikke`` and ``mikke``)."""

from mikke.search.cli import cli

cli()
