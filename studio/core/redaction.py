"""Masking of secrets in text: API keys the studio knows of, Bearer tokens and ``jwt=`` query values."""

from __future__ import annotations

import re
import threading

MASK = "[REDACTED]"

_PATTERNS = (
    re.compile(r"(?i)(bearer\s+)[^\s'\",]+"),
    re.compile(r"(?i)([?&]jwt=)[^&\s'\"]+"),
    re.compile(r"(?i)(\"?(?:key_value|api_key|apikey|authorization)\"?\s*[:=]\s*\"?)[^\s'\",}]+"),
)


class Redactor:
    """Remembers secret values and masks them, and token-shaped values, in any text."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._lock = threading.Lock()

    def add(self, secret: str | None) -> None:
        # Very short values would mask ordinary words; a real key is long.
        if secret and len(secret) >= 6:
            with self._lock:
                self._secrets.add(secret)

    def redact(self, text: str) -> str:
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        for secret in secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        for pattern in _PATTERNS:
            text = pattern.sub(lambda m: m.group(1) + MASK, text)
        return text
