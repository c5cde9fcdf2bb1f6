"""Accessible charts as inline SVG for server-rendered pages: no Flask, no database, no scripts.

Everything is drawn with presentation attributes (fill, stroke, ...) and themed through CSS
classes (`chart-bar`, `chart-line`, `chart-due`, `chart-axis`, `chart-label`), since the pages'
CSP forbids inline scripts and we keep `style` out of the markup as well. Every piece of text is
HTML-escaped; the output is the same string for the same input, so pages cache and diff cleanly.
"""

from __future__ import annotations

import hashlib
import html
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from markupsafe import Markup

# The completion chart's drawing, in viewBox units; the SVG itself is width 100 % and scales.
WIDTH, HEIGHT = 480, 248
PLOT_LEFT, PLOT_RIGHT = 52, 440
PLOT_TOP, PLOT_BOTTOM = 34, 206
LEGEND_Y = 14
# A legend too long for one row (Russian labels) goes on in a second row, still above the plot.
LEGEND_ROW = 13
FONT_SIZE = 11
# A week or two would otherwise be drawn as slabs across the whole plot.
MAX_BAR_WIDTH = 36
# Both y axes get this many intervals, so the count and % gridlines coincide.
Y_INTERVALS = 4
# Fewer week labels than this many viewBox units apart would overlap ("01.09" at FONT_SIZE).
MIN_LABEL_SPACING = 40

BAR_FILL = "#3b6ea5"
LINE_STROKE = "#c0392b"
DUE_STROKE = "#6b6b6b"
WEEK = timedelta(days=7)

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class WeekPoint:
    """Completions in the week starting on `week_start`."""

    week_start: date
    completions: int


def _numeric_day(day: date) -> str:
    return f"{day:%d.%m.%Y}"


def _numeric_day_month(day: date) -> str:
    return f"{day:%d.%m}"


def _plain_percent(value: int) -> str:
    return f"{value}\u00a0%"


@dataclass(frozen=True)
class ChartLabels:
    """Translated strings for a chart; `summary` is formatted with completed, total, percent and due.

    The page passes its language's formatters (lms.core.formats) for dates and percentages; the
    defaults keep this module free of Flask and Babel.
    """

    weekly: str
    cumulative: str
    due: str
    week: str
    summary: str
    # Shown instead of a chart when there are no points; None shows the summary sentence.
    no_data: str | None = None
    day: Callable[[date], str] = _numeric_day
    day_month: Callable[[date], str] = _numeric_day_month
    percent: Callable[[int], str] = _plain_percent


def completion_table(points: list[WeekPoint], total: int) -> list[dict]:
    """The chart's data as rows: week (date), completions, cumulative, percent (of total, 1 decimal)."""
    rows = []
    cumulative = 0
    for week, completions in _weekly(points):
        cumulative += completions
        rows.append(
            {
                "week": week,
                "completions": completions,
                "cumulative": cumulative,
                "percent": round(100 * cumulative / total, 1) if total > 0 else 0.0,
            }
        )
    return rows


