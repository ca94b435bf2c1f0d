"""Short links reopen a scenario exactly, say when it was deleted, and treat tokens as hostile."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from simulation.io.presets import load_preset
from simulation.io.sharing import share_url
from simulation.io.short_links import (
    TOKEN_CHARS,
    ShortLinkError,
    ShortLinkGoneError,
    ShortLinks,
    short_url,
    validate_token,
)
from simulation.io.storage import DB_FILE, ScenarioStore

pytestmark = pytest.mark.usefixtures("backend")

BASE = "https://retention-lab.example.com/"


@pytest.fixture
def scenario():
    return load_preset("saas_mid_market").replace(name="Kế hoạch giữ chân · แผนรักษาลูกค้า")


def test_a_short_link_reopens_the_scenario_exactly(tmp_path, scenario, backend):
    links = ShortLinks(tmp_path)
    link = links.create(scenario)
    url = short_url(BASE, link.token)
    assert len(url) < 80, f"short link is {len(url)} characters: {url}"
    assert len(share_url(BASE, scenario)) > 400, "the full link is the long one this replaces"
    again = ShortLinks(tmp_path).resolve(link.token)
    assert again.canonical_json() == scenario.canonical_json(), "the reopened scenario differs from the shared one"
    if backend.is_sqlite:
        assert (tmp_path / DB_FILE).exists(), "links are kept in the library's database file"
    else:
        assert not (tmp_path / DB_FILE).exists(), "on PostgreSQL no file is written in the data folder"


def test_tokens_are_unguessable_and_distinct(tmp_path, scenario):
    links = ShortLinks(tmp_path)
    tokens = {links.create(scenario).token for _ in range(50)}
    assert len(tokens) == 50, "every link gets its own token"
    assert all(len(t) == TOKEN_CHARS for t in tokens), f"tokens of {TOKEN_CHARS} characters expected: {tokens}"


def test_a_deleted_link_says_so(tmp_path, scenario):
    links = ShortLinks(tmp_path)
    token = links.create(scenario).token
    links.delete(token)
    with pytest.raises(ShortLinkGoneError, match="was deleted"):
        links.resolve(token)
    with pytest.raises(ShortLinkError, match="no such short link"):
        links.delete(token)


def test_a_link_to_a_saved_scenario_follows_it_and_says_when_it_is_deleted(tmp_path, scenario):
    store = ScenarioStore(tmp_path)
    store.save("Client A", scenario)
    links = ShortLinks(tmp_path)
    token = links.create_for_saved("Client A").token
    assert links.resolve(token).canonical_json() == scenario.canonical_json(), "opens the saved scenario"
    store.delete("Client A")
    with pytest.raises(ShortLinkGoneError, match="'Client A' this short link opened has been deleted"):
        links.resolve(token)
    with pytest.raises(ShortLinkError, match="no saved scenario"):
        links.create_for_saved("Nobody")


@pytest.mark.parametrize(
    "token",
    [
        "",
        "   ",
        None,
        12345,
        "short",
        "x" * 13,
        "abc' OR 1=1--",
        "../../etc/pwd",
        "AAAAAAAAAAA%",
        "ÄAAAAAAAAAAA",
        "AAAAAAAAAAA\x00",
    ],
)
def test_hostile_tokens_are_refused_before_the_database(tmp_path, token):
    with pytest.raises(ShortLinkError) as info:
        ShortLinks(tmp_path).resolve(token)
    assert "Traceback" not in str(info.value) and str(info.value), "a plain message is expected"
    with pytest.raises(ShortLinkError):
        validate_token(token)


def test_an_unknown_or_other_workspaces_token_is_not_found(tmp_path, scenario):
    token = ShortLinks(tmp_path, workspace="team-a").create(scenario).token
    with pytest.raises(ShortLinkError, match="not known here"):
        ShortLinks(tmp_path, workspace="team-b").resolve(token)
    with pytest.raises(ShortLinkError, match="not known here"):
        ShortLinks(tmp_path).resolve("A" * TOKEN_CHARS)


def test_a_tampered_stored_scenario_is_a_message(tmp_path, scenario):
    links = ShortLinks(tmp_path)
    token = links.create(scenario).token
    with links.database.engine.begin() as conn:
        conn.execute(sa.text("UPDATE short_links SET scenario_json = '{\"name\": 1}' WHERE token = :t"), {"t": token})
    with pytest.raises(ShortLinkError, match="no longer passes"):
        links.resolve(token)


def test_the_saved_library_still_works_beside_the_links(tmp_path, scenario):
    ShortLinks(tmp_path).create(scenario)
    store = ScenarioStore(tmp_path)
    store.save("After links", scenario)
    assert store.names() == ["After links"], f"library after links: {store.names()}"


def test_reading_a_link_creates_no_library(tmp_path):
    with pytest.raises(ShortLinkError, match="not known here"):
        ShortLinks(tmp_path / "empty").resolve("A" * TOKEN_CHARS)
    assert not (tmp_path / "empty").exists(), "looking a link up must not create a data folder"
