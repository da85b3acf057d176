"""The Content-Security-Policy in a real browser: every main page works under it (no violation
reported, charts drawn, Swagger UI rendered) and it does stop an injected inline script."""

from __future__ import annotations

from playwright.sync_api import Browser, Page

from tests.browser.conftest import AS_OF, DemoServer
from tests.browser.test_contact import contact_url, converted_contact

# Collects every violation report the page raises, from before its first script runs.
REPORTER = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', e => window.__violations.push(
  e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + e.sourceFile + ':' + e.lineNumber));
"""
PAGES = {
    "/": None,
    f"/journeys?as_of={AS_OF}": None,
    f"/journeys/Lead%20nurturing?as_of={AS_OF}": "#funnel-chart .main-svg",
    "/journeys/Lead%20nurturing/edit": None,
    "/journeys/new": None,
    "/emails": None,
    f"/emails/webinar-invite?as_of={AS_OF}": ".main-svg",
    "/data": None,
    "/api/docs": ".swagger-ui .opblock",
}


def test_main_pages_raise_no_csp_violation(demo_server: DemoServer, page: Page) -> None:
    page.add_init_script(REPORTER)
    contact = contact_url(demo_server, converted_contact(demo_server))
    pages = {demo_server.url + path: drawn for path, drawn in PAGES.items()} | {contact: None}
    for path, drawn in pages.items():
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"], path
        if drawn:
            page.wait_for_selector(drawn)  # Plotly / Swagger UI ran under the policy
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__violations") == [], path


def test_an_injected_inline_script_is_blocked(demo_server: DemoServer, browser: Browser) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.add_init_script(REPORTER)
        page.goto(f"{demo_server.url}/journeys?as_of={AS_OF}")
        ran = page.evaluate(
            """() => {
              window.__ran = false;
              const s = document.createElement('script');
              s.textContent = 'window.__ran = true';
              document.body.appendChild(s);
              return window.__ran;
            }"""
        )
        assert ran is False
        page.wait_for_function("window.__violations.length > 0")
        assert page.evaluate("window.__violations")[0].startswith("script-src")
    finally:
        context.close()
