"""The viewer in a real browser: Debian's Chromium, driven by Selenium, against the server `make app` starts.

The server runs the `app` recipe of the Makefile (read from it, so the two cannot drift apart) on a free
port, on the test warehouse's serving copy. Every page is opened by its address, the app is waited for
until its script run has finished, and the page must show the synthetic-sample banner, no Streamlit
error box, its figures (a table or metrics) and, where it has them, a drawn chart. A screenshot of every
view is kept in tests/artifacts/browser/. No browser can be downloaded here: the test uses
/usr/bin/chromium and /usr/bin/chromedriver (Debian's `chromium` and `chromium-driver`, which `.ci/run`
installs); under CI (the CI variable set) their absence fails the test, elsewhere it skips.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import duckdb
import pytest
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from dagster_project.lib.paths import PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
MISSING = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
MISSING_MESSAGE = (
    f"the browser test needs Debian's chromium and chromium-driver, missing: {', '.join(MISSING)} "
    "(install them with `apt-get install chromium chromium-driver`, as .ci/run does)"
)
UNDER_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")

pytestmark = [
    pytest.mark.slow,
    # Outside CI a machine without the browser skips; under CI the `browser` fixture fails instead.
    pytest.mark.skipif(bool(MISSING) and not UNDER_CI, reason=MISSING_MESSAGE),
]

ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts" / "browser"
WINDOW = (1366, 900)
TIMEOUT = 90
# After the run has finished, how long the browser may take to draw a table or a chart.
DRAW_TIMEOUT = 20

# Every page of st.navigation: its address, the title its navigation link shows, and whether it draws a chart.
# The default page (Overzicht) lives at the root; its own name (/overzicht) opens it too (app.py).
PAGES = {
    "overzicht": ("", "Overzicht", True),
    "vragen": ("vragen", "Vragen", True),
    "trends": ("trends", "Trends", True),
    "kindcentra": ("kindcentra", "Kindcentra", True),
    "samenwerkingsmodellen": ("samenwerkingsmodellen", "Samenwerkingsmodellen", True),
    "methode": ("methode", "Methode en kwaliteit", False),
}

STATUS = '[data-testid="stApp"]'
MAIN = '[data-testid="stMainBlockContainer"]'
# A Python exception (st.exception or an uncaught error) and st.error both render as an error alert; an
# address naming no page gets Streamlit's "Page not found" dialog.
ERROR_BOX = '[data-testid="stException"], [data-testid="stAlertContentError"], [data-testid="stDialog"]'
BANNER = '[data-testid="stAlertContentWarning"]'
CHART = '[data-testid="stVegaLiteChart"]'
# Vega draws every data item as a child of a mark group ("role-mark"); axes and legends are other roles.
CHART_MARKS = "svg g.role-mark > *"
# The data grid paints on a canvas and keeps an accessible table of the rows on screen beside it.
TABLE_CELLS = '[data-testid="stDataFrame"] [role="gridcell"]'
METRIC_VALUES = '[data-testid="stMetricValue"]'
QUESTION_BOX = 'input[role="combobox"][aria-label="Vraag"]'
# The share column of the Vragen page's table.
SHARE_HEADER = "Aandeel (%)"


def _bin_dir() -> Path:
    """Where `make app` finds streamlit: the project's .venv, else the environment running the tests."""
    venv = PROJECT_ROOT / ".venv" / "bin"
    return venv if (venv / "streamlit").exists() else Path(sys.executable).parent


