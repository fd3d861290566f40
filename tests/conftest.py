import os

# Qt runs without a screen in tests; set before any Qt import.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
