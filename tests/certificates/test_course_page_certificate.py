"""The course page reads the reader's completion and certificate in its one statement."""

from __future__ import annotations

import sqlalchemy as sa

from lms.certificates.models import Certificate
from lms.extensions import db
from tests.certificates.conftest import REVOKED_AT
from tests.statements import Statements

COURSE = "/courses/ex-course"


def test_the_course_page_reads_the_completion_in_its_one_statement(client, auth, finished):
    auth.login("anna")
    client.get(COURSE)
    with Statements() as statements:
        html = client.get(COURSE).get_data(as_text=True)
    assert statements.verbs == ["SELECT"], statements.sql
    assert "Курс завершён 6 дек. 2026\u202fг." in html
    assert f'href="/certificates/{finished.code}.pdf"' in html


def test_a_revoked_certificate_is_said_so_without_its_link(client, auth, finished, make_user):
    db.session.execute(sa.update(Certificate).values(revoked_at=REVOKED_AT))
    db.session.commit()
    make_user("boris")
    auth.login("anna")
    html = client.get(COURSE).get_data(as_text=True)
    assert "Курс завершён 6 дек. 2026\u202fг." in html and "сертификат отозван 20 дек. 2026\u202fг." in html
    assert f"/certificates/{finished.code}.pdf" not in html
    auth.logout()
    auth.login("boris")  # the same page for another reader says nothing of Anna's
    html = client.get(COURSE).get_data(as_text=True)
    assert "Курс завершён" not in html and "сертификат отозван" not in html