def completion_chart(
    points: list[WeekPoint], *, total: int, due: date | None, title: str, labels: ChartLabels
) -> Markup:
    """Weekly completions as bars, the cumulative share of `total` as a line, and the due date."""
    if total < 0:
        raise ValueError(f"total must not be negative, got {total}")
    rows = completion_table(points, total)
    completed = rows[-1]["cumulative"] if rows else 0
    summary = labels.summary.format(
        completed=completed,
        total=total,
        # Rounded down, so the sentence never says 100 % while someone is still missing.
        percent=labels.percent(100 * completed // total if total > 0 else 0),
        due=labels.day(due) if due else "",
    )
    if not rows:
        return _empty_chart(title, summary, labels.no_data or summary)

    first = rows[0]["week"]
    slots = len(rows)
    if due is not None and due >= first:
        slots = max(slots, (due - first).days // 7 + 1)
    else:
        due = None
    slot_width = (PLOT_RIGHT - PLOT_LEFT) / slots
    peak = max(row["completions"] for row in rows)
    step = _count_step(peak)
    count_max = step * Y_INTERVALS
    plot_height = PLOT_BOTTOM - PLOT_TOP

    def count_y(count: int) -> float:
        return PLOT_BOTTOM - plot_height * count / count_max

    def share_y(cumulative: int) -> float:
        # Drawn capped at 100 %: more completions than `total` (people who left) would leave the plot.
        share = min(cumulative / total, 1.0) if total > 0 else 0.0
        return PLOT_BOTTOM - plot_height * share

    def centre(slot: int) -> float:
        return PLOT_LEFT + slot_width * (slot + 0.5)

    parts = [_open_svg(title, summary, f"0 0 {WIDTH} {HEIGHT}", 'width="100%"')]

    parts.append('<g class="chart-axis" stroke="currentColor" stroke-width="1">')
    for i in range(Y_INTERVALS + 1):
        y = _n(PLOT_BOTTOM - plot_height * i / Y_INTERVALS)
        opacity = "0.6" if i == 0 else "0.15"
        parts.append(
            f'<line x1="{PLOT_LEFT}" y1="{y}" x2="{PLOT_RIGHT}" y2="{y}" stroke-opacity="{opacity}"/>'
        )
    for x in (PLOT_LEFT, PLOT_RIGHT):
        parts.append(f'<line x1="{x}" y1="{PLOT_TOP}" x2="{x}" y2="{PLOT_BOTTOM}" stroke-opacity="0.6"/>')
    parts.append("</g>")

    parts.append(f'<g class="chart-label" fill="currentColor" font-size="{FONT_SIZE}">')
    for i in range(Y_INTERVALS + 1):
        y = _n(PLOT_BOTTOM - plot_height * i / Y_INTERVALS + FONT_SIZE / 3)
        parts.append(f'<text x="{PLOT_LEFT - 6}" y="{y}" text-anchor="end">{_count(step * i)}</text>')
        percent = _text(labels.percent(100 * i // Y_INTERVALS))
        parts.append(f'<text x="{PLOT_RIGHT + 6}" y="{y}" text-anchor="start">{percent}</text>')
    every = max(1, math.ceil(slots / ((PLOT_RIGHT - PLOT_LEFT) // MIN_LABEL_SPACING)))
    for slot in range(0, slots, every):
        week = first + WEEK * slot
        parts.append(
            f'<text x="{_n(centre(slot))}" y="{PLOT_BOTTOM + 15}" text-anchor="middle">'
            f"{_text(labels.day_month(week))}</text>"
        )
    parts.append(
        f'<text x="{_n((PLOT_LEFT + PLOT_RIGHT) / 2)}" y="{HEIGHT - 8}" text-anchor="middle">'
        f"{_text(labels.week)}</text>"
    )
    parts.append("</g>")

    bar_width = min(slot_width * 0.7, MAX_BAR_WIDTH)
    parts.append(f'<g class="chart-bars" fill="{BAR_FILL}">')
    for slot, row in enumerate(rows):
        y = count_y(row["completions"])
        tooltip = (
            f"{labels.day(row['week'])}: {labels.weekly} {_count(row['completions'])}, "
            f"{labels.cumulative} {_count(row['cumulative'])}"
        )
        parts.append(
            f'<rect class="chart-bar" x="{_n(centre(slot) - bar_width / 2)}" y="{_n(y)}" '
            f'width="{_n(bar_width)}" height="{_n(PLOT_BOTTOM - y)}"><title>{_text(tooltip)}</title></rect>'
        )
    parts.append("</g>")

    line = " ".join(f"{_n(centre(slot))},{_n(share_y(row['cumulative']))}" for slot, row in enumerate(rows))
    parts.append(
        f'<polyline class="chart-line" points="{line}" fill="none" stroke="{LINE_STROKE}" '
        'stroke-width="2" stroke-linejoin="round"/>'
    )
    # Dots as well as the line: a single week is a line of one point, which would not show.
    parts.append(f'<g class="chart-line chart-points" fill="{LINE_STROKE}">')
    for slot, row in enumerate(rows):
        parts.append(f'<circle cx="{_n(centre(slot))}" cy="{_n(share_y(row["cumulative"]))}" r="2.5"/>')
    parts.append("</g>")

    if due is not None:
        x = PLOT_LEFT + slot_width * (due - first).days / 7
        right_half = x > (PLOT_LEFT + PLOT_RIGHT) / 2
        anchor, text_x = ("end", x - 4) if right_half else ("start", x + 4)
        parts.append(
            f'<g class="chart-due"><line x1="{_n(x)}" y1="{PLOT_TOP}" x2="{_n(x)}" y2="{PLOT_BOTTOM}" '
            f'stroke="{DUE_STROKE}" stroke-width="1.5" stroke-dasharray="5 4"/>'
            f'<text class="chart-label" x="{_n(text_x)}" y="{PLOT_TOP + FONT_SIZE}" text-anchor="{anchor}" '
            f'fill="currentColor" font-size="{FONT_SIZE}">{_text(labels.due)} '
            f"{_text(labels.day_month(due))}</text></g>"
        )

    parts.append(_legend(labels, with_due=due is not None))
    parts.append("</svg>")
    svg = "".join(parts)
    return Markup(svg)  # nosec B704  # texts escaped by _text, numbers formatted by _n


def sparkline(values: list[float], *, label: str = "{first} % → {last} %") -> Markup:
    """A tiny line of 0–100 values for a table cell; `label` (first, last) is its accessible name."""
    if not values:
        return Markup("")
    clamped = [min(max(v, 0.0), 100.0) if math.isfinite(v) else 0.0 for v in values]
    name = label.format(first=_short(clamped[0]), last=_short(clamped[-1]))
    width, height, pad = 60, 16, 2

    def y(value: float) -> str:
        return _n(height - pad - (height - 2 * pad) * value / 100)

    xs = (
        [width / 2]
        if len(clamped) == 1
        else [pad + (width - 2 * pad) * i / (len(clamped) - 1) for i in range(len(clamped))]
    )
    line = " ".join(f"{_n(x)},{y(v)}" for x, v in zip(xs, clamped, strict=True))
    return Markup(  # nosec B704  # texts escaped by _text, numbers formatted by _n
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-sparkline" role="img" '
        f'aria-label="{_text(name)}" viewBox="0 0 {width} {height}" width="{width}" height="{height}">'
        f'<polyline class="chart-line" points="{line}" fill="none" stroke="{LINE_STROKE}" '
        'stroke-width="1.5" stroke-linejoin="round"/>'
        f'<circle class="chart-line" cx="{_n(xs[-1])}" cy="{y(clamped[-1])}" r="2" fill="{LINE_STROKE}"/>'
        "</svg>"
    )


def _weekly(points: list[WeekPoint]) -> list[tuple[date, int]]:
    """Completions per week from the earliest point on: weeks without a point count 0, repeats add up."""
    if not points:
        return []
    first = min(point.week_start for point in points)
    counts: dict[int, int] = {}
    for point in points:
        if point.completions < 0:
            raise ValueError(f"completions must not be negative: {point}")
        slot = (point.week_start - first).days // 7
        counts[slot] = counts.get(slot, 0) + point.completions
    return [(first + WEEK * slot, counts.get(slot, 0)) for slot in range(max(counts) + 1)]


def _open_svg(title: str, summary: str, view_box: str, size: str) -> str:
    # Ids from the content: deterministic, and distinct for different charts on one page.
    ident = "chart-" + hashlib.sha256(f"{title}\0{summary}".encode()).hexdigest()[:10]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" viewBox="{view_box}" {size} font-family="sans-serif">'
        f'<title id="{ident}-title">{_text(title)}</title><desc id="{ident}-desc">{_text(summary)}</desc>'
    )


def _empty_chart(title: str, summary: str, message: str) -> Markup:
    # Sized to its text rather than 100 % wide, which would blow one line up to the page's width.
    font_size = FONT_SIZE + 1
    width, height = max(160, math.ceil(len(message) * font_size * 0.6) + 24), 40
    return Markup(  # nosec B704  # texts escaped by _text, numbers formatted by _n
        _open_svg(title, summary, f"0 0 {width} {height}", f'width="{width}" height="{height}"')
        + f'<text class="chart-label" x="{width // 2}" y="{height // 2 + 4}" text-anchor="middle" '
        f'fill="currentColor" font-size="{font_size}">{_text(message)}</text></svg>'
    )


def _legend(labels: ChartLabels, *, with_due: bool) -> str:
    # No text measuring in a pure module: advance by an estimated average glyph width (Cyrillic
    # letters are wider than Latin ones, hence 0.65 rather than the usual 0.6).
    glyph = FONT_SIZE * 0.65
    x = float(PLOT_LEFT)
    y = LEGEND_Y
    parts = [f'<g class="chart-legend chart-label" fill="currentColor" font-size="{FONT_SIZE}">']
    entries = [
        (
            labels.weekly,
            f'<rect class="chart-bar" x="{{x}}" y="{{y_box}}" width="12" height="10" fill="{BAR_FILL}"/>',
        ),
        (
            labels.cumulative,
            f'<line class="chart-line" x1="{{x}}" y1="{{y_line}}" x2="{{x2}}" y2="{{y_line}}" '
            f'stroke="{LINE_STROKE}" stroke-width="2"/>',
        ),
    ]
    if with_due:
        entries.append(
            (
                labels.due,
                f'<line class="chart-due" x1="{{x}}" y1="{{y_line}}" x2="{{x2}}" y2="{{y_line}}" '
                f'stroke="{DUE_STROKE}" stroke-width="1.5" stroke-dasharray="4 3"/>',
            )
        )
    for text, swatch in entries:
        width = 16 + glyph * len(text)
        if x > PLOT_LEFT and x + width > WIDTH - 4:  # would be cut off at the right edge: next row
            x, y = float(PLOT_LEFT), y + LEGEND_ROW
        parts.append(swatch.format(x=_n(x), x2=_n(x + 12), y_box=y - 8, y_line=y - 3))
        parts.append(f'<text x="{_n(x + 16)}" y="{y}">{_text(text)}</text>')
        x += width + 14
    parts.append("</g>")
    return "".join(parts)


def _count_step(peak: int) -> int:
    """The smallest 1/2/2.5/5 x 10^k whole step with Y_INTERVALS steps reaching `peak`, at least 1."""
    target = max(1, -(-peak // Y_INTERVALS))
    magnitude = 1
    while True:
        candidates = [magnitude, 2 * magnitude, 5 * magnitude]
        if magnitude >= 10:
            candidates.insert(2, magnitude * 25 // 10)
        for step in candidates:
            if step >= target:
                return step
        magnitude *= 10


def _count(n: int) -> str:
    # Thousands grouped with a narrow no-break space: the ISO/SI way, readable in any locale.
    return f"{n:,}".replace(",", "\u202f")


def _short(value: float) -> str:
    rounded = round(value, 1)
    return str(int(rounded)) if rounded == int(rounded) else f"{rounded:.1f}"


def _n(value: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _text(value: str) -> str:
    # Control characters are not allowed in XML and some parsers reject the whole SVG for one.
    return html.escape(_CONTROL_CHARS.sub("", value), quote=True)
