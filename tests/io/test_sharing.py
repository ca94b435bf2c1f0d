"""A scenario in one URL query parameter: exact round trips and clear refusals of broken links."""

from __future__ import annotations

import base64
import json
import re
import zlib

import pytest

from simulation import ScenarioError
from simulation.errors import InputError
from simulation.io.presets import list_presets, load_preset
from simulation.io.sharing import (
    MAX_TOKEN_CHARS,
    QUERY_PARAM,
    SharingError,
    decode_scenario,
    encode_scenario,
    share_url,
)


def _token(payload: bytes, version: str = "v1") -> str:
    return f"{version}." + base64.urlsafe_b64encode(payload).decode().rstrip("=")


@pytest.mark.parametrize("key", list_presets())
def test_every_preset_round_trips_exactly(key):
    scenario = load_preset(key)
    token = encode_scenario(scenario)
    assert decode_scenario(token) == scenario, f"{key} changed on the way through a link"
    assert re.fullmatch(r"v1\.[A-Za-z0-9_-]+", token), "a token must need no escaping in a URL"


def test_token_is_compact(test_scenario):
    token = encode_scenario(test_scenario)
    assert len(token) < len(test_scenario.canonical_json()), "compression should shorten the link"


def test_share_url_replaces_any_query(test_scenario):
    url = share_url("http://host:8501/?s=old#top", test_scenario)
    assert url.startswith("http://host:8501/?s=v1."), url
    assert url.count("?") == 1 and "#" not in url, url
    assert share_url(None, test_scenario).startswith(f"?{QUERY_PARAM}=v1."), "an unknown base gives a bare query"


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("", "holds no scenario"),
        ("abc", "known format"),
        ("v2.abc", "format 'v2'"),
        ("v1.!!!!", "damaged"),
        ("v1." + "A" * (MAX_TOKEN_CHARS + 1), "too long"),
    ],
)
def test_broken_tokens_say_what_is_wrong(token, message):
    with pytest.raises(SharingError, match=message):
        decode_scenario(token)


def test_truncated_link_is_caught(test_scenario):
    token = encode_scenario(test_scenario)
    with pytest.raises(SharingError, match=r"incomplete|damaged"):
        decode_scenario(token[: len(token) // 2])


def test_tampered_link_is_caught(test_scenario):
    token = encode_scenario(test_scenario)
    raw = bytearray(base64.urlsafe_b64decode(token[3:] + "=" * (-len(token[3:]) % 4)))
    raw[len(raw) // 2] ^= 0xFF
    with pytest.raises(InputError):
        decode_scenario(_token(bytes(raw)))


def test_valid_json_of_an_invalid_scenario_names_the_field(test_scenario):
    data = test_scenario.to_dict()
    data["horizon"] = -5
    with pytest.raises(ScenarioError) as info:
        decode_scenario(_token(zlib.compress(json.dumps(data).encode())))
    assert any(path == "horizon" for path, _ in info.value.problems), info.value.problems


def test_not_json_is_refused():
    with pytest.raises(SharingError, match="not a scenario"):
        decode_scenario(_token(zlib.compress(b"\xff\xfe not json")))


def test_a_decompression_bomb_is_refused():
    bomb = zlib.compress(b" " * 5_000_000, 9)
    assert len(_token(bomb)) < MAX_TOKEN_CHARS, "the bomb must be small enough to pass the length check"
    with pytest.raises(SharingError, match="more data"):
        decode_scenario(_token(bomb))