def app_command(port: int) -> list[str]:
    """The command of the Makefile's `app` recipe, for this port and this environment's streamlit."""
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    recipe = re.search(r"^app:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert recipe, "the Makefile has no `app` target"
    command = recipe.group(1).replace("\\\n", " ")
    command = command.replace("$(BIN)", str(_bin_dir())).replace("$${STREAMLIT_SERVER_PORT:-8501}", str(port))
    assert "$" not in command, f"the `app` recipe changed in a way this test does not follow: {command}"
    return shlex.split(command)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_healthy(base: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the viewer stopped with code {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as answer:
                if answer.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail(f"the viewer did not answer on {base}/_stcore/health within {TIMEOUT} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def artifacts() -> Path:
    """The folder the screenshots (and the server's log) go to; emptied of old screenshots first."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    print(f"\nbrowser test artefacts: {ARTIFACTS}")
    return ARTIFACTS


@contextmanager
def serve(serving_copy: Path, log: Path) -> Iterator[str]:
    """The viewer served as `make app` serves it, on a free port, reading `serving_copy`; yields its address."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "SERVING_PATH": str(serving_copy), "STREAMLIT_SERVER_PORT": str(port)}
    with log.open("w") as output:
        # A session of its own, so the whole process group can be stopped at the end.
        process = subprocess.Popen(
            app_command(port),
            cwd=PROJECT_ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until_healthy(base, process, log)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=20)


@pytest.fixture(scope="module")
def viewer(serving_copy, artifacts):
    """One viewer for the tests that do not need a fresh server."""
    with serve(serving_copy, artifacts / "server.log") as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium at a laptop's size, with a fresh profile, through Debian's chromedriver."""
    if MISSING:
        pytest.fail(f"under CI {MISSING_MESSAGE}")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    with tempfile.TemporaryDirectory(prefix="viewer-chromium-") as profile:
        for argument in (
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            f"--window-size={WINDOW[0]},{WINDOW[1]}",
        ):
            options.add_argument(argument)
        driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
        driver.set_page_load_timeout(TIMEOUT)
        try:
            yield driver
        finally:
            driver.quit()


@pytest.fixture(scope="module")
def serving(serving_copy):
    """A read-only connection to the serving copy the viewer reads: the figures to expect."""
    connection = duckdb.connect(str(serving_copy), read_only=True)
    yield connection
    connection.close()


def wait_for_app(driver: WebDriver) -> None:
    """Wait until the script run has finished and its output is on the page (not stale, not loading)."""

    def settled(driver: WebDriver) -> bool:
        app = driver.find_elements(By.CSS_SELECTOR, STATUS)
        if not app:
            return False
        if app[0].get_attribute("data-test-connection-state") != "CONNECTED":
            return False
        if app[0].get_attribute("data-test-script-state") != "notRunning":
            return False
        busy = '[data-testid="stStatusWidgetRunningIcon"], [data-stale="true"], [data-testid="stSkeleton"]'
        if driver.find_elements(By.CSS_SELECTOR, busy):
            return False
        return bool(driver.find_elements(By.CSS_SELECTOR, f'{MAIN} [data-testid="stElementContainer"]'))

    wait = WebDriverWait(driver, TIMEOUT, poll_frequency=0.25)
    # Twice in a row: a rerun the first run triggers (a choice written back to the address) starts after it.
    for _ in range(2):
        wait.until(settled, message="the viewer did not finish its script run")
        time.sleep(0.5)


def open_view(driver: WebDriver, base: str, address: str) -> None:
    driver.get(f"{base}/{address}")
    wait_for_app(driver)


def screenshot(driver: WebDriver, folder: Path, name: str) -> None:
    path = folder / f"{name}.png"
    assert driver.save_screenshot(str(path)), f"no screenshot written to {path}"
    print(f"screenshot: {path}")


def query(driver: WebDriver) -> dict[str, str]:
    """The address's query parameters as the app wrote them back."""
    return {name: values[0] for name, values in parse_qs(urlsplit(driver.current_url).query).items()}


def main_text(driver: WebDriver) -> str:
    return driver.find_element(By.CSS_SELECTOR, MAIN).text


def assert_no_error_box(driver: WebDriver, view: str) -> None:
    boxes = driver.find_elements(By.CSS_SELECTOR, ERROR_BOX)
    assert not boxes, f"{view} shows an error: " + " | ".join(box.text[:500] for box in boxes)


def assert_banner(driver: WebDriver, serving: duckdb.DuckDBPyConnection, view: str) -> None:
    """The synthetic-sample banner shows exactly when the newest publication is the embedded sample."""
    (synthetic,) = serving.execute(
        "select is_synthetic_sample from marts.publication order by publication_id desc limit 1"
    ).fetchone()
    banners = [box for box in driver.find_elements(By.CSS_SELECTOR, BANNER) if "synthetische" in box.text]
    if synthetic:
        assert banners, f"{view}: no synthetic-sample banner"
        assert banners[0].is_displayed(), f"{view}: the banner is not visible"
        assert banners[0].rect["y"] < WINDOW[1], f"{view}: the banner is below the first screen"
    else:
        assert not banners, f"{view}: a synthetic-sample banner on real data"


def assert_chart_drawn(driver: WebDriver, view: str) -> None:
    """At least one Altair chart is on the page and Vega has drawn data marks into it."""
    charts = driver.find_elements(By.CSS_SELECTOR, CHART)
    assert charts, f"{view}: no chart"
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", charts[0])
    try:
        WebDriverWait(driver, DRAW_TIMEOUT, poll_frequency=0.25).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, f"{CHART} {CHART_MARKS}")
        )
    except TimeoutException:
        pytest.fail(f"{view}: {len(charts)} chart(s), none with drawn marks")
    driver.execute_script("arguments[0].scrollIntoView({block: 'start'});", driver.find_element(By.CSS_SELECTOR, MAIN))


def figure_texts(driver: WebDriver) -> list[str]:
    """The non-empty texts of the table cells on screen and of the metrics."""
    cells = driver.find_elements(By.CSS_SELECTOR, f"{TABLE_CELLS}, {METRIC_VALUES}")
    return [text for cell in cells if (text := (cell.get_attribute("textContent") or "").strip())]


def assert_figures(driver: WebDriver, view: str) -> list[str]:
    try:
        return WebDriverWait(driver, DRAW_TIMEOUT, poll_frequency=0.25).until(figure_texts)
    except TimeoutException:
        pytest.fail(f"{view}: no table with values and no metric")


def assert_on_page(driver: WebDriver, title: str, view: str) -> None:
    """The navigation lists the app's six pages (not the files of a pages/ folder) and marks `title` as current."""
    links = driver.find_elements(By.CSS_SELECTOR, '[data-testid="stSidebarNavLink"]')
    # A link's text starts with its icon's ligature name ("dashboard"); the title is its last line.
    titles = [link.text.splitlines()[-1] for link in links]
    assert titles == [title for _, title, _ in PAGES.values()], f"{view}: the navigation lists {titles}"
    current = [link.text.splitlines()[-1] for link in links if link.get_attribute("aria-current") == "page"]
    assert current == [title], f"{view} opened {current}, not {title}"


def assert_page_renders(driver: WebDriver, serving, view: str, has_chart: bool) -> None:
    assert_no_error_box(driver, view)
    assert_banner(driver, serving, view)
    assert_figures(driver, view)
    if has_chart:
        assert_chart_drawn(driver, view)


@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_renders(browser, viewer, serving, artifacts, page):
    """Opened by its address, each page finishes, shows its own title, figures, charts and no error."""
    address, title, has_chart = PAGES[page]
    open_view(browser, viewer, address)
    assert_on_page(browser, title, f"/{address}")
    assert_page_renders(browser, serving, f"/{address}", has_chart)
    screenshot(browser, artifacts, page)


def test_the_start_pages_own_name_opens_it_not_streamlits_page_not_found(browser, viewer, serving, artifacts):
    """A shared `/overzicht` address (the page's name) opens Overzicht, with its figures and no dialog."""
    open_view(browser, viewer, "overzicht")
    assert_on_page(browser, "Overzicht", "/overzicht")
    assert_page_renders(browser, serving, "/overzicht", has_chart=True)
    assert "Page not found" not in browser.find_element(By.CSS_SELECTOR, STATUS).text
    screenshot(browser, artifacts, "overzicht_by_name")


def question_ids_shown(serving, shown: str) -> set[str]:
    """The questions of the catalogue whose text or short label the question box shows."""
    rows = serving.execute("select distinct question_id, question_text, question_label from marts.question_catalog")
    return {qid for qid, text, label in rows.fetchall() if (text and text in shown) or (label and label in shown)}


def test_picking_a_question(browser, viewer, serving, artifacts):
    """Typing part of another question's label into the question box and pressing Enter shows that question."""
    open_view(browser, viewer, "vragen")
    box = browser.find_element(By.CSS_SELECTOR, QUESTION_BOX)
    before = box.get_attribute("value")
    before_id = query(browser).get("vraag")
    assert before, "the question box shows no question"
    assert before_id in question_ids_shown(serving, before), f"the address names {before_id}, the box {before!r}"

    box.click()
    options: list[WebElement] = WebDriverWait(browser, TIMEOUT).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, '[role="option"]')
    )
    labels = [option.text.strip() for option in options]
    target = next((label for label in labels if label and label != before), None)
    assert target, f"the question box offers no other question than {before!r}: {labels}"
    fragment = target[: max(12, len(target) * 2 // 3)]
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(fragment)
    box.send_keys(Keys.ENTER)
    WebDriverWait(browser, TIMEOUT).until(
        lambda d: query(d).get("vraag") not in (None, before_id), message="the address did not follow the choice"
    )
    wait_for_app(browser)

    after = browser.find_element(By.CSS_SELECTOR, QUESTION_BOX).get_attribute("value")
    after_id = query(browser)["vraag"]
    assert after != before
    assert fragment.lower() in after.lower(), f"typed {fragment!r}, the box shows {after!r}"
    assert after_id in question_ids_shown(serving, after), f"the address names {after_id}, the box {after!r}"
    (text,) = serving.execute(
        "select any_value(question_text) from marts.question_catalog where question_id = $id", {"id": after_id}
    ).fetchone()
    assert text in main_text(browser), f"the page does not show the chosen question's text {text!r}"
    assert_page_renders(browser, serving, "/vragen after a choice", has_chart=True)
    screenshot(browser, artifacts, "vragen_gekozen")


def test_shared_address_on_a_fresh_server(browser, serving_copy, serving, artifacts):
    """A shared address, the first thing a new server is asked for, reopens that view with its published shares.

    A fresh server: Streamlit decides on its first request whether a `pages/` folder beside app.py makes
    the app a set of separate scripts (the viewer keeps its pages in `views/` to avoid that), and a server
    in that mode shows a deep link without app.py; a shared address must work before anyone opened `/`.
    """
    with serve(serving_copy, artifacts / "server_fresh.log") as base:
        open_view(browser, base, "vragen?vraag=duur&groep=basisscholen&meting=2019")
        view = "/vragen?vraag=duur&groep=basisscholen&meting=2019"
        assert_on_page(browser, PAGES["vragen"][1], view)
        assert_page_renders(browser, serving, view, has_chart=True)
        address = query(browser)
        assert (address.get("vraag"), address.get("groep"), address.get("meting")) == ("duur", "basisscholen", "2019")

        (label,) = serving.execute(
            "select any_value(question_label) from marts.question_catalog where question_id = 'duur'"
        ).fetchone()
        assert label in browser.find_element(By.CSS_SELECTOR, QUESTION_BOX).get_attribute("value")
        rows = serving.execute(
            """
            select question_text, group_label, answer_label, share_pct
            from marts.report_shares
            where question_id = 'duur' and respondent_group = 'basisscholen' and wave = 2019
              and share_pct is not null and base_n >= 10
            order by answer_sort_order
            """
        ).fetchall()
        assert rows, "the serving copy has no published shares for duur, basisscholen, 2019"
        text = rows[0][0]
        assert text in main_text(browser), f"the page does not show the question {text!r}"
        shown = [row for table in grid_tables(browser) for row in table if SHARE_HEADER in row]
        assert shown, f"no table with a column {SHARE_HEADER!r}"
        for _, group_label, answer_label, share_pct in rows:
            # A combined answer carries a suffix after its label ("Meer dan 5 jaar (samengevoegd)").
            cells = [
                row[SHARE_HEADER]
                for row in shown
                if row.get("Groep") == group_label
                and row.get("Meting") == "2019"
                and row.get("Antwoord", "").startswith(answer_label)
            ]
            # The table shows Dutch numbers: a decimal comma.
            assert [table_share(float(cell.replace(",", "."))) for cell in cells] == [table_share(share_pct)], (
                f"{answer_label}: published {table_share(share_pct)}, the table shows {cells}"
            )
        screenshot(browser, artifacts, "vragen_adres")


def grid_tables(driver: WebDriver) -> list[list[dict[str, str]]]:
    """Every data grid on the page as rows of {header: cell}, read from the grid's accessible table.

    The grid paints its cells on a canvas; the accessible copy beside it holds each row on screen, with
    the cell's value (a number unformatted) rather than the text painted.
    """
    return driver.execute_script(
        """
        return [...document.querySelectorAll('[data-testid="stDataFrame"]')].map((frame) => {
            const headers = [...frame.querySelectorAll('th[role="columnheader"]')].map((th) => th.textContent.trim());
            return [...frame.querySelectorAll('tbody tr[role="row"]')].map((tr) => Object.fromEntries(
                [...tr.querySelectorAll('td[role="gridcell"]')].map(
                    (td) => [headers[Number(td.getAttribute('aria-colindex')) - 1], td.textContent.trim()]
                )
            ));
        });
        """
    )


def table_share(share_pct: float) -> str:
    """A share as the Vragen table formats its share column: a percentage with one decimal (`%.1f`)."""
    return f"{share_pct:.1f}"
