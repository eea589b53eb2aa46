"""Addresses as offices type them: one cell may hold several, with full-width ＠, mailto: or stray spaces.

Used at both ends of the mail stage: `config` checks the sender, `message` addresses each recipient, `fetch`
recognises who sent a returned form.
"""
from __future__ import annotations

import re
import unicodedata

ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
ADDRESS_SEPARATORS = re.compile(r"[;,、\s]+")


def normalize_address(text: str) -> str:
    """Full-width ＠ and ．, stray spaces and mailto: are common in office spreadsheets; NFKC fixes the former."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    return text.strip("<> ")


def split_addresses(cell: str | None) -> tuple[list[str], list[str]]:
    """(valid, invalid) addresses of one cell; several may be separated by ；，、 or spaces."""
    valid, invalid = [], []
    for token in ADDRESS_SEPARATORS.split(unicodedata.normalize("NFKC", cell or "")):
        token = normalize_address(token)
        if not token:
            continue
        (valid if ADDRESS.match(token) else invalid).append(token)
    return valid, invalid
