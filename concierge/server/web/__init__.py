"""The browser surfaces: the chat widget's script, the agent console and the operator pages.

Pages are server-rendered Jinja2 templates that carry no secret and no tenant data: a person types their key into
the page, which keeps it in `sessionStorage` and calls the same API as any client. So the pages are plain
Starlette routes outside the API's scope matrix (like `/docs`); everything they show comes through routes that
check the key. Assets are committed under `static/` (no CDN at run time); Chart.js is vendored with its licence.
"""

from pathlib import Path

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from concierge import __version__

HERE = Path(__file__).parent
STATIC = HERE / "static"
WIDGET = STATIC / "widget.js"

PAGES: dict[str, tuple[str, str]] = {
    # path: (template, title)
    "/widget": ("widget.html", "Chat widget"),
    "/console": ("console.html", "Agent console"),
    "/operator/documents": ("documents.html", "Documents"),
    "/operator/catalog": ("catalog.html", "Catalog import"),
    "/operator/providers": ("providers.html", "Providers, cost and latency"),
    "/operator/analytics": ("analytics.html", "Feedback and handoffs"),
    "/operator/evaluation": ("evaluation.html", "Evaluation report"),
}
OPERATOR_NAV = [(p, t) for p, (_, t) in PAGES.items() if p.startswith("/operator/")]

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
"""Our own pages run only our own scripts and talk only to this server."""


def mount_web(app: FastAPI) -> None:
    """Add the pages, `/widget.js` and `/static` to `app` (no API route: nothing here reads tenant data)."""
    templates = Jinja2Templates(directory=HERE / "templates")

    def page(template: str, title: str):
        async def render(request: Request) -> Response:
            response = templates.TemplateResponse(
                request,
                template,
                {"title": title, "path": request.url.path, "operator_nav": OPERATOR_NAV, "version": __version__},
            )
            response.headers["Content-Security-Policy"] = CSP
            response.headers["X-Content-Type-Options"] = "nosniff"
            response.headers["Referrer-Policy"] = "no-referrer"
            return response

        return render

    for path, (template, title) in PAGES.items():
        app.add_route(path, page(template, title), methods=["GET"], include_in_schema=False)

    async def operator_home(request: Request) -> Response:
        return RedirectResponse("/operator/documents", status_code=307)

    async def widget_js(request: Request) -> Response:
        """The script a business embeds; cached briefly so a new version reaches its customers within minutes."""
        return FileResponse(
            WIDGET,
            media_type="text/javascript; charset=utf-8",
            headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
        )

    app.add_route("/operator", operator_home, methods=["GET"], include_in_schema=False)
    app.add_route("/widget.js", widget_js, methods=["GET"], include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
