"""Allow ``python -m podsync``."""

from podsync.cli import main

raise SystemExit(main())
