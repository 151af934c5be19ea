"""A mistake in the command line: one line on stderr and exit status 2."""


class UsageError(Exception):
    pass
