"""A whole scenario in one URL query parameter, and back.

A link carries ``?s=v1.<token>``: the scenario's canonical JSON, compressed with
zlib and written in URL-safe base64 without padding. The canonical JSON holds
every field (runs and seed included) and floats in their shortest exact form,
so a link reopens the same scenario and, with it, the same figures. The version
prefix lets a later format be read next to this one.

Decoding never trusts the link: its length, the compressed size, the JSON and
the scenario itself are all checked, and every failure is a
:class:`SharingError` (or a :class:`~simulation.model.scenario.ScenarioError` naming
the fields) with a message a person can act on.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from urllib.parse import urlencode

from ..errors import InputError
from ..model.scenario import Scenario, scenario_from_dict

QUERY_PARAM = "s"
VERSION = "v1"
# A scenario with fifty segments compresses to a few kB; anything far larger is not a link we made.
MAX_TOKEN_CHARS = 32_000
MAX_JSON_BYTES = 512_000
_ALPHABET = re.compile(r"[A-Za-z0-9_-]*")


class SharingError(InputError):
    """A share link that cannot be read; the message says what is wrong with it."""


def encode_scenario(scenario: Scenario) -> str:
    """The compact, versioned text of ``scenario`` for a URL query parameter.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario.

    Returns
    -------
    str
        ``"v1." + urlsafe_base64(zlib(canonical JSON))`` without ``=`` padding;
        only ``A-Z a-z 0-9 - _ .``, so it needs no escaping in a URL.
    """
    packed = zlib.compress(scenario.canonical_json().encode("utf-8"), level=9)
    return f"{VERSION}.{base64.urlsafe_b64encode(packed).decode('ascii').rstrip('=')}"


def decode_scenario(token: str) -> Scenario:
    """The scenario in a share-link token made by :func:`encode_scenario`.

    Raises
    ------
    SharingError
        The token is empty, too long, of an unknown version, or damaged.
    ScenarioError
        The token decodes but the scenario in it is not valid (each problem named).
    """
    if not isinstance(token, str) or not token.strip():
        raise SharingError("the share link holds no scenario (the 's' parameter is empty)")
    token = token.strip()
    if len(token) > MAX_TOKEN_CHARS:
        raise SharingError(f"the share link is too long to be a scenario ({len(token):,} characters)")
    version, dot, body = token.partition(".")
    if not dot:
        raise SharingError("the share link is not in a known format: it should start with 'v1.'")
    if version != VERSION:
        raise SharingError(
            f"the share link was made in format {version!r}, which this version of the app cannot read "
            f"(it reads {VERSION!r})"
        )
    # The decoder would silently skip foreign characters; a link of ours never has any.
    if not _ALPHABET.fullmatch(body):
        raise SharingError("the share link is damaged: it contains characters a link of ours never has")
    try:
        packed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise SharingError("the share link is damaged or incomplete (was it cut short when copied?)") from None
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(packed, MAX_JSON_BYTES)
    except zlib.error:
        raise SharingError("the share link is damaged or incomplete (was it cut short when copied?)") from None
    if inflater.unconsumed_tail:
        raise SharingError("the share link holds more data than any scenario could need")
    if not inflater.eof:
        raise SharingError("the share link is incomplete (was it cut short when copied?)")
    if inflater.unused_data:
        raise SharingError("the share link is damaged: it has extra characters after the scenario")
    # A link of ours is the canonical encoding: any other text that decodes to the same bytes
    # (extra base64 characters that the decoder drops, non-zero padding bits) was altered.
    if base64.urlsafe_b64encode(packed).decode("ascii").rstrip("=") != body:
        raise SharingError("the share link is damaged: it has extra characters after the scenario")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise SharingError("the share link is damaged: its contents are not a scenario") from None
    except ValueError:
        raise SharingError("the share link is damaged: it holds a number too long to read") from None
    return scenario_from_dict(data)


def share_query(scenario: Scenario) -> str:
    """The query string (without ``?``) that reopens ``scenario``."""
    return urlencode({QUERY_PARAM: encode_scenario(scenario)})


def share_url(base_url: str | None, scenario: Scenario) -> str:
    """A link to ``base_url`` that reopens ``scenario``; a bare ``?s=...`` when the base is unknown."""
    base = (base_url or "").split("?", 1)[0].split("#", 1)[0]
    return f"{base}?{share_query(scenario)}"
