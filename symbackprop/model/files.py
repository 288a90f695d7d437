"""Reading a user's small text file (a notation, a network) at a bounded cost: its size is checked as it is
read, never after, and any failure is one ``SpecError`` line naming the file."""
from __future__ import annotations

from pathlib import Path

from .errors import SpecError


def read_text(path: str | Path, what: str, max_bytes: int) -> str:
    """The file's UTF-8 text (a byte-order mark dropped), reading at most ``max_bytes`` + 1 bytes."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            raw = f.read(max_bytes + 1)
    except OSError as error:
        raise SpecError(f"{path.name}: cannot read the {what}: {error.strerror or error}") from None
    if len(raw) > max_bytes:
        raise SpecError(f"{path.name}: a {what} has at most {max_bytes // 1000} kB")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SpecError(f"{path.name}: a {what} is UTF-8 text") from None
