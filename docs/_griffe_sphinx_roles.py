"""A griffe extension for the documentation site.

- semgym's docstrings cross-reference with Sphinx roles (:class:`~semgym.x.Y`), which Markdown
  does not know; they are shown as code (``Y``, or the full path without the ``~``).
- The env manuals' observation tables are generated at import time from the env's observation
  spec (their source holds a ``<observation-table>`` placeholder): those docstrings are taken
  from the imported class, as ``help()`` shows them.
"""

from __future__ import annotations

import importlib
import inspect
import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:class|func|meth|mod|data|attr|obj|exc):`(~?)([^`]+)`")


def _plain(match: re.Match[str]) -> str:
    short, target = match.group(1), match.group(2)
    return f"`{target.rsplit('.', 1)[-1] if short else target}`"


class SphinxRoles(griffe.Extension):
    """Rewrite the Sphinx roles of every docstring as Markdown code spans."""

    def _rewrite(self, obj: Any) -> None:
        docstring = getattr(obj, "docstring", None)
        if docstring is None or not docstring.value:
            return
        if re.search(r"^\s*<observation-table>$", docstring.value, re.MULTILINE):
            module, _, name = obj.path.rpartition(".")
            docstring.value = inspect.getdoc(getattr(importlib.import_module(module), name))
        docstring.value = _ROLE.sub(_plain, docstring.value)

    def on_instance(self, *, obj: Any, **kwargs: Any) -> None:
        self._rewrite(obj)

    def on_object(self, *, obj: Any, **kwargs: Any) -> None:
        self._rewrite(obj)
