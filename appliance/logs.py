"""Logging to stdout in a form journald understands.

Under systemd each line starts with the syslog priority in angle brackets ("<6>"),
which journald turns into the entry's priority; the time is journald's. On a
terminal the lines get a timestamp and the level name instead.
"""

from __future__ import annotations

import logging
import sys

SYSLOG_PRIORITY = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3, logging.CRITICAL: 2}


class JournalFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        priority = SYSLOG_PRIORITY.get(record.levelno, 6)
        text = f"{record.name}: {record.getMessage()}"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        # a multi-line message stays one journal entry only if every line carries the prefix
        return "\n".join(f"<{priority}>{line}" for line in text.splitlines())


def configure_logging(level: str = "INFO", stream=None) -> None:
    stream = stream or sys.stdout
    handler = logging.StreamHandler(stream)
    if stream.isatty():
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    else:
        handler.setFormatter(JournalFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
