"""What a file would do, row by row, checked against the database: matching, changes, errors naming
their column, permissions, and a number of queries that does not grow with the rows."""

from __future__ import annotations

import pytest

from lms.core.time import utcnow
from lms.extensions import db
from lms.onboarding.messages import describe
from lms.onboarding.planning import Outcome, build_plan
from lms.progress.cohorts import add_member, create_cohort
from tests.onboarding.files import csv_bytes, xlsx_bytes
from tests.statements import Statements

HEADER = ["ФИО", "Эл. почта", "Регион", "Логин", "Роль", "Группа"]


def plan_of(actor, *rows, header=HEADER, invite=False):
    return build_plan(csv_bytes([header, *rows], delimiter=";"), actor, invite=invite)


def problems(plan):
    """{row number: [(column as the file heads it, message code)]} for rows with errors."""
    return {
        row.number: [(plan.column(issue.field), issue.problem.code) for issue in row.issues]
        for row in plan.rows
        if row.issues
    }


def test_new_rows_with_usernames_from_names_unique_in_the_database_and_the_file(admin, make_user):
    make_user("ivanov.ip", email="old@example.ru")
    plan = plan_of(
        admin,
        ["Иванов Иван Петрович", "ivan@example.ru", "77", "", "", ""],
        ["Иванов Илья Павлович", "ilya@example.ru", "Москва", "", "", ""],
        ["Сидорова Анна", "anna@example.ru", "50", "", "", ""],
        ["Петров Пётр", "petr@example.ru", "78", "Ivanov.IP3", "", ""],
    )
    assert problems(plan) == {}
    assert [(row.outcome, row.username, row.username_generated) for row in plan.rows] == [
        (Outcome.NEW, "ivanov.ip2", True),
        (Outcome.NEW, "ivanov.ip4", True),  # ivanov.ip3 is claimed by row 5
        (Outcome.NEW, "sidorova.a", True),
        (Outcome.NEW, "ivanov.ip3", False),
    ]
    assert [(row.role, row.region_code) for row in plan.rows] == [
        ("candidate", "77"),
        ("candidate", "77"),
        ("candidate", "50"),
        ("candidate", "78"),
    ]
    assert plan.counts() == {"new": 4, "update": 0, "unchanged": 0, "error": 0}


def test_the_same_file_gives_the_same_usernames(admin, make_user):
    make_user("ivanov.ip")
    rows = [["Иванов Иван Петрович", f"i{n}@example.ru", "77", "", "", ""] for n in range(3)]
    first = [row.username for row in plan_of(admin, *rows).rows]
    assert (
        first
        == [row.username for row in plan_of(admin, *rows).rows]
        == ["ivanov.ip2", "ivanov.ip3", "ivanov.ip4"]
    )


def test_matching_by_email_ignores_case_and_lists_what_changes(admin, make_user, app):
    cohort = create_cohort("Весна-77", region_code="77")
    anna = make_user("anna", region="77", full_name="Анна Иванова", email="anna@example.ru")
    boris = make_user("boris", region="77", full_name="Борис Петров", email="boris@example.ru")
    add_member(cohort, boris)
    db.session.commit()
    plan = plan_of(
        admin,
        ["Анна Иванова", "ANNA@Example.RU", "77", "", "", ""],
        ["Борис Петров", "boris@example.ru", "50", "", "Преподаватель", ""],
        ["Анна Иванова", "", "77", "anna", "", "Весна-77"],
        header=HEADER,
    )
    # Rows 2 and 4 are about the same account.
    assert problems(plan) == {2: [("", "duplicate_account")], 4: [("", "duplicate_account")]}

    plan = plan_of(
        admin,
        ["Анна Иванова", "ANNA@Example.RU", "г. Москва", "", "", "весна-77"],
        ["Борис Петров-Водкин", "boris@example.ru", "50", "", "Преподаватель", ""],
    )
    assert problems(plan) == {}
    assert [row.user for row in plan.rows] == [anna, boris]
    assert [row.outcome for row in plan.rows] == [Outcome.UPDATE, Outcome.UPDATE]
    assert [(c.field, c.old, c.new) for c in plan.rows[0].changes] == [("cohort", None, "Весна-77")]
    assert [(c.field, c.old, c.new) for c in plan.rows[1].changes] == [
        ("full_name", "Борис Петров", "Борис Петров-Водкин"),
        ("role", "candidate", "instructor"),
        ("region_code", "77", "50"),
    ]


