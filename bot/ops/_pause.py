"""The pause flag: persisted next to the journal, so a paused bot restarts paused.

Why a file and not the journal: the flag is the owner's instruction, not the bot's history, and
it must be readable before the journal is opened (and by ``pricebot pause`` when the service is
not running). Written atomically (temporary file, then rename).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

__all__ = ["PauseFlag"]


class PauseFlag:
    """``paused.json`` in the journal directory: present means paused, with who and why."""

    def __init__(self, journal_dir: str | Path) -> None:
        self.path = Path(journal_dir) / "paused.json"

    def is_set(self) -> bool:
        return self.path.exists()

    def reason(self) -> str | None:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return None if not self.path.exists() else "paused"
        return str(data.get("reason", "paused"))

    def set(self, reason: str, at: float) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"reason": reason, "at": at}))
        os.replace(tmp, self.path)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)
