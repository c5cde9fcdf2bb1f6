"""Completion charts and sparklines: well-formed, accessible, escaped SVG with the right numbers."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest

from lms.dashboards.charts import (
    PLOT_BOTTOM,
    PLOT_LEFT,
    PLOT_RIGHT,
    PLOT_TOP,
    ChartLabels,
    WeekPoint,
    completion_chart,
    completion_table,
    sparkline,
)

SVG = "{http://www.w3.org/2000/svg}"
LABELS = ChartLabels(
    weekly="Completions per week",
    cumulative="Completed so far",
    due="Due",
    week="Week",
    summary="{completed} of {total} candidates completed ({percent}); due {due}",
)
MONDAY = date(2026, 6, 1)


def weeks(*completions: int, start: date = MONDAY) -> list[WeekPoint]:
    return [WeekPoint(start + timedelta(weeks=i), n) for i, n in enumerate(completions)]


def chart(points: list[WeekPoint], *, total: int = 300, due: date | None = None, **kwargs) -> ET.Element:
    options = {"title": "Course progress", "labels": LABELS} | kwargs
    return ET.fromstring(completion_chart(points, total=total, due=due, **options))


def bars(svg: ET.Element) -> list[ET.Element]:
    return svg.findall(f"./{SVG}g[@class='chart-bars']/{SVG}rect")


def line_points(svg: ET.Element) -> list[tuple[float, float]]:
    line = svg.find(f"./{SVG}polyline[@class='chart-line']")
    return [tuple(map(float, pair.split(","))) for pair in line.get("points").split()]


def due_marker(svg: ET.Element) -> ET.Element | None:
    return svg.find(f"./{SVG}g[@class='chart-due']/{SVG}line")


def week_labels(svg: ET.Element) -> list[str]:
    group = svg.find(f"./{SVG}g[@class='chart-label']")
    return [t.text for t in group.findall(f"{SVG}text") if t.get("y") == str(PLOT_BOTTOM + 15)]


def test_chart_is_an_accessible_image_with_summary():
    svg = chart(weeks(40, 52, 50), total=300, due=date(2026, 9, 1))

    assert svg.tag == f"{SVG}svg"
    assert svg.get("role") == "img"
    assert svg.get("width") == "100%"
    assert svg.get("viewBox") == "0 0 480 248"
    assert "style" not in svg.attrib
    title, desc = svg[0], svg[1]
    assert (title.tag, title.text) == (f"{SVG}title", "Course progress")
    assert (desc.tag, desc.text) == (
        f"{SVG}desc",
        "142 of 300 candidates completed (47\u00a0%); due 01.09.2026",
    )
    assert svg.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert not [el for el in svg.iter() if "style" in el.attrib or el.tag == f"{SVG}style"]


def test_summary_rounds_down_and_leaves_due_empty_without_a_date():
    svg = chart(weeks(299), total=300)

    assert svg[1].text == "299 of 300 candidates completed (99\u00a0%); due "


def test_one_bar_per_week_with_gaps_as_empty_weeks():
    points = [
        WeekPoint(MONDAY, 10),
        WeekPoint(MONDAY + timedelta(weeks=1), 20),
        WeekPoint(MONDAY + timedelta(weeks=3), 5),
    ]

    svg = chart(points)

    heights = [float(bar.get("height")) for bar in bars(svg)]
    assert len(heights) == 4
    assert heights[2] == 0
    assert heights[1] == pytest.approx(2 * heights[0], abs=0.02)
    assert all(float(bar.get("y")) >= PLOT_TOP for bar in bars(svg))
    assert week_labels(svg) == ["01.06", "08.06", "15.06", "22.06"]


def test_cumulative_line_ends_at_the_share_of_total():
    half = chart(weeks(10, 40, 50), total=200)
    full = chart(weeks(100, 100), total=200)
    beyond = chart(weeks(150, 100), total=200)

    plot_height = PLOT_BOTTOM - PLOT_TOP
    assert len(line_points(half)) == 3
    assert line_points(half)[-1][1] == pytest.approx(PLOT_BOTTOM - plot_height / 2)
    assert line_points(half)[0][1] == pytest.approx(PLOT_BOTTOM - plot_height * 0.05)
    assert line_points(full)[-1][1] == pytest.approx(PLOT_TOP)
    assert line_points(beyond)[-1][1] == pytest.approx(PLOT_TOP)


def test_zero_total_draws_a_flat_line_instead_of_dividing_by_zero():
    svg = chart(weeks(3, 4), total=0)

    assert [y for _, y in line_points(svg)] == [PLOT_BOTTOM, PLOT_BOTTOM]
    assert svg[1].text.startswith("7 of 0 candidates completed (0\u00a0%)")


def test_due_marker_is_absent_without_a_due_date_or_before_the_data():
    assert due_marker(chart(weeks(1, 2))) is None
    before = chart(weeks(1, 2), due=MONDAY - timedelta(days=1))
    assert due_marker(before) is None
    assert before.find(f".//{SVG}g[@class='chart-legend chart-label']/{SVG}line[@class='chart-due']") is None


def test_due_marker_inside_the_range():
    svg = chart(weeks(1, 2, 3, 4), due=MONDAY + timedelta(days=14))

    marker = due_marker(svg)
    assert marker.get("stroke-dasharray")
    # Four weeks across the plot: the start of the third week is halfway.
    assert float(marker.get("x1")) == pytest.approx((PLOT_LEFT + PLOT_RIGHT) / 2, abs=0.01)
    assert len(week_labels(svg)) == 4
    assert svg.find(f".//{SVG}g[@class='chart-legend chart-label']/{SVG}line[@class='chart-due']") is not None


def test_due_date_after_the_data_extends_the_range():
    svg = chart(weeks(1, 2), due=MONDAY + timedelta(weeks=3, days=2))

    marker = due_marker(svg)
    assert PLOT_LEFT < float(marker.get("x1")) < PLOT_RIGHT
    assert week_labels(svg) == ["01.06", "08.06", "15.06", "22.06"]
    assert len(bars(svg)) == 2
    assert len(line_points(svg)) == 2
    assert "Due 24.06" in "".join(svg.find(f"./{SVG}g[@class='chart-due']").itertext())


def test_malicious_text_is_escaped():
    evil = "</svg><script>alert(\"x\")</script>\x00 & 'q'"
    labels = ChartLabels(weekly=evil, cumulative=evil, due=evil, week=evil, summary=evil + " {completed}")

    due = MONDAY + timedelta(days=3)
    markup = completion_chart(weeks(1, 2), total=10, due=due, title=evil, labels=labels)

    svg = ET.fromstring(markup)
    assert "<script" not in markup
    assert not [el for el in svg.iter() if el.tag.endswith("script")]
    clean = evil.replace("\x00", "")
    assert svg[0].text == clean
    assert svg[1].text == clean + " 3"
    assert clean in [t.text for t in svg.iter(f"{SVG}text")]


def test_empty_data_draws_a_small_no_data_image():
    labels = ChartLabels(**{**LABELS.__dict__, "no_data": "No <data> yet"})

    svg = chart([], labels=labels, due=date(2026, 9, 1))

    assert svg.get("role") == "img"
    assert svg[1].text == "0 of 300 candidates completed (0\u00a0%); due 01.09.2026"
    assert [t.text for t in svg.iter(f"{SVG}text")] == ["No <data> yet"]
    assert bars(svg) == []
    # Without a no-data label, the summary sentence stands in.
    assert [t.text for t in chart([]).iter(f"{SVG}text")] == [
        "0 of 300 candidates completed (0\u00a0%); due "
    ]


def test_single_point():
    svg = chart([WeekPoint(MONDAY, 7)], total=10)

    assert len(bars(svg)) == 1
    [(x, y)] = line_points(svg)
    assert x == (PLOT_LEFT + PLOT_RIGHT) / 2
    assert y == pytest.approx(PLOT_BOTTOM - 0.7 * (PLOT_BOTTOM - PLOT_TOP))
    assert len(svg.findall(f".//{SVG}circle")) == 1
    assert week_labels(svg) == ["01.06"]


def test_huge_counts_and_long_ranges_stay_inside_the_plot():
    svg = chart(weeks(*[3_000_000 + i for i in range(104)]), total=400_000_000)

    assert len(bars(svg)) == 104
    assert all(float(bar.get("y")) >= PLOT_TOP for bar in bars(svg))
    assert all(float(bar.get("x")) >= PLOT_LEFT for bar in bars(svg))
    assert len(week_labels(svg)) <= 10
    axis_labels = [t.text for t in svg.iter(f"{SVG}text")]
    assert "1\u202f000\u202f000" in axis_labels


def test_output_is_deterministic():
    points = weeks(3, 1, 4, 1, 5)

    first = completion_chart(points, total=20, due=date(2026, 8, 1), title="t", labels=LABELS)
    again = completion_chart(list(points), total=20, due=date(2026, 8, 1), title="t", labels=LABELS)

    assert first == again
    assert str(first).startswith("<svg")


def test_negative_completions_are_rejected():
    with pytest.raises(ValueError):
        completion_chart(weeks(1, -1), total=10, due=None, title="t", labels=LABELS)


def test_completion_table_rows():
    points = [WeekPoint(MONDAY + timedelta(weeks=2), 5), WeekPoint(MONDAY, 10), WeekPoint(MONDAY, 2)]

    assert completion_table(points, 30) == [
        {"week": MONDAY, "completions": 12, "cumulative": 12, "percent": 40.0},
        {"week": MONDAY + timedelta(weeks=1), "completions": 0, "cumulative": 12, "percent": 40.0},
        {"week": MONDAY + timedelta(weeks=2), "completions": 5, "cumulative": 17, "percent": 56.7},
    ]
    assert completion_table([], 30) == []
    assert completion_table(weeks(4), 0)[0]["percent"] == 0.0


def test_sparkline():
    svg = ET.fromstring(sparkline([12, 30, 47.25]))

    assert svg.get("role") == "img"
    assert svg.get("aria-label") == "12 % → 47.2 %"
    assert len(svg.find(f"{SVG}polyline").get("points").split()) == 3


def test_sparkline_edges():
    assert sparkline([]) == ""
    single = ET.fromstring(sparkline([150.0], label='<"{first}"–{last}>'))
    assert single.get("aria-label") == '<"100"–100>'
    clamped = ET.fromstring(sparkline([-5, float("nan"), 100]))
    ys = [float(pair.split(",")[1]) for pair in clamped.find(f"{SVG}polyline").get("points").split()]
    assert ys[0] == ys[1] > ys[2]


def legend_rows(svg: ET.Element) -> list[tuple[str, str]]:
    legend = svg.find(f".//{SVG}g[@class='chart-legend chart-label']")
    return [(t.text, t.get("y")) for t in legend.findall(f"{SVG}text")]


def test_a_long_legend_goes_on_in_a_second_row_instead_of_off_the_edge():
    """The Russian legend used to run past the image's right edge ("Сро" of "Срок")."""
    russian = ChartLabels(
        weekly="Завершили за неделю",
        cumulative="Завершили нарастающим итогом, %",
        due="Срок",
        week="Неделя",
        summary=LABELS.summary,
    )

    svg = chart(weeks(1, 2), due=MONDAY + timedelta(weeks=3), labels=russian)

    assert legend_rows(svg) == [
        ("Завершили за неделю", "14"),
        ("Завершили нарастающим итогом, %", "14"),
        ("Срок", "27"),
    ]
    assert legend_rows(chart(weeks(1, 2), due=MONDAY + timedelta(weeks=3))) == [
        ("Completions per week", "14"),
        ("Completed so far", "14"),
        ("Due", "14"),
    ]
