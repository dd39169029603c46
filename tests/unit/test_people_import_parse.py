"""Reading and checking an import file without a database: headers in any order, encodings and
delimiters, row problems in Russian with the row number, and files refused whole."""

from __future__ import annotations

import time

import pytest
from werkzeug.security import check_password_hash, generate_password_hash

from service.domain.errors import FormRejected
from service.services.people_import import UNUSABLE_PASSWORD_HASH, Reach, parse_rows
from service.services.tabular import MAX_ROWS, read_table
from tests.support.people_files import GYM, SCH, csv_bytes, teachers, xlsx, zip_bomb_xlsx

CENTRE = "ЦНППМ «Учитель будущего» Энской области"
REACH = Reach(None, {"мбоу \"гимназия № 4\" г. энска": [(3, "school")],
                     "мбоу \"сош № 12 им. а. с. пушкина\" г. энска": [(4, "school")],
                     "цнппм \"учитель будущего\" энской области": [(2, "centre")]}, frozenset({2, 3, 4}))


def rows_of(data: bytes, name: str = "people.xlsx"):
    rows, notes = parse_rows(read_table(data, name), REACH)
    return rows, notes


def messages(rows) -> list[str]:
    return [m for r in rows for _, m in r.problems]


def refusal(data: bytes, name: str = "people.xlsx") -> str:
    with pytest.raises(FormRejected) as caught:
        rows_of(data, name)
    assert [p.pointer for p in caught.value.problems] == ["/file"]
    return caught.value.problems[0].message


def test_columns_are_found_by_header_in_any_order_case_and_spacing():
    header = ["  должность ", "Школа", "ЭЛЕКТРОННАЯ   ПОЧТА", "ф.и.о.", "Примечание"]
    rows, notes = rows_of(xlsx([["учитель", "мбоу «гимназия № 4»  г. Энска", "A.B@Example.RU", " Иванова  Мария "]],
                               header=header))
    assert messages(rows) == []
    assert rows[0].values["full_name"] == "Иванова Мария" and rows[0].values["email"] == "a.b@example.ru"
    assert rows[0].unit_id == 3 and rows[0].login == "a.b@example.ru"
    assert notes == ["Столбец «Примечание» не используется"]


@pytest.mark.parametrize("encoding, bom, sep", [("utf-8", True, ";"), ("utf-8", False, ","), ("cp1251", False, ";"),
                                                ("utf-8", False, "\t")])
def test_csv_in_utf8_with_or_without_bom_or_cp1251_with_either_delimiter(encoding, bom, sep):
    rows, _ = rows_of(csv_bytes(teachers(3), sep=sep, encoding=encoding, bom=bom), "people.csv")
    assert messages(rows) == []
    assert [r.values["full_name"] for r in rows] == [t[0] for t in teachers(3)]
    assert [r.unit_id for r in rows] == [3, 4, 3]


def test_a_bad_email_names_the_row_as_in_the_file_and_the_column():
    rows, _ = rows_of(xlsx([teachers(1)[0], [], ["Иванов Иван", "ivanov@", GYM, ""]]))
    assert messages(rows) == ["Строка 4, столбец «E-mail»: «ivanov@» — не адрес электронной почты"]


def test_the_same_email_twice_marks_both_rows():
    rows, _ = rows_of(xlsx([["А Б", "Same@x.ru", GYM], ["В Г", "same@x.ru", SCH]]))
    assert messages(rows) == [
        "Строка 2, столбец «E-mail»: «same@x.ru» встречается в файле несколько раз (также строка 3)",
        "Строка 3, столбец «E-mail»: «same@x.ru» встречается в файле несколько раз (также строка 2)"]


