"""Today and Coverage in a real browser (headless Chromium, driven over the DevTools protocol):
no console errors (a blocked script, a failed load, a CSP violation), the expected headings."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.support.browser import chromium_or_skip, headless_command
from tests.web.conftest import Running


class DevTools:
    """One page target over the DevTools protocol: commands, and every event kept."""

    def __init__(self, ws_url: str) -> None:
        from websockets.sync.client import connect

        self.ws = connect(ws_url, max_size=None, open_timeout=30)
        self.events: list[dict[str, Any]] = []
        self.next_id = 0

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv(timeout=60))
            if message.get("id") == self.next_id:
                assert "error" not in message, message
                return dict(message.get("result", {}))
            self.events.append(message)

    def wait_for(self, method: str) -> dict[str, Any]:
        while True:
            message = json.loads(self.ws.recv(timeout=60))
            self.events.append(message)
            if message.get("method") == method:
                return message

    def errors(self) -> list[str]:
        found = []
        for e in self.events:
            method, params = e.get("method"), e.get("params", {})
            if method == "Runtime.exceptionThrown":
                found.append(json.dumps(params.get("exceptionDetails", {}))[:300])
            elif method == "Runtime.consoleAPICalled" and params.get("type") in (
                "error",
                "warning",
                "assert",
            ):
                found.append(json.dumps(params.get("args", []))[:300])
            elif method == "Log.entryAdded" and params["entry"].get("level") in ("error", "warning"):
                found.append(f"{params['entry'].get('source')}: {params['entry'].get('text')}")
        return found

    def close(self) -> None:
        self.ws.close()


@contextmanager
def chromium(browser: str, tmp_path: Path) -> Iterator[DevTools]:
    proc = subprocess.Popen(
        headless_command(
            browser,
            tmp_path,
            "--remote-debugging-port=0",
            "--remote-debugging-address=127.0.0.1",
            "--window-size=1200,1600",
            "about:blank",
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    try:
        assert proc.stderr is not None
        endpoint = ""
        for raw in proc.stderr:  # "DevTools listening on ws://127.0.0.1:PORT/devtools/browser/..."
            line = raw.decode(errors="replace")
            if "DevTools listening on" in line:
                endpoint = line.split("listening on", 1)[1].strip()
                break
        assert endpoint, "chromium did not start its DevTools endpoint"
        port = endpoint.split(":")[2].split("/")[0]
        targets = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=30).json()
        page = next(t for t in targets if t.get("type") == "page")
        tools = DevTools(page["webSocketDebuggerUrl"])
        try:
            yield tools
        finally:
            tools.close()
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def visit(tools: DevTools, url: str) -> dict[str, Any]:
    """Load `url`; its status, headings and the SVGs it drew, as the browser sees them."""
    tools.events.clear()
    tools.call("Page.navigate", url=url)
    tools.wait_for("Page.loadEventFired")
    script = (
        "JSON.stringify({h1: [...document.querySelectorAll('h1')].map(e => e.textContent.trim()),"
        " h2: [...document.querySelectorAll('h2')].map(e => e.textContent.trim()),"
        " svgs: [...document.querySelectorAll('svg')].map(s => s.getBoundingClientRect().width),"
        " rects: document.querySelectorAll('svg rect').length,"
        " scripts: document.scripts.length})"
    )
    result = tools.call("Runtime.evaluate", expression=script, returnByValue=True)
    return dict(json.loads(result["result"]["value"]))


def test_today_and_coverage_render_in_chromium_without_console_errors(web: Running, tmp_path: Path) -> None:
    browser = chromium_or_skip()
    with chromium(browser, tmp_path) as tools:
        for domain in ("Page", "Runtime", "Log"):
            tools.call(f"{domain}.enable")
        today = visit(tools, web.url)
        assert tools.errors() == []
        assert today["h1"][0].startswith("Today, ")
        assert {"Kazakhstan (2)", "Tajikistan (1)"} <= set(today["h2"]), today["h2"]
        assert any(h.startswith("Region-wide and multi-country") for h in today["h2"])
        assert today["scripts"] == 0  # the hostile title stayed text

        coverage = visit(tools, web.url + "coverage?since=2026-11-01&until=2026-11-30")
        assert tools.errors() == []
        assert coverage["h1"] == ["Coverage"]
        assert "Articles per day by country" in coverage["h2"] and "Top outlets (articles)" in coverage["h2"]
        assert len(coverage["svgs"]) == 5 and all(w > 300 for w in coverage["svgs"])
        assert coverage["rects"] > 10
