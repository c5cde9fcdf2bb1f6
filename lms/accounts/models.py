"""Accounts: regions, users, server-side login sessions and login failures."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from lms.core.models import UTCDateTime
from lms.core.roles import Role
from lms.core.time import utcnow
from lms.extensions import db


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
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Loaded on access: the user is read on every request, and pages rarely show the region's name.
    region: Mapped[Region | None] = relationship()

    # Set by the user loader: the server-side session this request is authenticated by.
    current_session_token = None

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

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

    user: Mapped[User] = relationship()


class LoginFailure(db.Model):
    """A failed login, kept for throttling by username and by client address."""

    __tablename__ = "login_failures"
    __table_args__ = (
        sa.Index("ix_login_failures_username_at", "username", "at"),
        sa.Index("ix_login_failures_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(80))
    address: Mapped[str] = mapped_column(sa.String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
