"""Let the single-page HTML builder (``make pdf``) render every node the HTML builder can.

Sphinx looks up the visitors of custom nodes by builder name and falls back to the builder's
format ("html") only when *no* extension registered visitors under the builder's own name.
sphinx-exercise registers its nodes for "singlehtml", so that fallback is lost and every other
extension's nodes (myst-nb, sphinx-proof, sphinx-jupyterbook-latex, ...) make the build fail with
"unknown node type". This copies the missing "html" visitors to "singlehtml" once every extension
is set up.
"""

from __future__ import annotations

from sphinx.application import Sphinx


def _share_html_handlers(app: Sphinx) -> None:
    handlers = app.registry.translation_handlers
    single = handlers.setdefault("singlehtml", {})
    for name, visitors in handlers.get("html", {}).items():
        single.setdefault(name, visitors)


def setup(app: Sphinx) -> dict[str, object]:
    app.connect("builder-inited", _share_html_handlers)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
