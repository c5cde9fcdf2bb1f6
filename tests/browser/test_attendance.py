"""Seminar attendance in the browser: a participant checks in by the room's QR code during the
session (and is refused outside its window); an instructor takes attendance on a 390 px phone
whose connection drops and comes back, and every mark arrives once."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page, Route, expect
from playwright.sync_api import Error as PlaywrightError

from lms.accounts.models import LoginSession, User
from lms.audit.models import AuditEvent
from lms.content.models import Course, CourseStaff
from lms.core.time import utcnow
from lms.extensions import db
from lms.seminars.attendance_models import Attendance
from lms.seminars.models import Seminar, SeminarInvite, SeminarSession, SessionLink
from tests.browser.conftest import assert_accessible, assert_fits
from tests.conftest import DEFAULT_PASSWORD

PHONE = {"width": 390, "height": 844}
TAKE = "/seminars/vybory/sessions/now/attendance"


@pytest.fixture
def seminar(imported, make_user) -> Seminar:
    """Region 77 invited: Anna, Boris, Vera; Igor teaches the course that prepares for the session
    running now ("now"); "tomorrow" has not opened yet."""
    for username, name in (("anna", "Анна Петрова"), ("boris", "Борис Иванов"), ("vera", "Вера Сидорова")):
        make_user(username, region="77", full_name=name)
    igor = make_user("igor", role="instructor", full_name="Игорь Петров")
    course = db.session.scalar(sa.select(Course).where(Course.key == "tiny-course"))
    db.session.add(CourseStaff(course_id=course.id, user_id=igor.id))
    now = utcnow().replace(microsecond=0)
    today = now.date()
    seminar = Seminar(key="vybory", title="Выборы-2027", starts_on=today, ends_on=today + timedelta(days=1))
    seminar.invites = [SeminarInvite(region_id="77")]
    seminar.sessions = [
        SeminarSession(
            key="now",
            title="Работа с избирателями",
            starts_at=now - timedelta(minutes=5),
            ends_at=now + timedelta(hours=1),
            room="Большой зал",
            position=1,
        ),
        SeminarSession(
            key="tomorrow",
            title="Финансы кампании",
            day=2,
            starts_at=now + timedelta(days=1),
            ends_at=now + timedelta(days=1, hours=1),
            position=2,
        ),
    ]
    db.session.add(seminar)
    db.session.flush()
    db.session.add(SessionLink(session_id=seminar.sessions[0].id, course_id=course.id, relation="prepare"))
    db.session.commit()
    return seminar


def phone(browser: Browser, base: str, username: str) -> Page:
    context = browser.new_context(locale="ru-RU", viewport=PHONE)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{base}/login")
    page.get_by_label("Имя пользователя").fill(username)
    page.get_by_label("Пароль").fill(DEFAULT_PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Войти").click()
    expect(page.get_by_role("button", name="Выйти")).to_be_visible()
    return page


def stored() -> list[tuple[str, str, str]]:
    db.session.rollback()  # a fresh read, not the test's snapshot from before the server wrote
    rows = db.session.execute(
        sa.select(User.username, Attendance.status, Attendance.source)
        .join(User, User.id == Attendance.user_id)
        .order_by(User.username)
    )
    return [tuple(row) for row in rows]


def row(page: Page, username: str):
    user_id = db.session.scalar(sa.select(User.id).where(User.username == username))
    return page.locator(f"#p-{user_id}")


# attendance.js sends waiting marks on the `online` event and retries every 5 s (RETRY_MS). A mark
# that may have to wait for the retry is given longer than `expect`'s own 5 s.
SENT = {"timeout": 15_000}


class Connection:
    """The phone's connection to the server, cut for the page and its service worker alike.

    `set_offline` gives the page `navigator.onLine` and the `online` event that attendance.js acts
    on, but it is Chromium's emulation, applied per DevTools target (the page, then the worker),
    and not a promise that nothing reaches the server: once the worker has been stopped and
    started again (Chromium stops idle workers), a page reloaded "offline" reads `navigator.onLine`
    as true, sends its waiting marks at once, and gets no `online` event when the connection comes
    back; worker traffic has slipped past it too (microsoft/playwright#2311). So while the
    connection is down a context route, which sees the worker's requests as well as the page's,
    refuses every request to the server as a dropped connection would; `tried` keeps what was
    tried, for the failure message.
    """

    def __init__(self, page: Page, base: str) -> None:
        self.context = page.context
        self.everything = f"{base}/**"
        self.tried: list[tuple[str, str]] = []

    def _refuse(self, route: Route) -> None:
        self.tried.append((route.request.method, route.request.url))
        route.abort("internetdisconnected")

    def drop(self) -> None:
        self.context.route(self.everything, self._refuse)  # first: nothing gets through from here
        self.context.set_offline(True)

    def restore(self) -> None:
        self.context.unroute(self.everything, self._refuse)
        self.context.set_offline(False)  # last: its `online` event sends the queue (or the retry)


def test_a_participant_checks_in_by_the_rooms_qr_code(browser: Browser, live_server, seminar):
    screen = phone(browser, live_server, "igor")
    screen.set_viewport_size({"width": 1280, "height": 900})
    screen.goto(f"{live_server}/seminars/vybory/sessions/now/qr")
    expect(screen.locator("svg.qr-svg")).to_be_visible()
    assert_accessible(screen)
    link = screen.locator("a.qr-url").get_attribute("href")
    tomorrow = link.replace("/sessions/now/", "/sessions/tomorrow/")  # a real code, of another session

    anna = phone(browser, live_server, "anna")
    anna.goto(link)
    expect(anna.get_by_role("heading", name="Отметка о приходе")).to_be_visible()
    assert stored() == []  # opening the link changes nothing
    assert_accessible(anna)
    assert_fits(anna)
    anna.get_by_role("button", name="Отметиться").click()
    expect(anna.get_by_text("Вы отметились: Присутствует.")).to_be_visible()
    assert stored() == [("anna", "present", "qr")]

    # Tomorrow's session, with tomorrow's code shown today: refused, nothing recorded.
    screen.goto(f"{live_server}/seminars/vybory/sessions/tomorrow/qr")
    tomorrow = screen.locator("a.qr-url").get_attribute("href")
    boris = phone(browser, live_server, "boris")
    boris.goto(tomorrow)
    expect(boris.get_by_role("alert")).to_have_text("Отметка на это занятие ещё не открыта.")
    expect(boris.get_by_role("button", name="Отметиться")).to_have_count(0)
    assert_accessible(boris)
    assert stored() == [("anna", "present", "qr")]


def test_an_instructor_takes_attendance_offline_and_every_mark_arrives_once(
    browser: Browser, live_server, seminar
):
    page = phone(browser, live_server, "igor")
    page.goto(live_server + TAKE)
    expect(page.get_by_role("heading", name="Посещаемость: Работа с избирателями")).to_be_visible()
    assert_accessible(page)
    assert_fits(page, 390)
    connection = Connection(page, live_server)

    connection.drop()
    row(page, "anna").get_by_label("Присутствует").check()
    row(page, "boris").get_by_label("Опоздал(а)").check()
    row(page, "boris").get_by_label("Примечание").fill("пробки на МКАД")
    row(page, "boris").get_by_role("button", name="Сохранить").click()
    for username in ("anna", "boris"):
        expect(row(page, username).locator(".attendance-state")).to_have_text("ждёт отправки")
    expect(page.get_by_role("status")).to_contain_text("Нет связи")
    expect(page.get_by_role("status")).to_contain_text("Отметок ждут связи: 2.")
    assert stored() == [], connection.tried

    connection.restore()  # the `online` event sends the queue
    for username in ("anna", "boris"):
        expect(row(page, username).locator(".attendance-state")).to_have_text("сохранено", **SENT)
    expect(page.get_by_role("status")).to_have_text("Все отметки сохранены.")
    assert stored() == [("anna", "present", "list"), ("boris", "late", "list")]

    # Offline again, Vera's mark is made and the page reloaded: the service worker answers with
    # the kept copy, the mark is still waiting on the phone, and goes when the connection returns.
    page.wait_for_function("() => navigator.serviceWorker && navigator.serviceWorker.controller !== null")
    # The emptied queue asked the worker to keep a fresh copy (attendance.js); it is fetched in the
    # background, so wait until the copy holds what was saved before the connection goes.
    eventually(
        page,
        "async (path) => { const copy = await caches.match(path); "
        "return !!copy && (await copy.text()).includes('пробки на МКАД'); }",
        TAKE,
    )
    connection.drop()
    row(page, "vera").get_by_label("Отсутствует").check()
    expect(row(page, "vera").locator(".attendance-state")).to_have_text("ждёт отправки")
    reloaded = page.reload()
    assert reloaded is not None and reloaded.from_service_worker  # the kept copy, not the server
    expect(row(page, "vera").get_by_label("Отсутствует")).to_be_checked()
    expect(row(page, "vera").locator(".attendance-state")).to_have_text("ждёт отправки")
    expect(row(page, "anna").get_by_label("Присутствует")).to_be_checked()  # the copy knows what was saved
    assert stored() == [("anna", "present", "list"), ("boris", "late", "list")], connection.tried
    connection.restore()
    expect(row(page, "vera").locator(".attendance-state")).to_have_text("сохранено", **SENT)

    assert stored() == [("anna", "present", "list"), ("boris", "late", "list"), ("vera", "absent", "list")]
    marked = db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "attendance.mark")
    )
    assert marked == 3  # each mark applied once
    assert (
        db.session.scalar(
            sa.select(Attendance.note)
            .join(User, User.id == Attendance.user_id)
            .where(User.username == "boris")
        )
        == "пробки на МКАД"
    )


def test_the_list_works_without_script(browser: Browser, live_server, seminar):
    context = browser.new_context(locale="ru-RU", viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.get_by_label("Имя пользователя").fill("igor")
    page.get_by_label("Пароль").fill(DEFAULT_PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Войти").click()
    page.goto(live_server + TAKE)
    row(page, "anna").get_by_label("Уважительная причина").check()
    row(page, "anna").get_by_role("button", name="Сохранить").click()
    expect(page.get_by_text("Сохранено: Анна Петрова — Уважительная причина.")).to_be_visible()
    expect(row(page, "anna").get_by_label("Уважительная причина")).to_be_checked()
    assert stored() == [("anna", "excused", "list")]
    context.close()


def test_a_regional_coordinator_sees_and_exports_their_region_only(
    browser: Browser, live_server, seminar, make_user, tmp_path
):
    make_user("pavel", role="coordinator", region="77", full_name="Павел Смирнов")
    make_user("tver", region="69", full_name="Тверской Участник")
    seminar.invites.append(SeminarInvite(region_id="69"))
    db.session.commit()
    page = phone(browser, live_server, "pavel")
    page.goto(f"{live_server}/seminars/vybory/attendance")
    regions = page.get_by_role("region", name="По регионам")
    expect(regions.get_by_role("rowheader")).to_have_count(1)
    expect(regions.get_by_role("rowheader")).to_contain_text("77")
    assert_accessible(page)
    assert_fits(page, 390)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV для Excel (русский)").click()
    saved = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(saved)
    lines = saved.read_text("utf-8-sig").splitlines()
    assert len(lines) == 1 + 3 * 2  # Anna, Boris and Vera of region 77, two sessions each
    assert not any("Тверской" in line for line in lines)


# --- Signing out on a shared phone ---------------------------------------------------------------

TOMORROW = "/seminars/vybory/sessions/tomorrow/attendance"
KEPT = "async (path) => { const copy = await caches.match(path); return copy ? await copy.text() : null; }"
CACHES = "async () => await caches.keys()"
WORKERS = "async () => (await navigator.serviceWorker.getRegistrations()).map((r) => r.scope)"


def eventually(page: Page, predicate: str, arg: object = None) -> None:
    """Wait until an async predicate holds in the page (wait_for_function takes its promise for
    a true value): polled in the page, for at most the tests' 10 seconds."""
    held = page.evaluate(
        f"""async (arg) => {{
            const check = {predicate};
            for (let i = 0; i < 200; i++) {{
                if (await check(arg)) {{ return true; }}
                await new Promise((resolve) => setTimeout(resolve, 50));
            }}
            return false;
        }}""",
        arg,
    )
    assert held, predicate


def keep_list_offline(page: Page, base: str, path: str = TAKE) -> None:
    """Open the list and wait until its service worker controls it and has kept the copy."""
    page.goto(base + path)
    expect(page.get_by_role("heading", name="Посещаемость", exact=False)).to_be_visible()
    page.wait_for_function("() => navigator.serviceWorker && navigator.serviceWorker.controller !== null")
    eventually(page, "async (path) => !!(await caches.match(path))", path)


def offline_list_shows_no_names(page: Page, base: str, path: str = TAKE) -> None:
    """Without a connection the list's address fails (the browser's own offline page) and shows
    none of the participants."""
    page.context.set_offline(True)
    probe = page.context.new_page()  # a new tab of the same browser: the same worker and caches
    with pytest.raises(PlaywrightError, match=r"ERR_INTERNET_DISCONNECTED|ERR_FAILED"):
        probe.goto(base + path)
    for name in ("Анна Петрова", "Борис Иванов", "Вера Сидорова"):
        expect(probe.get_by_text(name)).to_have_count(0)
    probe.close()
    page.context.set_offline(False)


def test_signing_out_removes_the_lists_offline_copy(browser: Browser, live_server, seminar):
    page = phone(browser, live_server, "igor")
    keep_list_offline(page, live_server)
    assert "Анна Петрова" in page.evaluate(KEPT, TAKE)  # what would stay on the phone
    assert page.evaluate(WORKERS) == [f"{live_server}/seminars/"]

    page.get_by_role("button", name="Выйти").click()
    expect(page.get_by_text("Вы вышли из системы.")).to_be_visible()
    assert page.evaluate(CACHES) == []
    assert page.evaluate(KEPT, TAKE) is None
    assert page.evaluate(WORKERS) == []
    offline_list_shows_no_names(page, live_server)


def test_the_sign_out_answer_itself_clears_the_copy(browser: Browser, live_server, seminar):
    """Clear-Site-Data alone, without signout.js (form.submit() skips its submit handler)."""
    page = phone(browser, live_server, "igor")
    keep_list_offline(page, live_server)
    with page.expect_navigation():
        page.evaluate("() => document.getElementById('signout-form').submit()")
    expect(page.get_by_role("button", name="Войти")).to_be_visible()
    assert page.evaluate(CACHES) == []
    assert page.evaluate(WORKERS) == []
    offline_list_shows_no_names(page, live_server)


def test_the_worker_shows_no_copy_once_the_sign_in_ended_elsewhere(
    browser: Browser, live_server, seminar, make_user
):
    """Signed out without this phone (the session ended on "My sessions"): the next load of the list
    meets the sign-in page and the worker drops its copy; another user's list replaces it whole."""
    make_user("pavel", role="coordinator", region="77", full_name="Павел Смирнов")
    db.session.commit()
    page = phone(browser, live_server, "igor")
    keep_list_offline(page, live_server)
    db.session.execute(sa.update(LoginSession).values(revoked_at=utcnow()))
    db.session.commit()

    page.goto(live_server + TAKE)  # online: the sign-in page answers, through the worker
    expect(page.get_by_role("button", name="Войти")).to_be_visible()
    eventually(page, "async () => (await caches.keys()).length === 0")
    offline_list_shows_no_names(page, live_server)

    # Igor's copy again, then Pavel signs in on the same phone and opens another list.
    page.get_by_label("Имя пользователя").fill("igor")
    page.get_by_label("Пароль").fill(DEFAULT_PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Войти").click()
    keep_list_offline(page, live_server)
    db.session.execute(sa.update(LoginSession).values(revoked_at=utcnow()))
    db.session.commit()
    page.goto(f"{live_server}/login")
    page.get_by_label("Имя пользователя").fill("pavel")
    page.get_by_label("Пароль").fill(DEFAULT_PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Войти").click()
    expect(page.get_by_role("button", name="Выйти")).to_be_visible()
    keep_list_offline(page, live_server, TOMORROW)
    assert page.evaluate(KEPT, TAKE) is None  # Igor's list is gone, not kept beside Pavel's
    offline_list_shows_no_names(page, live_server)


def test_a_page_shown_signed_out_deletes_the_kept_list(browser: Browser, live_server, seminar):
    """For browsers that ignore Clear-Site-Data, and a sign-in that ended elsewhere: the sign-in
    page (outside the worker's scope, so the worker never sees it) deletes the kept copy itself."""
    page = phone(browser, live_server, "igor")
    keep_list_offline(page, live_server)
    db.session.execute(sa.update(LoginSession).values(revoked_at=utcnow()))
    db.session.commit()
    page.goto(f"{live_server}/login")
    expect(page.get_by_role("main").get_by_role("button", name="Войти")).to_be_visible()
    eventually(page, "async () => (await caches.keys()).length === 0")
    assert page.evaluate(KEPT, TAKE) is None
    offline_list_shows_no_names(page, live_server)


def test_signing_out_warns_of_marks_not_yet_sent(browser: Browser, live_server, seminar):
    page = phone(browser, live_server, "igor")
    keep_list_offline(page, live_server)
    # The marks cannot reach the server (a dead connection that the phone thinks is up).
    page.route("**/attendance/*", lambda route: route.abort())
    row(page, "anna").get_by_label("Присутствует").check()
    row(page, "boris").get_by_label("Опоздал(а)").check()
    expect(page.get_by_role("status")).to_contain_text("Отметок ждут связи: 2.")

    page.get_by_role("button", name="Выйти").click()
    warning = page.get_by_role("dialog", name="Отметки посещаемости ещё не отправлены")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("Не отправлено отметок с этого телефона: 2.")
    expect(warning.get_by_role("link", name="Открыть список и отправить их")).to_have_attribute("href", TAKE)
    expect(warning.get_by_role("link", name="Открыть список и отправить их")).to_be_focused()
    assert_accessible(page)
    assert_fits(page)

    warning.get_by_role("button", name="Не выходить").click()  # back: nothing lost, still signed in
    expect(warning).to_be_hidden()
    expect(page.get_by_role("button", name="Выйти")).to_be_visible()
    assert page.evaluate(KEPT, TAKE) is not None
    page.unroute("**/attendance/*")
    for username in ("anna", "boris"):  # sent by the next retry: no `online` event comes
        expect(row(page, username).locator(".attendance-state")).to_have_text("сохранено", **SENT)
    assert stored() == [("anna", "present", "list"), ("boris", "late", "list")]

    page.get_by_role("button", name="Выйти").click()  # nothing waits: no question
    expect(page.get_by_text("Вы вышли из системы.")).to_be_visible()
    assert page.evaluate(CACHES) == []


def test_signing_out_with_marks_waiting_deletes_them_only_when_told_to(
    browser: Browser, live_server, seminar
):
    page = phone(browser, live_server, "igor")
    keep_list_offline(page, live_server)
    page.route("**/attendance/*", lambda route: route.abort())
    row(page, "vera").get_by_label("Отсутствует").check()
    expect(row(page, "vera").locator(".attendance-state")).to_have_text("ждёт отправки")

    page.get_by_role("button", name="Выйти").click()
    warning = page.get_by_role("dialog", name="Отметки посещаемости ещё не отправлены")
    warning.get_by_role("button", name="Выйти и удалить их").click()
    expect(page.get_by_text("Вы вышли из системы.")).to_be_visible()
    assert page.evaluate("() => Object.keys(localStorage)") == []
    assert page.evaluate(CACHES) == []
    assert stored() == []


def test_marks_left_waiting_by_another_user_are_not_sent_under_this_ones_name(
    browser: Browser, live_server, seminar, make_user
):
    make_user("pavel", role="coordinator", region="77", full_name="Павел Смирнов")
    db.session.commit()
    page = phone(browser, live_server, "igor")
    # As in the tests above: the worker controls the list before the route is set. A worker that
    # claims the page mid-test sent the mark past the route (a CI run saw it saved).
    keep_list_offline(page, live_server)
    page.route("**/attendance/*", lambda route: route.abort())
    row(page, "anna").get_by_label("Отсутствует").check()
    expect(row(page, "anna").locator(".attendance-state")).to_have_text("ждёт отправки")
    page.context.set_offline(True)  # Igor's sign-in ends elsewhere while the mark still waits
    page.unroute("**/attendance/*")
    db.session.execute(sa.update(LoginSession).values(revoked_at=utcnow()))
    db.session.commit()
    page.context.set_offline(False)

    page.goto(f"{live_server}/login")
    page.get_by_label("Имя пользователя").fill("pavel")
    page.get_by_label("Пароль").fill(DEFAULT_PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Войти").click()
    page.goto(live_server + TAKE)
    expect(page.get_by_role("status")).to_have_text("Все отметки сохранены.")
    expect(row(page, "anna").get_by_label("Отсутствует")).not_to_be_checked()
    page.get_by_role("button", name="Выйти").click()  # Igor's mark is not Pavel's to send: no question
    expect(page.get_by_text("Вы вышли из системы.")).to_be_visible()
    assert stored() == []
