"""``python -m respcheck``: the same command line as ``respcheck`` (used to start one run per target
from the interpreter that is running, whatever its scripts folder is)."""

from respcheck.cli import main

main()
