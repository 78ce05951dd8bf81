"""Verification reports of ntkverify (DESIGN.md "Reports"; ``reports/schema.json``).

``python -m reports verify`` runs the suite and writes ``reports/latest/`` (and ``reports/runs/<stamp>/``):
``report.json`` (one record per check plus environment, constants, figures), ``report.md`` and a
self-contained ``report.html``. ``render`` re-renders from stored records, ``compare`` diffs two runs,
``replay`` re-runs one record exactly, ``promote`` keeps a refuted scenario as a permanent example.
Reads result records only; nothing here imports a test.
"""

from .render import SCHEMA_VERSION, build_report, load_source, publish, render_source, summary_text, write_report

__all__ = ["SCHEMA_VERSION", "build_report", "load_source", "publish", "render_source", "summary_text", "write_report"]
