"""``python -m qca``."""

from qca.cli import main

main()
