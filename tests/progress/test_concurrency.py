"""Pages that record a view write on GET: many candidates at once must never see a 500."""

from __future__ import annotations

import re
import threading


def test_concurrent_lesson_views_and_logins(app, imported, make_user):
    users = [make_user(f"c{i}") for i in range(8)]
    statuses: list[int] = []
    barrier = threading.Barrier(len(users))

    def candidate(username: str) -> None:
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        barrier.wait()
        statuses.append(
            client.post(
                "/login",
                data={"username": username, "password": "correct-horse-battery", "csrf_token": token},
            ).status_code
        )
        for _ in range(5):
            for key in ("l-one", "l-two", "l-three"):
                statuses.append(client.get(f"/courses/tiny-course/lessons/{key}").status_code)

    threads = [threading.Thread(target=candidate, args=(user.username,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Each candidate: one sign-in (a redirect), then 15 lesson pages, every one served.
    assert sorted(statuses) == sorted([302] * len(users) + [200] * 15 * len(users)), sorted(set(statuses))
