"""The one exception of the command line: a user's mistake."""


class CommandError(Exception):
    """A mistake in the command or its files: one line on stderr, status 2.

    `skrnn._cli.commands.main` prints it as ``error: <message>`` (the
    message on one line) and exits with status 2. Say what was wrong and
    what to do.
    """
