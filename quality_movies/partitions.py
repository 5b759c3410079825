"""Landed files as dynamic partitions, keyed by their object key under the landing prefix.

Object keys may contain `/` (sub-folders), which breaks path-based storage, and `,`,
which breaks partition selection in the UI. Partition keys therefore percent-encode
exactly `%`, `/` and `,` and keep everything else (spaces, non-ASCII) readable:
`2024/07/top movies.csv` becomes `2024%2F07%2Ftop movies.csv`.

A partition key is one path segment in the lake's output folders, and a segment holds at most 255 bytes:
`bounded_name` gives the form used there for longer ones (partition keys themselves are never shortened).
"""

from __future__ import annotations

import hashlib
from pathlib import PurePosixPath

import dagster as dg

landed_files = dg.DynamicPartitionsDefinition(name="landed_files")

_ENCODED = {"%": "%25", "/": "%2F", ",": "%2C"}
_DECODED = {code: char for char, code in _ENCODED.items()}


def partition_key_for(relative_key: str) -> str:
    """The partition key of an object key relative to the landing prefix."""
    if not relative_key:
        raise ValueError("an object key must not be empty")
    return "".join(_ENCODED.get(char, char) for char in relative_key)


def relative_key_for(partition_key: str) -> str:
    """The object key (relative to the landing prefix) that a partition key stands for."""
    parts, index = [], 0
    while index < len(partition_key):
        code = partition_key[index : index + 3]
        if code.upper() in _DECODED:
            parts.append(_DECODED[code.upper()])
            index += 3
        else:
            parts.append(partition_key[index])
            index += 1
    return "".join(parts)


# Most file systems (ext4, xfs, tmpfs, APFS) hold at most 255 bytes in one path segment.
NAME_MAX_BYTES = 255
_DIGEST_CHARS = 32  # 128 bits of SHA-256: two names never share a bounded form in practice
_KEPT_SUFFIX_BYTES = 16


def bounded_name(name: str, reserve: int = 0) -> str:
    """`name` as one path segment of at most 255 bytes, less `reserve` bytes that the caller adds around it.

    A name that fits is returned unchanged (so existing layouts hold); a longer one becomes its readable beginning,
    `~`, a hash of the whole name and its extension (`.csv`, `.csv.gz`): stable, and distinct for distinct names.
    """
    encoded = name.encode("utf-8", "surrogateescape")
    limit = NAME_MAX_BYTES - reserve
    if len(encoded) <= limit:
        return name
    suffix = "".join(PurePosixPath(name).suffixes)
    suffix = suffix if len(suffix.encode("utf-8", "surrogateescape")) <= _KEPT_SUFFIX_BYTES else ""
    digest = hashlib.sha256(encoded).hexdigest()[:_DIGEST_CHARS]
    room = limit - len(digest) - 1 - len(suffix.encode("utf-8", "surrogateescape"))
    head = encoded[:room].decode("utf-8", "ignore")  # cut on a character boundary
    return f"{head}~{digest}{suffix}"
