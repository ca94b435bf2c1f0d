"""A Streamlit session without a browser: Streamlit's own websocket protocol, as its frontend speaks it.

The browser opens ``ws://HOST:PORT/_stcore/stream`` with the subprotocol ``streamlit`` and asks
for a run of a page by sending a ``BackMsg`` whose ``rerun_script`` carries the page, the query
string and the widget values; the server answers with ``ForwardMsg``s: ``new_session`` when a run
starts, one ``delta`` per element or block (placed by its ``delta_path``), ``page_info_changed``
when the script rewrites the query string, ``auto_rerun`` for a fragment that reruns by itself,
and ``script_finished`` when the run ends. :class:`Session` keeps the page as the browser would
(elements by path, stale ones dropped when a whole run finishes), finds widgets by key or label,
sends widget values and button presses, and times each run from the request to its end.

The message classes are Streamlit's own (``streamlit.proto``), so the client speaks exactly the
protocol of the installed version. Not covered: file uploads, cached-message references (the
client reports no cached messages, so the server sends every message whole) and reconnection.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.NumberInput_pb2 import NumberInput
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.runtime.state.common import user_key_from_element_id
from websockets.asyncio.client import ClientConnection, connect

STREAM_PATH = "/_stcore/stream"
SUBPROTOCOL = "streamlit"
# How a widget's value travels, by element type (the frontend's widget manager does the same).
_VALUE_FIELDS = {
    "slider": "double_array_value",
    "number_input": "double_value",
    "text_input": "string_value",
    "text_area": "string_value",
    "checkbox": "bool_value",
    "radio": "int_value",
    "selectbox": "int_value",
}
_TRIGGERS = {"button"}
_DONE = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR,
         ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}  # fmt: skip
# Streamlit's prefix for the ids of a components-v2 element's event triggers
_INTERNAL_KEY_PREFIX = "$$STREAMLIT_INTERNAL_KEY"


class ProtocolError(RuntimeError):
    """The server answered something the session cannot follow (a closed socket, a missing widget, no end)."""


@dataclass(frozen=True)
class Widget:
    """A widget found on the page: its id (what the server knows it by), type, label and form."""

    id: str
    kind: str
    label: str
    form_id: str
    element: Element = field(compare=False, repr=False)

    @property
    def key(self) -> str | None:
        return user_key_from_element_id(self.id)


@dataclass
class Run:
    """One run of the script asked for by this session: when it was asked for and when it ended."""

    sent: float
    fragment_id: str = ""
    started: float | None = None
    finished: float | None = None
    status: int | None = None
    messages: int = 0
    bytes: int = 0
    done: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def seconds(self) -> float:
        if self.finished is None:
            raise ProtocolError("the run has not finished")
        return self.finished - self.sent


def _element_text(element: Element) -> str:
    kind = element.WhichOneof("type")
    if kind in {"markdown", "text", "heading"}:
        return getattr(element, kind).body
    if kind == "code":
        return element.code.code_text
    if kind == "alert":
        return element.alert.body
    if kind == "metric":
        return f"{element.metric.label}: {element.metric.body}"
    if kind == "exception":
        return f"{element.exception.type}: {element.exception.message}"
    return ""


class Session:
    """One browser session on a Streamlit server, over its websocket.

    ``async with Session("http://127.0.0.1:8501") as s: await s.open("lessons", "class=ABC234")``
    opens a page; :meth:`set` and :meth:`click` act on widgets found by key or label and return the
    :class:`Run` they caused, finished. ``follow_auto_reruns`` makes the session rerun fragments that
    ask for it (``st.fragment(run_every=...)``), as an open browser tab does.
    """

    def __init__(self, base_url: str, *, follow_auto_reruns: bool = True, timeout: float = 60.0):
        parts = urlsplit(base_url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ValueError(f"base_url: an http(s) address is needed, not {base_url!r}")
        self.base_url = base_url.rstrip("/")
        scheme = "wss" if parts.scheme == "https" else "ws"
        self.stream_url = f"{scheme}://{parts.netloc}{parts.path.rstrip('/')}{STREAM_PATH}"
        self.timeout = timeout
        self.follow_auto_reruns = follow_auto_reruns
        self.page_name = ""
        self.page_hash = ""
        self.query_string = ""
        self.tree: dict[tuple[int, ...], Element | None] = {}  # None: a block (container)
        self.exceptions: list[str] = []
        self.runs: list[Run] = []
        self.page_not_found = False
        self._values: dict[str, WidgetState] = {}
        self._written: set[tuple[int, ...]] = set()
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task | None = None
        self._auto: dict[str, asyncio.Task] = {}
        self._waiting: list[Run] = []
        self._current: Run | None = None
        self._last_start = 0.0
        self.on_finish: list = []  # called with each finished Run, auto reruns included
        self._changed = asyncio.Condition()

    # Connection ---------------------------------------------------------------------------------
    async def __aenter__(self) -> Session:
        await self.connect()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def connect(self) -> None:
        self._ws = await connect(
            self.stream_url, subprotocols=[SUBPROTOCOL], max_size=None, open_timeout=self.timeout,
            compression=None, ping_interval=None,  # a browser answers the server's pings but sends none
        )  # fmt: skip
        self._reader = asyncio.create_task(self._read(), name="streamlit-session-reader")

    async def close(self) -> None:
        for task in self._auto.values():
            task.cancel()
        self._auto.clear()
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader

    # Asking for runs ----------------------------------------------------------------------------
    async def open(self, page: str = "", query: str = "") -> Run:
        """Open ``page`` (its URL path, ``""`` for the default page) with ``query`` (without ``?``)."""
        self.page_name, self.page_hash, self.query_string = page, "", query.lstrip("?")
        self._values.clear()
        return await self.rerun()

    async def rerun(self, *, fragment_id: str = "", auto: bool = False) -> Run:
        """Send the page's widget values and wait for the run they cause to finish."""
        run = self._send_rerun(fragment_id=fragment_id, auto=auto)
        await self.wait(run)
        return run

    def _send_rerun(self, *, fragment_id: str = "", auto: bool = False) -> Run:
        if self._ws is None:
            raise ProtocolError("the session is not connected")
        state = ClientState(
            query_string=self.query_string,
            page_script_hash=self.page_hash,
            page_name="" if self.page_hash else self.page_name,
            fragment_id=fragment_id,
            is_auto_rerun=auto,
        )
        state.context_info.url = f"{self.base_url}/{self.page_name}"
        state.context_info.timezone = "UTC"
        state.context_info.locale = "en-GB"
        state.widget_states.widgets.extend(self._values.values())
        # a trigger is a press: it goes with one run only
        for widget_id in [k for k, v in self._values.items() if v.WhichOneof("value") in {"trigger_value",
                                                                                            "json_trigger_value"}]:
            del self._values[widget_id]
        msg = BackMsg()
        msg.rerun_script.CopyFrom(state)
        run = Run(sent=time.perf_counter(), fragment_id=fragment_id)
        self._waiting.append(run)
        self.runs.append(run)
        asyncio.get_running_loop().create_task(self._ws.send(msg.SerializeToString()))
        return run

    async def wait(self, run: Run) -> Run:
        try:
            await asyncio.wait_for(run.done.wait(), self.timeout)
        except TimeoutError:
            raise ProtocolError(f"no end of the run within {self.timeout:.0f} s") from None
        if run.finished is None:
            raise ProtocolError("the connection closed during the run")
        return run

    async def set(self, values: dict[Widget, Any], press: Widget | None = None) -> Run:
        """Give widgets new values (and press ``press``, a button or a form's submit button) in one run."""
        for widget, value in values.items():
            self._values[widget.id] = _encode(widget, value)
        if press is not None:
            self._values[press.id] = WidgetState(id=press.id, trigger_value=True)
        return await self.rerun()

    async def click(self, button: Widget) -> Run:
        return await self.set({}, press=button)

    async def trigger(self, component: Element, event: str, value: Any = True) -> Run:
        """Send a components-v2 element's event, as its script's ``setTriggerValue(event, value)`` does."""
        base = component.bidi_component.id
        trigger_id = f"{_INTERNAL_KEY_PREFIX}_{base}__events"
        payload = json.dumps([{"event": event, "value": value}])
        self._values[trigger_id] = WidgetState(id=trigger_id, json_trigger_value=payload)
        return await self.rerun()

    async def wait_for(self, predicate, timeout: float | None = None) -> None:
        """Wait until ``predicate(self)`` holds, checked whenever a run of the page ends (the page is then
        whole); a predicate that raises counts as not holding yet."""

        def holds() -> bool:
            try:
                return bool(predicate(self))
            except Exception:
                return False

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(holds), timeout or self.timeout)

    # Finding things on the page -----------------------------------------------------------------
    def elements(self, kind: str | None = None) -> Iterator[tuple[tuple[int, ...], Element]]:
        """The page's elements in page order (main area, then sidebar), of one type if ``kind``."""
        for path in sorted(self.tree):
            element = self.tree[path]
            if element is not None and (kind is None or element.WhichOneof("type") == kind):
                yield path, element

    def widgets(self) -> Iterator[Widget]:
        for _, element in self.elements():
            kind = element.WhichOneof("type")
            proto = getattr(element, kind)
            if hasattr(proto, "id") and hasattr(proto, "label") and proto.id:
                yield Widget(proto.id, kind, proto.label, getattr(proto, "form_id", ""), element)

    def widget(self, key: str | None = None, *, label: str | None = None, form_id: str | None = None) -> Widget:
        """The one widget with this key (or label, within ``form_id`` if given)."""
        found = [
            w for w in self.widgets()
            if (key is None or w.key == key) and (label is None or w.label == label)
            and (form_id is None or w.form_id == form_id)
        ]  # fmt: skip
        if len(found) != 1:
            what = f"key {key!r}" if key else f"label {label!r}"
            raise ProtocolError(f"{len(found)} widgets with {what} on the page {self.page_name!r}")
        return found[0]

    def texts(self) -> list[str]:
        """The text of every text-like element (markdown, text, code, heading, alert, metric), in page order."""
        return [t for _, e in self.elements() if (t := _element_text(e))]

    def metrics(self) -> list[tuple[str, str]]:
        return [(e.metric.label, e.metric.body) for _, e in self.elements("metric")]

    def tables(self) -> list[list[dict[str, Any]]]:
        """The rows of every dataframe on the page, in page order, as the browser receives them (Arrow IPC).

        A dataframe carries its key only when its rows can be selected, so tables are told apart by
        their columns.
        """
        import pyarrow as pa

        found = []
        for _, element in self.elements("dataframe"):
            frame = element.dataframe
            if frame.HasField("lazy_data"):
                lazy = frame.lazy_data
                rows = pa.ipc.open_stream(lazy.initial_chunk.data).read_all().to_pylist()
                if lazy.HasField("row_count") and lazy.row_count > len(rows):
                    raise ProtocolError(f"a table is sent in pages; only the first {len(rows)} rows are here")
            else:
                rows = pa.ipc.open_stream(frame.arrow_data.data).read_all().to_pylist()
            found.append(rows)
        return found

    def component(self, key: str) -> Element:
        for _, element in self.elements("bidi_component"):
            if user_key_from_element_id(element.bidi_component.id) == key:
                return element
        raise ProtocolError(f"no component with key {key!r} on the page")

    # Reading the server's messages --------------------------------------------------------------
    async def _read(self) -> None:
        assert self._ws is not None
        try:
            async for frame in self._ws:
                msg = ForwardMsg()
                msg.ParseFromString(frame)
                if self._current is not None:
                    self._current.messages += 1
                    self._current.bytes += len(frame)
                self._handle(msg)
                if msg.WhichOneof("type") == "script_finished":
                    async with self._changed:
                        self._changed.notify_all()
        finally:
            for run in self._waiting:
                run.done.set()

    def _handle(self, msg: ForwardMsg) -> None:
        kind = msg.WhichOneof("type")
        now = time.perf_counter()
        if kind == "new_session":
            self.page_hash = msg.new_session.page_script_hash
            fragments = list(msg.metadata.run.fragment_ids)
            self._last_start = now
            if self._current is None and self._waiting:
                self._current = self._waiting[0]
                self._current.started = now
            if not fragments:
                self._written = set()
                for task in self._auto.values():  # a whole run sets its fragments' timers again
                    task.cancel()
                self._auto.clear()
        elif kind == "delta":
            path = tuple(msg.metadata.delta_path)
            delta_kind = msg.delta.WhichOneof("type")
            if delta_kind == "new_element":
                self.tree[path] = msg.delta.new_element
                if msg.delta.new_element.WhichOneof("type") == "exception":
                    self.exceptions.append(_element_text(msg.delta.new_element))
            elif delta_kind == "add_block":
                self.tree[path] = None
                for stale in [p for p in self.tree if len(p) > len(path) and p[: len(path)] == path]:
                    if stale not in self._written:
                        del self.tree[stale]
            self._written.add(path)
        elif kind == "navigation":  # with st.navigation the page run is named here, not in new_session
            self.page_hash = msg.navigation.page_script_hash
        elif kind == "page_info_changed":
            self.query_string = msg.page_info_changed.query_string
        elif kind == "page_not_found":
            self.page_not_found = True
        elif kind == "auto_rerun" and self.follow_auto_reruns:
            fragment = msg.auto_rerun.fragment_id
            if fragment not in self._auto:
                self._auto[fragment] = asyncio.get_running_loop().create_task(
                    self._auto_rerun(fragment, msg.auto_rerun.interval)
                )
        elif kind == "session_event" and msg.session_event.WhichOneof("type") == "script_compilation_exception":
            self.exceptions.append(msg.session_event.script_compilation_exception.message)
        elif kind == "script_finished":
            status = msg.script_finished
            if status == ForwardMsg.FINISHED_SUCCESSFULLY:
                # what this run did not draw is gone from the page, as in the browser
                self.tree = {p: e for p, e in self.tree.items() if p in self._written}
                live = {w.id for w in self.widgets()}
                self._values = {k: v for k, v in self._values.items() if k in live}
            if status in _DONE and self._current is not None:
                # this run answers every request sent before it started (a request sent during a run
                # stops it and starts it again with the newer values)
                for run in [r for r in self._waiting if r.sent <= self._last_start]:
                    run.finished, run.status = now, status
                    run.started = run.started or self._last_start
                    self._waiting.remove(run)
                    run.done.set()
                    for callback in self.on_finish:
                        callback(run)
                self._current = None

    async def _auto_rerun(self, fragment_id: str, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            if self._current is None and not self._waiting:
                self._send_rerun(fragment_id=fragment_id, auto=True)


def _encode(widget: Widget, value: Any) -> WidgetState:
    state = WidgetState(id=widget.id)
    if widget.kind in _TRIGGERS:
        state.trigger_value = bool(value)
        return state
    field_name = _VALUE_FIELDS.get(widget.kind)
    if field_name is None:
        raise ProtocolError(f"setting a {widget.kind} is not supported")
    if field_name == "double_array_value":
        values = value if isinstance(value, list | tuple) else [value]
        state.double_array_value.data.extend(float(v) for v in values)
    elif field_name == "double_value" and widget.element.number_input.data_type == NumberInput.INT:
        state.int_value = int(value)
    else:
        setattr(state, field_name, value)
    return state
