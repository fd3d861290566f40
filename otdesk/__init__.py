"""otdesk: charge entry and superbills for outpatient occupational therapy clinics."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("otdesk")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
