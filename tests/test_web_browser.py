"""The web view in a real headless Chromium: a collector process with ``--sink web``, probe
programs sending to it, and the page read the way a person sees it."""

from __future__ import annotations

import os
import shutil
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.helpers import chromium, probe_environment, program, run_program, wait_for, web_url

XSS_NAME = "<img src=x onerror=alert(1)>"
POOL_GROUP = "chunk \u00d74"  # the group of the four workers' streams named "chunk"
PHONE = {"width": 375, "height": 812, "deviceScaleFactor": 2, "mobile": True}
# Every shown row in page order: its classes and cells, and how full its bar is.
ROWS = """
return [...document.querySelectorAll('#rows > .row')].filter(r => !r.hidden).map(r => ({
  classes: r.className.split(' '),
  text: r.textContent,
  cells: Object.fromEntries([...r.children].map(c => [c.className.slice(2), c.textContent])),
  fill: r.querySelector('.c-bar > i') && parseFloat(r.querySelector('.c-bar > i').style.width),
}));
"""


@pytest.fixture(scope="module")
def browser() -> Iterator:
    driver = chromium()
    yield driver
    driver.quit()


@pytest.fixture
def page(browser) -> Iterator:
    """The browser at desktop width, with nothing emulated."""
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    browser.set_window_size(1280, 900)
    yield browser
    browser.get("about:blank")


def start_web(start_collector, option: str = "web?port=0") -> tuple:
    collector = start_collector("--sink", option)
    url = wait_for(lambda: web_url(collector.stderr), timeout=20)
    assert url, collector.stderr
    return collector, url


def rows(driver) -> list[dict]:
    return driver.execute_script(ROWS)


def stream_rows(driver, name: str) -> list[dict]:
    return [row for row in rows(driver) if row["cells"].get("name") == name]


def charts(driver) -> list[str]:
    """The chart titles of the stream rows on screen ('' while not drawn; groups have none)."""
    return driver.execute_script(
        "return [...document.querySelectorAll('#rows > .row:not([hidden]):not(.group) canvas')]"
        ".map(c => c.title)"
    )


def screenshot(driver, tmp_path: Path, name: str) -> None:
    """Once the page is live and its charts drawn: into the test's directory, and into
    ``HOTPROBE_SCREENSHOTS`` when that is set (as for the pictures in docs/img/)."""
    assert wait_for(lambda: driver.find_element(By.ID, "status").text == "live")
    wait_for(lambda: all(charts(driver)), timeout=5)
    path = tmp_path / f"{name}.png"
    assert driver.save_screenshot(str(path))
    wanted = os.environ.get("HOTPROBE_SCREENSHOTS")
    if wanted:
        shutil.copy(path, Path(wanted) / path.name)


def test_a_live_run_shows_rows_whose_bars_move_without_a_reload(start_collector, page, tmp_path):
    collector, url = start_web(start_collector)
    page.get(url)
    page.execute_script("window.notReloaded = true")
    worker = subprocess.Popen(
        program("web_workloads", "slow", "60", "0.1"), env=probe_environment(collector.endpoint)
    )
    try:
        first = wait_for(lambda: [r for r in stream_rows(page, "train") if 0 < r["fill"] < 60])
        assert first, rows(page)
        assert "running" in first[0]["classes"]
        assert first[0]["cells"]["note"] == "loss=0.5"
        moved = wait_for(
            lambda: [r for r in stream_rows(page, "train") if r["fill"] > first[0]["fill"] + 10]
        )
        assert moved, (first, rows(page))
        screenshot(page, tmp_path, "web-desktop-live")
        assert worker.wait(timeout=60) == 0
    finally:
        worker.kill()
    done = wait_for(lambda: [r for r in stream_rows(page, "train") if "done" in r["classes"]])
    assert done and done[0]["cells"]["count"] == "60/60" and done[0]["fill"] == 100
    assert page.execute_script("return window.notReloaded") is True
    drawn = wait_for(lambda: [t for t in charts(page) if t.startswith("progress (line)")])
    assert drawn and "peak 1" in drawn[0], charts(page)  # its rate was about 10/s
    points = int(drawn[0].split(": ", 1)[1].split()[0])
    assert 3 <= points <= 120, drawn  # a point per second of a 6 s loop, and its start and end
    run_head = rows(page)[0]
    assert "run-head" in run_head["classes"] and "1 stream" in run_head["text"]


def test_a_failed_stream_comes_first_in_its_run_with_its_error(start_collector, page):
    collector, url = start_web(start_collector)
    assert run_program("web_workloads", "fail", endpoint=collector.endpoint).returncode == 0
    page.get(url)
    shown = wait_for(lambda: rows(page) if len(rows(page)) == 3 else None)
    assert shown, rows(page)
    head, failed, ended = shown
    assert "run-head" in head["classes"]
    assert failed["cells"]["name"] == "fit" and "failed" in failed["classes"]
    assert failed["cells"]["note"] == "ValueError: diverged at step 3"
    assert failed["cells"]["count"] == "3/10" and failed["cells"]["state"] == "failed"
    assert ended["cells"]["name"] == "load" and ended["cells"]["state"] == "done"


