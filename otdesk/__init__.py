"""otdesk: charge entry and superbills for outpatient occupational therapy clinics."""


def __getattr__(name: str) -> str:
    # The version is looked up only when asked for: importlib.metadata is slow to import,
    # and every start (the window's too) would pay for it (benchmarks/startup.py).
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("otdesk")
        except PackageNotFoundError:  # a source tree that was never installed
            return "0.0.0+source"
    raise AttributeError(f"module 'otdesk' has no attribute {name!r}")
