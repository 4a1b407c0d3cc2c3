import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # Debian's Chromium, with the flags this closed network needs; Playwright cannot download its own.
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DEMO_PASSWORD = "demo-browser-pass"


@pytest.fixture
def demo_data(transactional_db, settings, tmp_path):
    """The demo team, organisations, consultations and responses (`manage.py seed_demo`)."""
    from config.demo import seed_demo

    settings.DEMO_PASSWORD = DEMO_PASSWORD
    settings.MEDIA_ROOT = tmp_path / "media"
    seed_demo()


@pytest.fixture
def screenshot():
    """Save a PNG of the page as docs/screenshots/<name>.png, for the README.

    Call it after the assertions about the page, so that only a page found as expected is pictured.
    The viewport is pictured, not the whole page: the files stay small and the README readable.
    """

    def save(page, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), animations="disabled", caret="hide")
        return path

    return save
