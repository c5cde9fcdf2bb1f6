"""Retention: prune() drops events older than a period; prune_expired() reads AUDIT_RETENTION_DAYS."""

from __future__ import annotations

from datetime import timedelta

from lms.audit.services import prune, prune_expired
from lms.core.time import utcnow
from lms.extensions import db
from tests.audit.helpers import events


def test_prune_removes_only_events_older_than_the_period(app, add_event):
    now = utcnow()
    add_event("auth.login", at=now - timedelta(days=400))
    add_event("auth.login", at=now - timedelta(days=366))
    kept = [
        add_event("auth.login", at=now - timedelta(days=364)).id,
        add_event("auth.logout", at=now).id,
    ]
    assert prune(timedelta(days=365)) == 2
    db.session.commit()
    assert [event.id for event in events()] == kept


def test_prune_expired_follows_the_setting_and_records_itself(app, add_event):
    now = utcnow()
    add_event("auth.login", at=now - timedelta(days=40))
    add_event("auth.login", at=now - timedelta(days=31))
    recent = add_event("auth.login", at=now - timedelta(days=29)).id
    app.config["AUDIT_RETENTION_DAYS"] = 30
    assert prune_expired() == 2
    db.session.commit()
    left = events()
    assert [event.id for event in left][:1] == [recent] and len(left) == 2
    note = left[1]
    assert note.action == "audit.prune" and note.actor_id is None and note.address == "cli"
    assert note.details == {"deleted": 2, "older_than_days": 30}


def test_prune_expired_with_nothing_old_records_nothing(app, add_event):
    add_event("auth.login", at=utcnow() - timedelta(days=3))
    app.config["AUDIT_RETENTION_DAYS"] = 30
    assert prune_expired() == 0
    db.session.commit()
    assert [event.action for event in events()] == ["auth.login"]


def test_zero_days_keeps_every_event(app, add_event):
    add_event("auth.login", at=utcnow() - timedelta(days=5000))
    app.config["AUDIT_RETENTION_DAYS"] = 0
    assert prune_expired() == 0
    db.session.commit()
    assert len(events()) == 1
