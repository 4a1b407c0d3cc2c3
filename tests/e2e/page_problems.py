"""What a browser test listens for on every page it opens: script errors and refusals by the CSP."""

from playwright.sync_api import Page


def record_page_problems(page: Page) -> list[str]:
    """A list that fills, as the page is used, with each uncaught script error and each Content Security
    Policy violation, prefixed by the page's address."""
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"{page.url}: {message.text}")
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    return problems