def test_unchanged_rows_and_empty_cells_leave_values_alone(admin, make_user):
    cohort = create_cohort("Группа 1", region_code=None)
    user = make_user("vera", region="61", full_name="Вера Ким", email="vera@example.ru")
    add_member(cohort, user)
    make_user("natcoord", role="coordinator", full_name="Олег Н", email="oleg@example.ru")
    db.session.commit()
    plan = plan_of(
        admin,
        ["Вера Ким", "vera@example.ru", "61", "", "кандидат", "Группа 1"],
        ["Олег Н", "oleg@example.ru", "", "", "", ""],  # role and region stay (national coordinator)
    )
    assert problems(plan) == {}
    assert [row.outcome for row in plan.rows] == [Outcome.UNCHANGED, Outcome.UNCHANGED]


def test_matching_by_username_may_change_the_email(admin, make_user):
    make_user("anna", region="77", full_name="Анна", email="old@example.ru")
    plan = plan_of(admin, ["Анна", "New@Example.ru", "77", "ANNA", "", ""])
    assert [(c.field, c.old, c.new) for c in plan.rows[0].changes] == [
        ("email", "old@example.ru", "new@example.ru")
    ]


def test_username_and_email_naming_different_people_is_an_error(admin, make_user):
    make_user("anna", region="77", full_name="Анна", email="anna@example.ru")
    make_user("boris", region="77", full_name="Борис", email="boris@example.ru")
    plan = plan_of(
        admin,
        ["Борис", "anna@example.ru", "77", "boris", "", ""],  # boris would take anna's address
        ["Новый", "anna@example.ru", "77", "newbie", "", ""],  # a new account with anna's address
    )
    assert problems(plan) == {
        2: [("Эл. почта", "email_taken"), ("Эл. почта", "duplicate_email")],
        3: [("Эл. почта", "duplicate_email"), ("Логин", "username_other_account")],
    }
    plan = plan_of(admin, ["Новый", "anna@example.ru", "77", "newbie", "", ""])
    assert describe(plan.rows[0].issues[0].problem) == (
        "Адрес anna@example.ru принадлежит учётной записи anna, а в столбце логина указано newbie."
    )


def test_duplicates_in_the_file_name_each_other(admin):
    plan = plan_of(
        admin,
        ["А А", "same@example.ru", "77", "", "", ""],
        ["Б Б", "other@example.ru", "77", "dup", "", ""],
        ["В В", "SAME@example.ru", "77", "", "", ""],
        ["Г Г", "fourth@example.ru", "77", "DUP", "", ""],
    )
    assert problems(plan) == {
        2: [("Эл. почта", "duplicate_email")],
        3: [("Логин", "duplicate_username")],
        4: [("Эл. почта", "duplicate_email")],
        5: [("Логин", "duplicate_username")],
    }
    assert [issue.problem.params for row in plan.rows for issue in row.issues] == [
        {"rows": [4]},
        {"rows": [5]},
        {"rows": [2]},
        {"rows": [3]},
    ]


def test_an_address_mixing_latin_and_cyrillic_lookalikes_is_an_error_not_a_new_person(admin, make_user):
    make_user("ivan", email="ivan@example.ru")
    plan = plan_of(
        admin,
        ["Иван Иванов", "iv\u0430n@example.ru", "77", "", "", ""],  # a Cyrillic "а" among Latin letters
        ["Иван Иванов", "ivan@ex\u0430mple.ru", "77", "", "", ""],
        ["Пётр Петров", "пётр@пример.рф", "77", "", "", ""],  # all Cyrillic, all Latin: fine
    )
    assert problems(plan) == {
        2: [("Эл. почта", "email_mixed_scripts")],
        3: [("Эл. почта", "email_mixed_scripts")],
    }
    assert plan.rows[2].outcome == Outcome.NEW


