"""flows/web/charts.py: the geometry the SVG templates draw."""

from __future__ import annotations

from datetime import date

from flows.web.charts import days_between, group_small, horizontal, nice_max, stacked_days


def test_axis_tops_are_round() -> None:
    assert [nice_max(v) for v in (0, 1, 3, 7, 12, 180, 2001)] == [1, 1, 5, 10, 20, 200, 5000]


def test_stacked_bars_add_up_and_fit_the_plot() -> None:
    days = days_between(date(2026, 11, 20), date(2026, 11, 22))
    series = {"KZ": {days[0]: 3, days[2]: 1}, "UZ": {days[0]: 2}, "TM": {}}
    chart = stacked_days("Articles", days, series, labels={"KZ": "Kazakhstan"})
    assert [r.label for r in chart.rects] == [
        "2026-11-20: Kazakhstan 3",
        "2026-11-20: UZ 2",
        "2026-11-22: Kazakhstan 1",
    ]
    first_day = [r for r in chart.rects if r.label.startswith("2026-11-20")]
    assert (
        abs(sum(r.height for r in first_day) - (chart.bottom - chart.top) * 5 / 5) < 0.05
    )  # 5 of a top of 5
    assert all(chart.left <= r.x and r.x + r.width <= chart.right and r.y >= chart.top for r in chart.rects)
    assert [label for label, _ in chart.legend] == ["Kazakhstan", "UZ"]  # TM has nothing: no legend entry
    assert stacked_days("Nothing", days, {}).empty


def test_horizontal_bars_and_the_rest_grouped() -> None:
    chart = horizontal("Outlets", [("A", 10), ("B", 5)])
    assert [r.width for r in chart.rects] == [chart.right - chart.left, (chart.right - chart.left) / 2]
    counts = {
        "en": {date(2026, 1, 1): 5},
        "ru": {date(2026, 1, 1): 3},
        "kk": {date(2026, 1, 1): 1},
        "uz": {date(2026, 1, 2): 1},
    }
    grouped = group_small(counts, keep=2)
    assert list(grouped) == ["en", "ru", "other"] and grouped["other"] == {
        date(2026, 1, 1): 1,
        date(2026, 1, 2): 1,
    }
