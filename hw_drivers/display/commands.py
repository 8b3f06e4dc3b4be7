"""Command sets of serial pole / VFD customer displays: how to set up and show two rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class CommandSet:
    init: bytes  # sent once after connecting
    show: Callable[[list[bytes]], bytes]  # rows already padded to the display's width


COMMAND_SETS = {
    # Epson DM-D / ESC/POS display: ESC @ reset, US MD1 overwrite mode, US C 0 cursor off,
    # then US $ col row to place each row.
    "escpos": CommandSet(
        b"\x1b@\x1f\x01\x1fC\x00",
        lambda rows: b"".join(b"\x1f$\x01" + bytes([i + 1]) + row for i, row in enumerate(rows)),
    ),
    # CD5220 and its many clones: ESC Q A / ESC Q B set the upper / lower row.
    "cd5220": CommandSet(
        b"\x1b@",
        lambda rows: b"".join(b"\x1bQ" + b"AB"[i : i + 1] + row + b"\r" for i, row in enumerate(rows)),
    ),
    # Plain text: form feed clears and homes, then the rows fill the display in turn.
    "plain": CommandSet(b"", lambda rows: b"\x0c" + b"".join(rows)),
}
