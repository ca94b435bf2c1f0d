"""Workspaces on the Compare page: a private workspace sees nothing of the shared one, and back."""

from __future__ import annotations

from simulation.io.storage import ScenarioStore
from tests.pages.conftest import empty_caches, start_app, start_app_warm  # noqa: F401 - the fixture clears Streamlit's caches
from tests.pages.test_app_compare import save, to_compare
from tests.pages.test_app_plan import widget
from ui.shared.workspace import NEW_KEY_KEY, QUERY_PARAM


def names(at) -> list[str]:
    boxes = [s for s in at.selectbox if s.label == "Saved scenario"]
    return list(boxes[0].options) if boxes else []


def test_private_workspace_is_separate_from_the_shared_one(test_scenario):
    at = to_compare(start_app_warm(test_scenario))
    save(at, "Shared plan")
    assert names(at) == ["Shared plan"], f"the shared workspace lists {names(at)}"

    widget(at.button, "New private workspace").click().run()
    assert not at.exception, "making a private workspace must not raise"
    key = at.session_state[NEW_KEY_KEY]
    assert any(key in c.value for c in at.code), "the page shows the private link to keep"
    assert names(at) == [], f"a new private workspace is empty, not {names(at)}"
    save(at, "Private plan")
    assert names(at) == ["Private plan"], f"the private workspace lists {names(at)}"
    assert ScenarioStore().names() == ["Shared plan"], "the shared library never sees the private plan"

    widget(at.button, "Back to the shared workspace").click().run()
    assert names(at) == ["Shared plan"], f"back in the shared workspace: {names(at)}"

    other = start_app(test_scenario)
    other.query_params[QUERY_PARAM] = key
    other = to_compare(other.run())
    assert names(other) == ["Private plan"], f"the link opens the private workspace in a new session: {names(other)}"


def test_app_password_from_secrets_guards_every_page(test_scenario):
    from streamlit.testing.v1 import AppTest

    from tests.pages.conftest import APP, APP_TIMEOUT

    at = AppTest.from_file(str(APP), default_timeout=APP_TIMEOUT)
    at.secrets["app_password"] = "open sesame 42"
    at.run()
    assert not at.exception, f"the gate raised: {at.exception}"
    assert not at.metric and not at.title, "nothing of the app before the password"
    at.text_input(key="app_password_input").set_value("wrong").run()
    assert "Wrong password." in [e.value for e in at.error] and not at.metric, "a wrong password shows nothing"
    at.text_input(key="app_password_input").set_value("open sesame 42").run()
    assert not at.exception and at.metric, "the right password opens the Plan page"
