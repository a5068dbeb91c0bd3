"""The Content-Security-Policy every response carries, and that every page satisfies.

Pages load scripts and styles from this server only, never inline: no `<script>` with a body (data
for a page travels in `<script type="application/json">`, which the browser does not run), no
`on…=` handlers, no `style="…"`. So a text a person wrote that slipped through escaping still could
not run: there is no 'unsafe-inline' for scripts or styles.

- `default-src 'self'`; `script-src 'self'`; `style-src 'self'`: the bundled bpmn-js viewer and
  editors come with their CSS as files (`viewer.css` …, from the npm packages' `dist/assets`),
  linked by the pages; what bpmn-js and ECharts style at run time they set through the DOM
  (`element.style`), which a policy does not restrict. Nothing needs 'unsafe-inline'.
- `img-src 'self' data:`: QR codes and photos come from here; the diagram's SVG markers and
  ECharts' exported images are data: URLs.
- `font-src 'self' data:`: the bpmn-js icon font is inlined in its CSS as a data: URL.
- `object-src 'none'`, `base-uri 'self'`, `frame-ancestors 'none'` (no page can be framed:
  clickjacking), `form-action 'self'`.

A response that already set its own policy keeps it: attachments are served with a sandbox.
"""

from __future__ import annotations

from flask import Flask, Response

POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    )
)


def install(app: Flask) -> None:
    @app.after_request
    def _policy(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response
