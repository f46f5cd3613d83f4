"""FormulaError: why a typed formula was refused, as a record (a code, a column, details).

The record words nothing itself: :func:`optviz.text.formula_text` words it in any language
(``formula.<code>`` in the catalogs), and ``str()`` is its English.
"""

from __future__ import annotations

from typing import Any

from optviz.text.problems import formula_text


class FormulaError(ValueError):
    """A formula refused: a code and its details (the catalogs word it: ``formula.<code>``), and
    the column of the typed text it concerns. ``str()`` is the English."""

    def __init__(self, code: str, column: int | None = None, **details: Any) -> None:
        super().__init__(code)  # the rest are attributes, which a pickle keeps too
        self.code, self.column, self.details = code, column, details

    def __str__(self) -> str:
        """The refusal in English: "Invalid formula: unknown name 'z' ... at column 9"."""
        return formula_text(self.code, self.column, self.details)
