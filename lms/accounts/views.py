"""Login, logout and language choice."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from lms.accounts import services
from lms.accounts.forms import LoginForm
from lms.core.sqlite import writes
from lms.core.transactions import start_writing
from lms.extensions import db

bp = Blueprint("accounts", __name__)


def safe_next(target: str | None) -> str | None:
    """Only same-site paths are followed after login; anything else is dropped."""
    if not target:
        return None
    target = target.strip().replace("\\", "/")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _client_address() -> str:
    return request.remote_addr or "unknown"


@bp.route("/login", methods=["GET", "POST"])
@writes(False)
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")) or url_for("progress.home"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        address = _client_address()
        if services.is_throttled(
            form.username.data,
            address,
            max_failures=current_app.config["LOGIN_MAX_FAILURES"],
            window=current_app.config["LOGIN_FAILURE_WINDOW"],
        ):
            form.form_errors.append(_("Too many failed attempts. Please wait 15 minutes and try again."))
            return render_template("accounts/login.html", form=form), 429
        db.session.commit()  # end the read before the slow hash check: hold no lock meanwhile
        user = services.authenticate(form.username.data, form.password.data)
        start_writing()
        if user is None:
            services.record_login_failure(form.username.data, address)
            db.session.commit()
            form.form_errors.append(_("Wrong username or password."))
            return render_template("accounts/login.html", form=form), 200
        lang = session.get("lang")
        session.clear()  # a fresh session: nothing from before login carries over
        if lang:
            session["lang"] = lang
        services.start_login_session(user, request.user_agent.string or "")
        login_user(user)
        db.session.commit()
        target = safe_next(form.next.data) or url_for("progress.resume")
        return redirect(target)
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        services.end_login_session(current_user.current_session_token)
        db.session.commit()
    lang = session.get("lang")
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("You have signed out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/language/<lang>", methods=["POST"])
def set_language(lang: str):
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
    return redirect(safe_next(request.form.get("next")) or url_for("progress.home"))
