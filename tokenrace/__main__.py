"""``python -m tokenrace``: see :mod:`tokenrace.cli`."""

from tokenrace.cli import main

raise SystemExit(main())
