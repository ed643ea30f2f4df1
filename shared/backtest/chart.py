"""A self-contained HTML page with an equity curve drawn as inline SVG (no scripts, no fetches)."""
from __future__ import annotations

import html
from collections.abc import Sequence

WIDTH, HEIGHT, PAD = 900, 360, 48


def equity_chart_html(title: str, days: Sequence[str], balance: Sequence[float],
                      summary: dict[str, str]) -> str:
    """``days`` oldest first (labels), ``balance`` at each day's end; ``summary`` lines shown above."""
    lo, hi = (min(balance), max(balance)) if balance else (0.0, 1.0)
    span = (hi - lo) or 1.0
    n = max(len(balance) - 1, 1)

    def x(i: int) -> float:
        return PAD + (WIDTH - 2 * PAD) * i / n

    def y(v: float) -> float:
        return HEIGHT - PAD - (HEIGHT - 2 * PAD) * (v - lo) / span

    points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(balance))
    ticks = "".join(
        f'<text x="{PAD - 6}" y="{y(v):.1f}" text-anchor="end" dominant-baseline="middle">{v:,.0f}</text>'
        for v in (lo, lo + span / 2, hi))
    labels = ""
    if days:
        for i in sorted({0, len(days) // 2, len(days) - 1}):
            labels += f'<text x="{x(i):.1f}" y="{HEIGHT - PAD + 18}" text-anchor="middle">{html.escape(days[i])}</text>'
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in summary.items())
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font:14px sans-serif;margin:24px}}th{{text-align:left;padding-right:16px}}
svg text{{font:11px sans-serif;fill:#444}}</style></head>
<body><h1>{html.escape(title)}</h1><table>{rows}</table>
<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="equity curve">
<rect x="{PAD}" y="{PAD}" width="{WIDTH - 2 * PAD}" height="{HEIGHT - 2 * PAD}" fill="none" stroke="#ccc"/>
{ticks}{labels}
<polyline fill="none" stroke="#1f6feb" stroke-width="1.5" points="{points}"/>
</svg></body></html>
"""
