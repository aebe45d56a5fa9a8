"""``python -m faceverify``."""

from .cli import main

raise SystemExit(main())
