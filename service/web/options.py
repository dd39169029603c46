"""The <option>s of a filter's select. A region's route list offers a thousand schools: rendered
one by one in the template they were a third of the page's time, so the markup of a list is made
once per process and only the chosen option is marked on each request."""

from __future__ import annotations

from functools import lru_cache

from flask import Flask
from markupsafe import Markup, escape


@lru_cache(maxsize=256)
def _markup(pairs: tuple[tuple[int, str], ...]) -> str:
    return "".join(f'<option value="{int(value)}">{escape(label)}</option>' for value, label in pairs)


def select_options(pairs, chosen: int | None = None) -> Markup:
    """<option value="id">label</option> for each (id, label), the one whose id is `chosen` selected."""
    html = _markup(tuple((int(value), str(label)) for value, label in pairs))
    if chosen:
        html = html.replace(f'<option value="{int(chosen)}">', f'<option value="{int(chosen)}" selected>', 1)
    return Markup(html)


def init_app(app: Flask) -> None:
    app.add_template_global(select_options, "select_options")
