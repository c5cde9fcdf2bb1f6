"""Accounts: regions, users, server-side login sessions and login failures."""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from lms.core.models import UTCDateTime
from lms.core.roles import Role
from lms.core.time import utcnow
from lms.extensions import db

UNUSABLE_PASSWORD_PREFIX = "!"  # nosec B105  # a marker that no hash starts with


class Region(db.Model):
    """A subject of the Russian Federation, keyed by its official two-digit code."""

    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(sa.String(3), primary_key=True)
    name_ru: Mapped[str] = mapped_column(sa.String(120))
    name_en: Mapped[str] = mapped_column(sa.String(120))
    federal_district: Mapped[str] = mapped_column(sa.String(60))

    def display_name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_ru


class User(db.Model):
    __tablename__ = "users"
    __table_args__ = (
        # The region list reads candidates of one region in name order: an index-only scan.
        sa.Index("ix_users_region_name", "region_code", "full_name", "username", "id"),
        # Stored lower-case (services normalise it), so this makes addresses unique regardless of case.
        sa.Index("uq_users_email", "email", unique=True),
        # The administration's user list in name order (national scope): no sort of every account.
        sa.Index("ix_users_name", "full_name", "username", "id"),
        # Its search: `search_text LIKE '%word%'` through trigrams on PostgreSQL (pg_trgm, a trusted
        # extension the migration creates); SQLite scans, which is fast enough at its sizes.
        sa.Index(
            "ix_users_search_trgm",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(80), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(200), default="")
    email: Mapped[str | None] = mapped_column(sa.String(200))
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    role: Mapped[Role] = mapped_column(sa.Enum(Role, native_enum=False, length=20))
    region_code: Mapped[str | None] = mapped_column(sa.ForeignKey("regions.code"))
    is_active_account: Mapped[bool] = mapped_column("is_active", default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the user last signed in; None: never (the invitations page lists them).
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Interface language ("ru", "en") and the time zone dates are shown in; None: the school's defaults.
    locale: Mapped[str | None] = mapped_column(sa.String(5))
    timezone: Mapped[str | None] = mapped_column(sa.String(64))
    # The low-vision version of every page (lms.accounts.low_vision), chosen by the user.
    low_vision: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Mail about notifications (the daily digest, reminders); in-app notifications stay regardless.
    email_notifications: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # Unread in-app notifications, kept by lms.notifications: read with the user on every page,
    # so the header's counter costs no statement of its own.
    unread_notifications: Mapped[int] = mapped_column(default=0, server_default="0")
    # When the latest invitation (a link to set a first password) was queued.
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Lower-cased name, username and email in one column, kept by an ORM hook: the user list's
    # search reads one column instead of lower() over three.
    search_text: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")

    # Loaded on access: the user is read on every request, and pages rarely show the region's name.
    region: Mapped[Region | None] = relationship()

    # Set by the user loader: the server-side session this request is authenticated by.
    current_session_token = None

    def set_password(self, password: str) -> None:
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt") if has_app_context() else "scrypt"
        self.password_hash = generate_password_hash(password, method=method)

    def set_unusable_password(self) -> None:
        """No password yet (an invited user): nothing signs in until a set-password link is used.

        Random, so that a set-password link made for this state dies when a new state is set.
        """
        self.password_hash = UNUSABLE_PASSWORD_PREFIX + secrets.token_hex(16)

    @property
    def has_password(self) -> bool:
        return not self.password_hash.startswith(UNUSABLE_PASSWORD_PREFIX)

    def check_password(self, password: str) -> bool:
        return self.has_password and check_password_hash(self.password_hash, password)

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.is_active_account

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str | None:
        """Flask-Login stores the server-side session token, not the user id, in the cookie."""
        return self.current_session_token

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


def user_search_text(full_name: str | None, username: str | None, email: str | None) -> str:
    """What the user list searches: lower-case, ё as е (people type either)."""
    text = " ".join(part for part in (full_name, username, email) if part)
    return text.lower().replace("ё", "е")[:500]


@event.listens_for(User, "before_insert")
@event.listens_for(User, "before_update")
def _keep_search_text(_mapper, _connection, user: User) -> None:
    user.search_text = user_search_text(user.full_name, user.username, user.email)


class LoginSession(db.Model):
    """One signed-in browser. Revoking the row logs that browser out, whatever its cookie says."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_agent: Mapped[str] = mapped_column(sa.String(200), default="")
    # The client address at sign-in, shown on the sessions page.
    address: Mapped[str] = mapped_column(sa.String(64), default="", server_default="")

    user: Mapped[User] = relationship()


class LoginFailure(db.Model):
    """A sign-in attempt, for throttling (lms.accounts.throttle). Written before the password is
    checked, so parallel guesses count each other; deleted if the password was right or if the
    attempt was refused unchecked. What stays are failed passwords."""

    __tablename__ = "login_failures"
    __table_args__ = (
        sa.Index("ix_login_failures_username_at", "username", "at"),
        sa.Index("ix_login_failures_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(80))
    address: Mapped[str] = mapped_column(sa.String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The known browser (device cookie) the attempt came from; None: an untrusted browser.
    device: Mapped[str | None] = mapped_column(sa.String(32))


class UserImport(db.Model):
    """An uploaded file of users between its preview and its confirmation.

    The file itself is kept (not the preview), and confirming reads and checks it again, so what is
    written matches the database at that moment; any app node can confirm what another previewed.
    """

    __tablename__ = "user_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    filename: Mapped[str] = mapped_column(sa.String(200))
    content: Mapped[bytes] = mapped_column(sa.LargeBinary)
    # previewed | applied | discarded
    status: Mapped[str] = mapped_column(sa.String(12), default="previewed")
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Counts by outcome once applied ({"new": 47, "unchanged": 0, ...}).
    summary: Mapped[dict] = mapped_column(sa.JSON, default=dict)
