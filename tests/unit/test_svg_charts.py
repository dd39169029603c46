"""The server-drawn charts: well-formed SVG whatever the labels hold, escaped once, accessible,
with the figures as text and a link per figure; an empty chart says so."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest

from service.services import svg_charts
from service.services.svg_charts import Series
from tests.support import stats_fake

NS = {"s": "http://www.w3.org/2000/svg"}
HOSTILE = '</svg><script>alert("x")</script> & «Ёлка» \' "'
DRAW = [svg_charts.bar, svg_charts.stacked, svg_charts.line]


def _parse(markup) -> ElementTree.Element:
    return ElementTree.fromstring(str(markup))  # raises on anything that is not well-formed


@pytest.mark.parametrize("draw", DRAW)
def test_hostile_labels_and_titles_stay_text(draw):
    svg = draw(HOSTILE, [HOSTILE, "Обычная"], [Series(HOSTILE, [3, 4], ["/stats/routes?a=1&b=<2>", None])])
    root = _parse(svg)
    assert "<script>" not in str(svg)
    assert root.find("s:title", NS).text == HOSTILE
    texts = "".join(root.itertext())
    assert "Обычная" in texts and "&amp;" not in texts  # escaped once: the reader sees "&"
    links = [a.get("href") for a in root.iter("{http://www.w3.org/2000/svg}a")]
    assert "/stats/routes?a=1&b=<2>" in links


@pytest.mark.parametrize("draw", DRAW)
def test_a_chart_has_an_accessible_name_and_description(draw):
    root = _parse(draw("Маршруты", ["Открыты", "Завершены"], [Series("Маршрутов", [7, 3])]))
    assert root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby").split()
    assert root.find("s:title", NS).get("id") == title_id
    assert "Открыты — Маршрутов: 7" in root.find("s:desc", NS).text
    assert root.get("style") is None and not root.findall(".//*[@style]")  # the CSP forbids inline styles


@pytest.mark.parametrize("draw", DRAW)
@pytest.mark.parametrize("labels, series", [([], []), (["А"], []), (["А", "Б"], [Series("x", [0, 0])]),
                                            (["А"], [Series("x", [None])])])
def test_empty_data_draws_a_note_not_an_error(draw, labels, series):
    svg = draw("Пусто", labels, series)
    if draw is svg_charts.line and series and series[0].values == [0, 0]:
        return  # a line of zeros is a figure worth drawing
    assert svg_charts.EMPTY_TEXT in "".join(_parse(svg).itertext())


def test_bars_carry_their_figures_in_russian_format():
    texts = list(_parse(svg_charts.bar("Ожидание", ["Шаг"], [Series("Медиана", [12345.5])])).itertext())
    assert "12\u202f345,5" in texts


def test_stacked_bars_show_the_total_and_a_legend():
    root = _parse(svg_charts.stacked("Дефициты", ["Предметные"], [Series("Высокий", [3]), Series("Средний", [2])]))
    texts = list(root.itertext())
    assert "5" in texts and "Высокий" in texts and "Средний" in texts


def test_a_long_label_is_cut_but_kept_whole_in_its_tooltip():
    label = "Очень длинное название шага согласования маршрута педагога"
    root = _parse(svg_charts.bar("Шаги", [label], [Series("n", [1])]))
    texts = list(root.itertext())
    assert label in texts and any(t.endswith("…") for t in texts)


def test_every_chart_of_the_contract_report_draws_and_links_its_figures():
    tables = stats_fake.tables(stats_fake.StatsFilters(), hostile=True)
    for key, table in tables.items():
        svg = svg_charts.for_table(table)
        if table["chart"] is None:
            assert svg is None
            continue
        root = _parse(svg)
        hrefs = [a.get("href") for a in root.iter("{http://www.w3.org/2000/svg}a")]
        linked = [r["_links"][c] for r in table["rows"] for c in table["chart"]["series"]
                  if c in r["_links"] and r[c]]
        assert sorted(hrefs) == sorted(linked), key
