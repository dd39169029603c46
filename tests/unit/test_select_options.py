"""The filter selects' options: made once per list, escaped, and exactly the chosen one selected."""

from __future__ import annotations

from service.web.options import select_options

SCHOOLS = [(1, "Школа № 1"), (12, 'Лицей "Вектор" <&>'), (2, "Гимназия")]


def test_each_pair_is_an_option_with_its_label_escaped_and_none_selected():
    assert str(select_options(SCHOOLS)) == (
        '<option value="1">Школа № 1</option>'
        '<option value="12">Лицей &#34;Вектор&#34; &lt;&amp;&gt;</option>'
        '<option value="2">Гимназия</option>')


def test_only_the_chosen_option_is_selected_not_one_whose_id_starts_the_same():
    html = str(select_options(SCHOOLS, 1))
    assert html.count(" selected") == 1 and '<option value="1" selected>Школа № 1' in html
    assert '<option value="12">' in html
    assert str(select_options(SCHOOLS, 12)).count(" selected") == 1


def test_a_chosen_id_not_in_the_list_selects_nothing():
    assert " selected" not in str(select_options(SCHOOLS, 99))
    assert " selected" not in str(select_options([], 1))
