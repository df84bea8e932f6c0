"""``python -m kpixl.cli``."""

from .commands import main

raise SystemExit(main())