def test_required_cells_roles_and_organisations_are_checked():
    header = ["ФИО", "E-mail", "Организация", "Роль", "Логин"]
    rows, _ = rows_of(xlsx([["", "a@x.ru", GYM, "", ""],
                            ["Тьютор Один", "t@x.ru", GYM, "тьютор", ""],
                            ["Тьютор Два", "t2@x.ru", CENTRE, "Тьютор", "t 2"],
                            ["Кто-то", "k@x.ru", GYM, "волшебник", ""],
                            ["Формула", "=A1", GYM, "", ""]], header=header))
    assert messages(rows) == [
        "Строка 2, столбец «ФИО»: не заполнено",
        "Строка 3, столбец «Организация»: «МБОУ «Гимназия № 4» г. Энска» не найдена среди действующих ЦНППМ "
        "(для тьютора указывается ЦНППМ)",
        "Строка 4, столбец «Логин»: «t 2» — в логине не должно быть пробелов",
        "Строка 5, столбец «Роль»: «волшебник» — неизвестная роль; допустимо: педагог, тьютор, руководитель ОО, "
        "заместитель руководителя ОО",
        "Строка 6, столбец «E-mail»: формула «=A1» вместо значения — вставьте в файл значения",
    ]


def test_control_characters_and_long_cells_are_row_errors():
    rows, _ = rows_of(csv_bytes([["Имя\x07", "a@x.ru", GYM, "д" * 301]]), "p.csv")
    assert messages(rows) == ["Строка 2, столбец «ФИО»: недопустимые управляющие символы (например, NUL)",
                              "Строка 2, столбец «Должность»: текст длиннее 300 символов (301)"]


def test_a_missing_required_column_refuses_the_file():
    assert refusal(xlsx([["a", GYM]], header=["ФИО", "Организация"])) == \
        "В файле нет столбца «E-mail» (заголовки ищутся в первой непустой строке — строке 1)"


@pytest.mark.parametrize("data, name, text", [
    (b"", "p.csv", "Файл пуст"),
    (b" \r\n \r\n", "p.csv", "Файл пуст"),
    (b"just some text without the columns", "p.csv", "В файле нет столбцов «ФИО», «E-mail», «Организация»"),
    (b"\x89PNG\r\n\x1a\n not a table", "people.xlsx", "Файл не является книгой .xlsx (это не zip-архив)"),
    (b"PK\x03\x04 broken zip", "people.xlsx", "Файл не является книгой .xlsx (повреждённый zip-архив)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old", "people.xls", "Формат .xls не поддерживается"),
])
def test_files_that_are_not_tables_are_refused(data, name, text):
    assert refusal(data, name).startswith(text)


def test_a_zip_bomb_dressed_as_xlsx_is_refused_before_anything_inflates():
    bomb = zip_bomb_xlsx(1100)
    assert len(bomb) < 2 * 1024 * 1024
    started = time.perf_counter()
    message = refusal(bomb)
    assert time.perf_counter() - started < 1  # inflating 1.1 GB would take many seconds
    assert message == ("Файл .xlsx отклонён: часть xl/worksheets/sheet1.xml распаковывается в 1100,0 МБ, "
                       "допустимо не более 50,0 МБ")


def test_more_than_ten_thousand_rows_are_refused():
    assert refusal(csv_bytes(teachers(MAX_ROWS + 1)), "p.csv") == \
        "В файле больше 10 000 строк с данными: разделите его на части"
    rows, _ = rows_of(csv_bytes(teachers(MAX_ROWS)), "p.csv")
    assert len(rows) == MAX_ROWS


def test_a_sheet_of_endless_blank_rows_is_refused():
    data = ("ФИО;E-mail;Организация\n" + ";;\n" * 100_000).encode()
    assert refusal(data, "p.csv").startswith("В файле больше 100 000 строк (считая пустые)")


def test_more_than_fifty_columns_are_refused():
    assert refusal(xlsx([teachers(1)[0] + [""] * 46 + ["лишнее"]])) == \
        "В строке 2 заполнено больше 50 столбцов: допустимо не более 50"


def test_an_imported_password_matches_nothing_and_costs_what_a_wrong_password_costs():
    real = generate_password_hash("секрет")
    assert UNUSABLE_PASSWORD_HASH.split("$")[0] == real.split("$")[0]  # werkzeug's current method
    assert check_password_hash(UNUSABLE_PASSWORD_HASH, "") is False
    assert check_password_hash(UNUSABLE_PASSWORD_HASH, "unusable-imported") is False

    def cost(pwhash: str) -> float:
        started = time.perf_counter()
        for _ in range(3):
            check_password_hash(pwhash, "неверный пароль")
        return time.perf_counter() - started

    wrong, unusable = cost(real), cost(UNUSABLE_PASSWORD_HASH)
    assert 0.5 < unusable / wrong < 2
