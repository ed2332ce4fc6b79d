"""Allow ``python -m mikke``, the same command as ``mikke``."""

from mikke.search.cli import cli

if __name__ == "__main__":
    cli()
