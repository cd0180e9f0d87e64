"""Attachments (R-7.6): screenshots as JPG, GIF or PNG; BMP only packed in ZIP or RAR.

The type is read from the content, not the name: a BMP renamed to .png is
still a BMP.
"""

from __future__ import annotations

import re
import unicodedata

_MAGIC = (
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"BM", "bmp"),
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),
    (b"Rar!\x1a\x07", "rar"),
    (b"%PDF-", "pdf"),
)
# A stored file name in UTF-8 bytes: 255 is what every file system takes; the rest is room for the
# "-<n>" that tells apart two files of the same name (issue 10, item 4).
NAME_BYTES = 240
_EXTENSION_BYTES = 24  # an extension longer than this is not kept apart when a name is cut
IMAGE_EXTENSIONS = {".jpg": "jpeg", ".jpeg": "jpeg", ".gif": "gif", ".png": "png", ".bmp": "bmp"}


def sniff(head: bytes) -> str:
    """The file type from its first bytes: jpeg, gif, png, bmp, zip, rar, pdf or other."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            if kind == "bmp" and len(head) >= 14 and not _plausible_bmp(head):
                continue
            return kind
    return "other"


def _plausible_bmp(head: bytes) -> bool:
    # "BM" starts plenty of text files; a real BMP has its pixel-data offset at byte 10.
    offset = int.from_bytes(head[10:14], "little")
    return 14 <= offset < 1 << 20


def refusal(name: str, head: bytes) -> str | None:
    """Why R-7.6 refuses this file, or None when it is accepted."""
    found = refusal_kind(name, head)
    if found is None:
        return None
    why, claimed, kind = found
    if why == "bmp":
        return f"{name}: BMP images are accepted only packed in a ZIP or RAR archive (R-7.6)"
    return f"{name}: the name says {claimed.upper()} but the content is {kind.upper()} (R-7.6)"


def refusal_kind(name: str, head: bytes) -> tuple[str, str, str] | None:
    """Why R-7.6 refuses this file as (``"bmp"`` or ``"mismatch"``, type the name claims, type of the
    content), for texts in other words (the customer's mail); None when it is accepted."""
    kind = sniff(head)
    claimed = IMAGE_EXTENSIONS.get(_extension(name))
    if kind == "bmp":
        return "bmp", claimed or "", kind
    if claimed and claimed != kind:
        return "mismatch", claimed, kind
    return None


def safe_name(name: str, fallback: str = "attachment") -> str:
    """A file name that cannot leave its folder or surprise a shell: no separators, no dots first."""
    base = unicodedata.normalize("NFC", str(name or "")).replace("\\", "/").rsplit("/", 1)[-1]
    base = re.sub(r"[\x00-\x1f\x7f<>:\"|?*\ud800-\udfff]", "_", base).strip().lstrip(".")
    base = _cut(re.sub(r"\s+", " ", base))
    return base or fallback


def unique_names(names: list[str], taken: set[str]) -> list[str]:
    """Safe names for files arriving as ``names`` in a folder already holding ``taken`` (updated):
    ``x.png``, ``x-2.png``, ``x-3.png`` … Linear in the count: the last number tried per name is kept,
    so 3,000 files of one name do not try 1, 2, 3 … again each time."""
    result: list[str] = []
    tried: dict[str, int] = {}
    for raw in names:
        name = first = safe_name(raw)
        stem, dot, ext = first.rpartition(".")
        n = tried.get(first, 1)
        while name in taken:
            n += 1
            name = f"{stem}-{n}.{ext}" if dot else f"{first}-{n}"
        tried[first] = n
        taken.add(name)
        result.append(name)
    return result


def _cut(name: str, limit: int = NAME_BYTES) -> str:
    """``name`` within ``limit`` bytes of UTF-8, cut between characters, its extension kept."""
    if len(name.encode("utf-8")) <= limit:
        return name
    dot = name.rfind(".")
    ext = name[dot:] if dot > 0 and len(name[dot:].encode("utf-8")) <= _EXTENSION_BYTES else ""
    stem = name[:len(name) - len(ext)]
    stem = stem.encode("utf-8")[:limit - len(ext.encode("utf-8"))].decode("utf-8", "ignore").rstrip()
    return stem + ext


def _extension(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot >= 0 else ""
