"""jinja2 rendering of the texts in templates/ (instructions, e-mails, feedback narratives)."""
from __future__ import annotations

from functools import lru_cache

import jinja2

from .paths import templates_dir


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,  # a typo in a template must fail loudly, not send a blank
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(name: str, **context) -> str:
    return environment().get_template(name).render(**context)


def render_lines(name: str, **context) -> list[str]:
    return [line.rstrip() for line in render(name, **context).splitlines()]
