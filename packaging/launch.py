"""Entry point of the frozen app (packaging/otdesk.spec): the same `otdesk` command as the
installed one. Kept outside the otdesk package so PyInstaller does not put otdesk/ itself on
the search path during analysis."""

import os
import sys

# A windowed Windows build has no console: sys.stdout/stderr are None, and a stray print
# (or a library's warning) would raise. Send them nowhere instead; otdesk-cli.exe, the
# console build, keeps real streams for the command line and --smoke-test.
for _name in ("stdout", "stderr"):
    if getattr(sys, _name) is None:
        setattr(sys, _name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115

from otdesk.cli import main  # noqa: E402

sys.exit(main())
