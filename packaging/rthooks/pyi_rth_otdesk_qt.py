"""Run-time hook of the otdesk bundle, in place of PyInstaller's PySide6 hook.

PyInstaller's pyi_rth_pyside6 imports PySide6.QtCore at every start to register a qt.conf
naming the bundled Qt's prefix. PySide6's PyPI wheels register that same qt.conf themselves
when QtCore is first imported, so the early import only costs time: about 180 ms on every
`otdesk` command, most of which never show a window. This hook sets what the Qt libraries
need from the environment and leaves loading Qt to the first `import PySide6...`.
"""

import os
import sys


def _setup() -> None:
    bundle = sys._MEIPASS  # noqa: SLF001 (set by the bootloader)
    if sys.platform.startswith("win"):
        qt = os.path.join(bundle, "PySide6")
        # plugins find their Qt DLLs through PATH (as PySide6's own __init__ arranges)
        os.environ["PATH"] = bundle + os.pathsep + os.environ.get("PATH", "")
    else:
        qt = os.path.join(bundle, "PySide6", "Qt")
    os.environ["QT_PLUGIN_PATH"] = os.path.join(qt, "plugins")


_setup()
del _setup
