"""Headless Chromium for browser tests: Debian's chromium (or the binary CHROMIUM names) driven
by Playwright. `make test` installs Debian's package when it runs as root and it is missing;
without a browser the tests marked `browser` are reported as skipped, saying so.

Inside Playwright's sync API an event loop is running, where Django refuses ORM calls:
set the database up before `chromium_page()` opens, and check it after it closes.
Screenshots go to var/test-artifacts/ for a person to look at.
"""

import os
import shutil
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "var" / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
NO_CHROMIUM = "no Chromium here: apt-get install chromium (make test does it as root), or set CHROMIUM to its binary"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@contextmanager
def chromium_page(*, viewport: dict | None = None, init_script: str = ""):
    """A fresh browser page; fails the test if any script on it threw."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=viewport or DESKTOP)
            page.set_default_timeout(15_000)
            if init_script:
                page.add_init_script(init_script)
            script_errors: list[str] = []
            page.on("pageerror", lambda error: script_errors.append(str(error)))
            yield page
            assert script_errors == [], script_errors
        finally:
            browser.close()


def sign_in(page: Page, base_url: str, username: str, password: str, *, next_path: str = "/") -> None:
    page.goto(f"{base_url}/accounts/login/?next={next_path}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()  # not "Sign in with …"
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    return path