def test_full_width_letters_are_the_same_address_and_empty_parts_are_no_address(admin, make_user):
    make_user("ivan", email="ivan@example.ru", region="77")
    plan = plan_of(
        admin,
        ["Иван Иванов", "\uff49\uff56\uff41\uff4e@example.ru", "77", "", "", ""],  # ｉｖａｎ
        ["Анна Петрова", "anna..p@example.ru", "77", "", "", ""],
        ["Анна Петрова", ".anna@example.ru", "77", "", "", ""],
        ["Анна Петрова", "anna@example.ru.", "77", "", "", ""],
    )
    assert problems(plan) == {
        3: [("Эл. почта", "email_invalid")],
        4: [("Эл. почта", "email_invalid")],
        5: [("Эл. почта", "email_invalid")],
    }
    assert plan.rows[0].user.username == "ivan"


def test_cell_errors_name_their_column(admin):
    archived = create_cohort("Старая", region_code=None)
    archived.archived_at = utcnow()
    create_cohort("Питер", region_code="78")
    db.session.commit()
    plan = plan_of(
        admin,
        ["", "a@example.ru", "77", "", "", ""],
        ["Б Б", "not-an-address", "77", "", "", ""],
        ["В В", "", "77", "", "", ""],
        ["Г Г", "g@example.ru", "Атлантида", "", "", ""],
        ["Д Д", "d@example.ru", "", "", "", ""],
        ["Е Е", "e@example.ru", "77", "", "царь", ""],
        ["Ж Ж", "zh@example.ru", "77", "Жуков", "", ""],
        ["З З", "z@example.ru", "77", "", "", "Нет такой"],
        ["И И", "i@example.ru", "77", "", "", "Старая"],
        ["К К", "k@example.ru", "77", "", "", "Питер"],
        ["Л Л", "l@example.ru", "", "", "преподаватель", "Питер"],
        ["М М", "m@example.ru", "77", "", "", ""],
    )
    assert problems(plan) == {
        2: [("ФИО", "full_name_missing")],
        3: [("Эл. почта", "email_invalid")],
        4: [("Эл. почта", "email_missing")],
        5: [("Регион", "region_unknown")],
        6: [("Регион", "region_missing")],
        7: [("Роль", "role_unknown")],
        8: [("Логин", "username_invalid")],
        9: [("Группа", "cohort_unknown")],
        10: [("Группа", "cohort_archived")],
        11: [("Группа", "cohort_region")],
        12: [("Группа", "cohort_not_candidate")],
    }
    assert plan.rows[-1].outcome == Outcome.NEW
    assert (
        describe(plan.rows[9].issues[0].problem)
        == "Группа «Питер» — для региона 78, а кандидат из региона 77."
    )


def test_xlsx_cell_problems_reach_the_row_only_in_columns_the_import_reads(admin):
    content = xlsx_bytes(
        [
            ["ФИО", "Эл. почта", "Регион", "Заметки"],
            ["А А", "a@example.ru", "=70+7", "=1/0"],
            ["Б Б", "b@example.ru", 78, "=1+1"],
        ]
    )
    plan = build_plan(content, admin)
    assert problems(plan) == {2: [("Регион", "formula_without_value")]}
    assert plan.rows[1].outcome == Outcome.NEW
    assert [note.code for note in plan.notes] == ["unknown_columns"]


def test_a_refused_file_has_no_rows(admin):
    plan = build_plan(csv_bytes([["ФИО", "Телефон"], ["А", "1"]]), admin)
    assert plan.refused.code == "missing_columns" and plan.rows == []
    assert describe(plan.refused).startswith("Нет обязательного столбца: Эл. почта, Регион.")


