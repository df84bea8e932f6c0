"""``python -m kpixl.cli``."""

from .main import main

raise SystemExit(main())
