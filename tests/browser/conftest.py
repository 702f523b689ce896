"""Browser tests: Playwright drives Debian's Chromium (/usr/bin/chromium) headless.

Skipped with a reason when that browser is missing, unless REQUIRE_BROWSER=1, which makes
a missing browser an error (CI sets it).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Playwright

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="session")
def playwright(playwright: Playwright) -> Iterator[Playwright]:
    """Playwright's sync API keeps an event loop in the test thread from here on; Django's
    ORM refuses to run there unless DJANGO_ALLOW_ASYNC_UNSAFE is set. Set only while
    Playwright runs (browser tests run last, see below), so no other test, and no process
    another test starts (manage.py check --deploy refuses it), inherits it."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        yield playwright
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    return {
        "executable_path": "/usr/bin/chromium",
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    }


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Browser tests last: once Playwright has started, the test thread has an event loop.
    items.sort(key=lambda item: "browser" in item.keywords)
    if CHROMIUM.exists():
        return
    if os.environ.get("REQUIRE_BROWSER") == "1":
        raise pytest.UsageError(f"REQUIRE_BROWSER=1 but {CHROMIUM} is missing")
    skip = pytest.mark.skip(
        reason=f"{CHROMIUM} not found: install it with `apt-get install -y chromium`"
    )
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)