def test_regional_coordinator_imports_candidates_of_their_region_only(make_user):
    coordinator = make_user("coord77", role="coordinator", region="77")
    make_user("far", region="50", full_name="Дальний", email="far@example.ru")
    make_user("near", region="77", full_name="Ближний", email="near@example.ru")
    create_cohort("Москва-1", region_code="77")
    db.session.commit()
    plan = plan_of(
        coordinator,
        ["Новый Москвич", "new@example.ru", "77", "", "", ""],
        ["Новый Подмосковный", "new50@example.ru", "50", "", "", ""],
        ["Новый Учитель", "teacher@example.ru", "77", "", "преподаватель", ""],
        ["Дальний", "far@example.ru", "77", "", "", ""],  # exists in region 50: not theirs to move
        ["Ближний Переименованный", "near@example.ru", "77", "", "", ""],
        ["В группу", "cohort@example.ru", "77", "", "", "Москва-1"],
    )
    assert problems(plan) == {
        3: [("Регион", "text")],
        4: [("Роль", "text")],
        5: [("", "not_manageable")],
        7: [("Группа", "cohort_not_allowed")],
    }
    assert (
        describe(plan.rows[1].issues[0].problem) == "Вы управляете учётными записями только своего региона."
    )
    assert [row.outcome for row in plan.rows] == [
        Outcome.NEW,
        Outcome.ERROR,
        Outcome.ERROR,
        Outcome.ERROR,
        Outcome.UPDATE,
        Outcome.ERROR,
    ]


def test_national_coordinator_and_own_account(make_user):
    coordinator = make_user("natco", role="coordinator", full_name="Нац Коорд", email="natco@example.ru")
    make_user("root", role="admin", full_name="Админ", email="root@example.ru")
    plan = plan_of(
        coordinator,
        ["Новый Координатор", "c1@example.ru", "", "", "координатор", ""],  # needs a region
        ["Новый Координатор", "c2@example.ru", "61", "", "координатор", ""],
        ["Админ", "root@example.ru", "", "", "", ""],  # not theirs, even unchanged
        ["Нац Коорд", "natco@example.ru", "", "", "", ""],  # themselves, unchanged: fine
        ["Нац Коорд Новый", "natco@example.ru", "", "", "", ""],  # themselves, changed
    )
    assert problems(plan) == {
        2: [("Регион", "text")],
        4: [("", "not_manageable")],
        5: [("Эл. почта", "duplicate_email")],
        6: [("", "own_account"), ("Эл. почта", "duplicate_email")],
    }
    plan = plan_of(coordinator, ["Нац Коорд Новый", "natco@example.ru", "", "", "", ""])
    assert problems(plan) == {2: [("", "own_account")]}


def test_notes_do_not_stop_a_row(admin, make_user):
    from lms.accounts.services import deactivate_user

    gone = make_user("gone", region="77", full_name="Ушедший", email="gone@example.ru")
    deactivate_user(gone)
    db.session.commit()
    plan = plan_of(
        admin,
        ["Ушедший", "gone@example.ru", "77", "", "", ""],
        ["Без Почты", "", "77", "bezpochty", "", ""],
        invite=True,
    )
    assert problems(plan) == {}
    assert [[note.code for note in row.notes] for row in plan.rows] == [["deactivated"], ["no_invitation"]]


@pytest.mark.parametrize("size", [20, 400])
def test_queries_do_not_grow_with_the_rows(admin, make_user, size):
    create_cohort("Весна", region_code=None)
    for n in range(5):
        make_user(f"existing{n}", region="77", full_name=f"Есть {n}", email=f"e{n}@example.ru")
    make_user("ivanov.ip")
    rows = [
        ["Есть 0", "e0@example.ru", "77", "", "", "Весна"],
        ["Иванов Иван Петрович", "ivanov@example.ru", "77", "", "", ""],
    ]
    rows += [[f"Иванов Иван Петрович {n}", f"new{n}@example.ru", "77", "", "", "Весна"] for n in range(size)]
    db.session.commit()
    content = csv_bytes([HEADER, *rows], delimiter=";")
    assert admin.role == "admin"  # loaded again after the commit, before counting
    with Statements("SELECT") as statements:
        plan = build_plan(content, admin)
    assert problems(plan) == {}
    # regions, cohorts, users by email, taken usernames, their numbered forms, memberships
    assert len(statements.sql) == 6, statements.sql
