"""Certificates end to end through the pages: the candidate's home and download, the PDF itself
(read back as text and as an image), public verification, revocation, the coordinators' list and
export, and the look-up limit."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile

import pytest
import sqlalchemy as sa
from PIL import Image
from pypdf import PdfReader

from lms.audit.models import AuditEvent
from lms.certificates.models import Certificate, CourseCompletion
from lms.certificates.services import recompute_all
from lms.content.models import Course
from lms.extensions import db
from lms.notifications.models import Notification
from tests.certificates.conftest import REVOKED_AT
from tests.certificates.helpers import finish_course


def state() -> list[tuple]:
    db.session.rollback()
    rows = db.session.execute(
        sa.select(Certificate.id, Certificate.code, Certificate.revoked_at, CourseCompletion.lapsed_at).join(
            CourseCompletion
        )
    )
    return [tuple(row) for row in rows]


def test_home_shows_the_completion_date_and_the_certificate_link(client, auth, finished):
    auth.login("anna")
    html = client.get("/").get_data(as_text=True)
    assert "Курс завершён 6 дек. 2026\u202fг." in html
    assert f'href="/certificates/{finished.code}.pdf"' in html
    assert "Скачать сертификат (PDF)" in html


def test_the_course_page_shows_them_too(client, auth, finished):
    auth.login("anna")
    html = client.get("/courses/ex-course").get_data(as_text=True)
    assert "Курс завершён 6 дек. 2026\u202fг." in html
    assert f'href="/certificates/{finished.code}.pdf"' in html


def test_the_pdf_reads_back_with_the_name_and_the_code(client, auth, finished):
    db.session.execute(sa.update(Certificate).values(hours=1.5))
    db.session.commit()
    auth.login("anna")
    response = client.get(f"/certificates/{finished.code}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "private, no-store"
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    for expected in (
        "СЕРТИФИКАТ",
        "ВЫСШАЯ ПАРТИЙНАЯ ШКОЛА",
        "Анна Петрова",
        "«Практика работы с избирателями»",
        "Дата завершения: 6 декабря 2026\u202fг.",
        "Объём курса: 1,5 часа",
        "Умение слушать: 3 из 3",
        "План дворовой встречи: 9 из 9",
        f"Код проверки: {finished.code}",
        f"http://127.0.0.1:5000/verify/{finished.code}",
    ):
        assert expected in text, expected


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is not installed")
def test_the_pdf_is_an_a4_landscape_page_with_ink_on_it(client, auth, finished, tmp_path):
    auth.login("anna")
    (tmp_path / "certificate.pdf").write_bytes(client.get(f"/certificates/{finished.code}.pdf").data)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", "-singlefile", "certificate.pdf", "page"],
        cwd=tmp_path,
        check=True,
    )
    image = Image.open(tmp_path / "page.png").convert("L")
    width, height = image.size
    assert width > height
    assert abs(width / height - 297 / 210) < 0.01
    dark = sum(image.histogram()[:128])
    assert dark / (width * height) > 0.02  # frame, text and the QR code; a blank page has none


@pytest.mark.parametrize(
    ("who", "role", "region", "status"),
    [
        ("boris", "candidate", "77", 404),
        ("igor2", "instructor", None, 404),
        ("olga", "coordinator", "77", 200),
        ("petr", "coordinator", "78", 404),
        ("nina", "coordinator", None, 200),
        ("boss", "admin", None, 200),
    ],
)
def test_only_the_candidate_and_staff_in_scope_download_it(
    client, auth, finished, make_user, who, role, region, status
):
    make_user(who, role=role, region=region)
    auth.login(who)
    assert client.get(f"/certificates/{finished.code}.pdf").status_code == status


def test_signed_out_download_goes_to_sign_in(client, finished):
    response = client.get(f"/certificates/{finished.code}.pdf")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_anyone_verifies_a_certificate_and_sees_nothing_else(client, finished):
    html = client.get(f"/verify/{finished.code}").get_data(as_text=True)
    assert "Сертификат подлинный" in html
    assert "Анна Петрова" in html
    assert "Практика работы с избирателями" in html
    assert "6 дек. 2026\u202fг." in html
    assert "действителен" in html
    for private in ("anna", "Умение слушать", "План дворовой встречи", "igor"):
        assert private not in html


def test_the_lookup_form_is_a_get_with_the_same_answer(client, finished):
    form = client.get("/verify").get_data(as_text=True)
    assert 'method="get"' in form and 'name="code"' in form
    html = client.get("/verify", query_string={"code": f"  {finished.code} "}).get_data(as_text=True)
    assert "Сертификат подлинный" in html and "Анна Петрова" in html


def test_an_unknown_code_is_a_clear_404(client, finished):
    response = client.get("/verify/nosuchcode12345678901")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Сертификата с таким кодом нет" in html
    assert "Анна Петрова" not in html


def test_an_admin_revokes_with_a_reason_and_verification_says_so(
    client, auth, finished, make_user, monkeypatch
):
    make_user("boss", role="admin")
    auth.login("boss")
    page = f"/certificates/{finished.id}/revoke"
    refused = auth.post(page, {"reason": "   "}, page=page)
    assert refused.status_code == 200
    assert "Укажите, почему сертификат отзывается." in refused.get_data(as_text=True)
    assert state()[0][2] is None
    monkeypatch.setattr("lms.certificates.services.utcnow", lambda: REVOKED_AT)
    response = auth.post(page, {"reason": "Ошибка в данных"}, page=page)
    assert (response.status_code, response.headers["Location"]) == (302, "/dashboard/certificates")
    auth.logout()
    auth.login("anna")
    home = client.get("/").get_data(as_text=True)
    assert "сертификат отозван 20 дек. 2026\u202fг." in home
    assert f"/certificates/{finished.code}.pdf" not in home
    auth.logout()
    html = client.get(f"/verify/{finished.code}").get_data(as_text=True)
    assert "Сертификат отозван" in html
    assert "Отозван 20 дек. 2026\u202fг." in html
    assert "Ошибка в данных" not in html  # the reason is for the school, not for the public page
    db.session.rollback()
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "certificate.revoke"))
    assert (event.actor_name, event.target_id, event.details) == (
        "boss",
        str(finished.id),
        {"code": finished.code, "reason": "Ошибка в данных"},
    )


def test_coordinators_cannot_revoke(client, auth, finished, make_user):
    make_user("olga", role="coordinator", region="77")
    auth.login("olga")
    page = f"/certificates/{finished.id}/revoke"
    assert client.get(page).status_code == 403
    assert auth.post(page, {"reason": "x"}, page="/").status_code == 403
    assert state()[0][2] is None


def test_a_revoke_without_csrf_is_refused(client, auth, finished, make_user):
    make_user("boss", role="admin")
    auth.login("boss")
    response = client.post(f"/certificates/{finished.id}/revoke", data={"reason": "x"})
    assert response.status_code == 400
    assert state()[0][2] is None


def test_verification_is_rate_limited_per_address(app, client, finished):
    app.config["VERIFY_MAX_LOOKUPS"] = 3
    assert client.get("/verify/guess-one").status_code == 404
    assert client.get("/verify/guess-two").status_code == 404
    assert client.get(f"/verify/{finished.code}").status_code == 200
    limited = client.get(f"/verify/{finished.code}")
    assert limited.status_code == 429
    assert "С вашего адреса проверено слишком много сертификатов." in limited.get_data(as_text=True)
    assert client.get("/verify", query_string={"code": finished.code}).status_code == 429
    other = client.get(f"/verify/{finished.code}", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200


@pytest.fixture
def two_regions(app, finished, make_user):
    """Boris of region 78 finished too; his name starts with a formula."""
    boris = make_user("boris", full_name="=HYPERLINK(1)", region="78")
    finish_course(app, boris, db.session.scalar(sa.select(type(boris)).where(type(boris).username == "igor")))
    return db.session.scalar(sa.select(Certificate).where(Certificate.user_id == boris.id))


def test_coordinators_see_and_export_their_scope_only(client, auth, finished, two_regions, make_user):
    make_user("olga", role="coordinator", region="77")
    auth.login("olga")
    html = client.get("/dashboard/certificates").get_data(as_text=True)
    assert finished.code in html and "Анна Петрова" in html
    assert two_regions.code not in html
    assert "Отозвать" not in html  # revoking is for admins
    response = client.get("/dashboard/certificates.csv")
    assert response.headers["Content-Disposition"] == 'attachment; filename="certificates.csv"'
    lines = response.get_data(as_text=True).removeprefix("\ufeff").splitlines()
    assert lines[0] == (
        "Код проверки,ФИО,Имя пользователя,Регион,Курс,Дата завершения,Часы,Дата отзыва,Причина отзыва"
    )
    assert lines[1:] == [f"{finished.code},Анна Петрова,anna,77,Практика работы с избирателями,2026-12-06,,,"]
    db.session.rollback()
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "export.certificates"))
    assert (event.actor_name, event.details) == ("olga", {"rows": 1})


def test_the_export_neutralises_formulas(client, auth, finished, two_regions, make_user):
    make_user("nina", role="coordinator", region=None)
    auth.login("nina")
    text = client.get("/dashboard/certificates.csv").get_data(as_text=True)
    assert "'=HYPERLINK(1)" in text
    assert ",=HYPERLINK" not in text


def test_candidates_and_instructors_have_no_certificate_list(client, auth, finished, make_user):
    make_user("igor2", role="instructor")
    for who in ("anna", "igor2"):
        auth.login(who)
        assert client.get("/dashboard/certificates").status_code == 403
        assert client.get("/dashboard/certificates.csv").status_code == 403
        auth.logout()


def test_no_get_changes_a_completion_or_a_certificate(client, auth, finished, make_user):
    make_user("boss", role="admin")
    before = state()
    for who in ("anna", "boss"):
        auth.login(who)
        for path in (
            "/",
            f"/certificates/{finished.code}.pdf",
            f"/verify/{finished.code}",
            "/dashboard/certificates",
            "/dashboard/certificates.csv",
            f"/certificates/{finished.id}/revoke",
        ):
            client.get(path)
        auth.logout()
    assert state() == before


def test_the_candidate_is_told_once_that_the_certificate_was_issued(client, auth, finished):
    recompute_all()  # issuing again is a no-op, and so is its notification
    db.session.commit()
    told = db.session.execute(sa.select(Notification.kind, Notification.link)).all()
    assert [row for row in told if row.kind == "certificate_issued"] == [
        ("certificate_issued", "/courses/ex-course")
    ]
    auth.login("anna")
    page = client.get("/notifications/").get_data(as_text=True)
    assert f"Ваш сертификат по курсу «{finished.course_title}» готов." in page


def test_control_characters_stored_before_the_check_still_print_and_export(client, auth, finished, make_user):
    # The loader now refuses them in front matter (E108); a title imported before that, or a name
    # from elsewhere, must still give the PDF and the spreadsheet rather than a 500.
    make_user("nina", role="coordinator", region=None)
    db.session.execute(
        sa.update(Certificate).values(
            course_title="Курс\x1b[31m\u2028конец\x7f", full_name="Анна\x01 Петрова"
        )
    )
    db.session.execute(sa.update(Course).values(title="Курс\x1b[31m\u2028конец\x7f"))
    db.session.commit()
    auth.login("anna")
    response = client.get(f"/certificates/{finished.code}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    auth.logout()
    auth.login("nina")
    assert client.get("/dashboard/certificates.csv").status_code == 200
    response = client.get("/dashboard/regions/77/export.xlsx")
    assert response.status_code == 200 and response.data.startswith(b"PK")
    assert b"_x001B_" in zipfile.ZipFile(io.BytesIO(response.data)).read("xl/worksheets/sheet1.xml")
