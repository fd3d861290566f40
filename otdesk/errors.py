"""The base of every error whose message is written for the person using otdesk.

Kept in a module of its own, with no imports, so the command line can catch the errors of
the services, storage and export layers without importing those layers (SQLAlchemy alone
is slow to import: benchmarks/startup.py) for commands that never touch them."""


class UserError(Exception):
    """A refusal or problem whose str() is one or two sentences for the user."""


class DiskFullError(UserError):
    """The disk (or the user's quota) is full where otdesk had to write; nothing was saved."""

    def __init__(self, folder: object, what: str = "nothing was saved") -> None:
        super().__init__(disk_full_sentence(folder, what))
        self.folder = folder


def disk_full_sentence(folder: object, what: str = "nothing was saved") -> str:
    """The one wording of a full disk: where, what was not saved, and what to do."""
    return (
        f"The disk is full where otdesk writes ({folder}); {what}. Free some space on that "
        "disk (empty the trash, move or delete large files) and try again: nothing already "
        "stored was changed."
    )


def is_disk_full(error: BaseException) -> bool:
    """An OSError that says the disk or the quota is full."""
    import errno

    return isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT)