def test_a_pool_of_four_workers_is_one_group_row_that_expands(start_collector, page, tmp_path):
    collector, url = start_web(start_collector)
    page.get(url)
    assert run_program("web_workloads", "pool", endpoint=collector.endpoint).returncode == 0
    group = wait_for(lambda: [r for r in rows(page) if r["cells"].get("where") == "4 done"])
    assert group, rows(page)
    cells = group[0]["cells"]
    assert "group" in group[0]["classes"]
    assert cells["name"] == POOL_GROUP and cells["count"] == "100/100"
    assert cells["note"] == "4 processes" and cells["state"] == "done"
    assert cells["rate"].endswith("/s")
    assert len(rows(page)) == 2  # the run and its group: members are folded in
    page.find_element(By.CSS_SELECTOR, ".row.group").click()
    members = wait_for(lambda: [r for r in rows(page) if "member" in r["classes"]])
    assert len(members) == 4, rows(page)
    assert {m["cells"]["count"] for m in members} == {"25/25"}
    assert len({m["cells"]["where"] for m in members}) == 4  # four processes
    screenshot(page, tmp_path, "web-desktop-group")
    page.find_element(By.CSS_SELECTOR, ".row.group").send_keys(Keys.ENTER)
    assert wait_for(lambda: len(rows(page)) == 2), rows(page)


def test_the_filter_matches_name_host_and_state(start_collector, page):
    collector, url = start_web(start_collector)
    assert run_program("web_workloads", "fail", endpoint=collector.endpoint).returncode == 0
    assert (
        run_program("web_workloads", "named", "alpha", endpoint=collector.endpoint).returncode == 0
    )
    page.get(url)
    assert wait_for(lambda: len(rows(page)) == 5), rows(page)  # two runs, three streams
    box = page.find_element(By.ID, "filter")

    def shown() -> list[str]:
        return [r["cells"].get("name") for r in rows(page) if "run-head" not in r["classes"]]

    def filtered(text: str, expected: list[str]) -> bool:
        box.clear()
        box.send_keys(text)
        return bool(wait_for(lambda: sorted(shown()) == sorted(expected), timeout=5))

    assert filtered("failed", ["fit"]), shown()
    assert filtered("alp", ["alpha"]), shown()
    alpha_where = stream_rows(page, "alpha")[0]["cells"]["where"]
    assert filtered(alpha_where, ["alpha"]), shown()  # host:pid
    assert filtered("done", ["load", "alpha"]), shown()
    assert filtered("FIT failed", ["fit"]), shown()  # every word matches, in any case
    assert filtered("nothing-like-this", []) and rows(page) == []
    box.clear()
    box.send_keys(" ")
    assert wait_for(lambda: len(rows(page)) == 5)


def test_a_probe_named_like_markup_shows_its_characters_and_runs_nothing(start_collector, page):
    collector, url = start_web(start_collector)
    assert (
        run_program("web_workloads", "named", XSS_NAME, endpoint=collector.endpoint).returncode == 0
    )
    page.get(url)
    shown = wait_for(lambda: stream_rows(page, XSS_NAME))
    assert shown, rows(page)
    assert (
        page.execute_script("return document.querySelectorAll('img, script:not([src])').length")
        == 0
    )
    with pytest.raises(NoAlertPresentException):
        page.switch_to.alert.text  # noqa: B018 - reading it is the check
    assert page.find_element(By.CSS_SELECTOR, ".c-name").text == XSS_NAME


def test_a_wide_bind_answers_401_without_the_token(start_collector, page, tmp_path):
    collector, url = start_web(start_collector, "web?host=0.0.0.0&port=0")
    port = int(url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])
    token = url.split("?token=", 1)[1]
    assert len(token) >= 16
    loopback = f"http://127.0.0.1:{port}"
    for path in (
        "/",
        "/api/state",
        "/api/updates",
        "/static/app.js",
        "/?token=" + token[:-1] + "x",
    ):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(loopback + path, timeout=10)
        assert refused.value.code == 401, path
    assert "refused without the token" in collector.stderr
    page.get(loopback + "/")
    assert page.find_element(By.TAG_NAME, "body").text.startswith("401")
    assert (
        run_program("web_workloads", "named", "beta", endpoint=collector.endpoint).returncode == 0
    )
    page.get(f"{loopback}/?token={token}")
    assert wait_for(lambda: stream_rows(page, "beta")), rows(page)
    assert "token" not in page.current_url  # the address bar no longer shows it
    with urllib.request.urlopen(f"{loopback}/api/state?token={token}", timeout=10) as answer:
        assert answer.status == 200
        assert "script-src 'self'" in answer.headers["Content-Security-Policy"]
    assert collector.stop() == 0
    assert "7 requests refused without the token" in collector.stderr


def test_the_page_reads_at_phone_width(start_collector, page, tmp_path):
    collector, url = start_web(start_collector)
    assert run_program("web_workloads", "fail", endpoint=collector.endpoint).returncode == 0
    assert run_program("web_workloads", "pool", endpoint=collector.endpoint).returncode == 0
    page.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    page.get(url)
    assert wait_for(lambda: len(rows(page)) == 5), rows(page)
    assert page.execute_script("return document.documentElement.scrollWidth") <= PHONE["width"]
    boxes = page.execute_script(
        """return [...document.querySelectorAll('#rows > .row:not([hidden]) .c-name,'
             + '#rows > .row.failed .c-note, #rows > .row:not(.run-head) .c-state')]
           .map(c => [c.textContent, c.getBoundingClientRect().left,
                      c.getBoundingClientRect().right, c.scrollWidth <= c.clientWidth])"""
    )
    texts = [text for text, *_ in boxes]
    assert "fit" in texts and POOL_GROUP in texts and "ValueError: diverged at step 3" in texts
    for text, left, right, whole in boxes:
        assert 0 <= left < right <= PHONE["width"] and whole, (text, left, right)
    screenshot(page, tmp_path, "web-phone")
