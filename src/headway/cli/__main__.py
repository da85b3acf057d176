"""``python -m headway.cli`` runs the ``headway`` command."""

from headway.cli import main

main()
