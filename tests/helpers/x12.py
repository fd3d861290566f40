"""Validate an 837P file with pyx12 (its Python API: x12valid's exit status says nothing)."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pyx12.params
import pyx12.x12n_document


def pyx12_errors(x12_text: str) -> list[str]:
    """Every error pyx12 reports for the file (empty: the file is valid), each as
    "segment line: code message"; also any error pyx12 logs (a file it cannot read)."""
    params = pyx12.params.params()
    report = io.StringIO()
    logged = _Collect()
    logger = logging.getLogger("pyx12")
    logger.addHandler(logged)
    try:
        valid = pyx12.x12n_document.x12n_document(
            params, io.StringIO(x12_text), io.StringIO(), None, fd_json=report
        )
    finally:
        logger.removeHandler(logged)
    found: list[str] = []
    _walk(json.loads(report.getvalue() or "{}"), found)
    if not found:  # the JSON report holds everything it could place; the log the rest
        found.extend(logged.messages)
    if not valid and not found:
        found.append("pyx12 says the file is not valid (no detail given)")
    return found


def _walk(node: Any, found: list[str]) -> None:
    if isinstance(node, dict):
        for error in node.get("errors", []) or []:
            found.append(f"{node.get('seg_id', '')} line {node.get('cur_line', '?')}: {error}")
        for key, value in node.items():
            if key != "errors":
                _walk(value, found)
    elif isinstance(node, list):
        for item in node:
            _walk(item, found)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())
