"""``python -m femstat``: the same as the ``femstat`` command."""

from femstat.cli import main

main()
