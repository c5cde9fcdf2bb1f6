"""Sign-in and out, language, and every user's own account: profile, password, sessions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user

from lms.accounts import low_vision, services, sessions, throttle
from lms.accounts.forms import ChangePasswordForm, ForgotPasswordForm, LoginForm, ProfileForm, SetPasswordForm
from lms.accounts.tokens import Purpose, TokenProblem, TokenRefused, read_token
from lms.audit.services import client_address, record
from lms.core.errors import ValidationError, apply_to_form
from lms.core.roles import login_required
from lms.core.sqlite import writes
from lms.core.transactions import start_writing
from lms.extensions import db

bp = Blueprint("accounts", __name__)

TIMEZONE_NAMES = {
    "Europe/Kaliningrad": _l("Kaliningrad"),
    "Europe/Moscow": _l("Moscow"),
    "Europe/Samara": _l("Samara"),
    "Asia/Yekaterinburg": _l("Yekaterinburg"),
    "Asia/Omsk": _l("Omsk"),
    "Asia/Krasnoyarsk": _l("Krasnoyarsk"),
    "Asia/Irkutsk": _l("Irkutsk"),
    "Asia/Yakutsk": _l("Yakutsk"),
    "Asia/Vladivostok": _l("Vladivostok"),
    "Asia/Magadan": _l("Magadan"),
    "Asia/Kamchatka": _l("Kamchatka"),
    "UTC": _l("Coordinated Universal Time"),
}


CLEAR_AT_SIGN_OUT = '"cache", "storage"'


def safe_next(target: str | None) -> str | None:
    """Only same-site paths are followed after login; anything else is dropped."""
    if not target:
        return None
    target = target.strip().replace("\\", "/")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _begin_session(user) -> None:
    """A fresh signed-in session: nothing from before login carries over but the language."""
    lang = user.locale or session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    sessions.start_login_session(user, request.user_agent.string or "", client_address())
    login_user(user)


# Functions of the wait in minutes: "1 minute", "15 minutes" (in Russian three forms).
REFUSAL_MESSAGES: dict[throttle.Refusal, Callable[[int], str]] = {
    throttle.Refusal.DEVICE: lambda minutes: ngettext(
        "Too many failed attempts. Please wait %(num)s minute and try again.",
        "Too many failed attempts. Please wait %(num)s minutes and try again.",
        minutes,
    ),
    throttle.Refusal.ACCOUNT: lambda minutes: ngettext(
        "Too many failed attempts. Please wait %(num)s minute and try again, or set a new "
        "password with “Forgot your password?”.",
        "Too many failed attempts. Please wait %(num)s minutes and try again, or set a new "
        "password with “Forgot your password?”.",
        minutes,
    ),
    throttle.Refusal.ADDRESS: lambda minutes: ngettext(
        "Too many failed attempts from your network. Please wait %(num)s minute and try again.",
        "Too many failed attempts from your network. Please wait %(num)s minutes and try again.",
        minutes,
    ),
}


@bp.route("/login", methods=["GET", "POST"])
@writes(False)
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")) or url_for("progress.home"))
    form = LoginForm(next=request.args.get("next", ""), username=request.args.get("username", "")[:80])
    if form.validate_on_submit():
        # Record the attempt and commit it before counting: parallel guesses count each other.
        # Each step is a transaction of its own that starts with its write, or only reads: on
        # SQLite no read is ever upgraded to a write, and no lock is held during the hash check.
        # So this view commits step by step itself, an exception to one commit per request; from
        # start_writing() on, the request's commit at its end takes over (lms.core.transactions).
        device_cookie = request.cookies.get(current_app.config["LOGIN_DEVICE_COOKIE"])
        device = throttle.known_device(form.username.data, device_cookie)
        db.session.commit()
        attempt = throttle.record_attempt(form.username.data, client_address(), device)
        db.session.commit()
        refused = throttle.refusal(attempt)
        db.session.commit()
        if refused is not None:
            throttle.forget_attempt(attempt)
            db.session.commit()  # a step of its own; the 429 below would roll it back otherwise
            minutes = int(current_app.config["LOGIN_FAILURE_WINDOW"].total_seconds() // 60)
            form.form_errors.append(REFUSAL_MESSAGES[refused](minutes))
            return render_template("accounts/login.html", form=form), 429
        user = services.authenticate(form.username.data, form.password.data)
        start_writing()
        if user is None:
            record(
                "auth.login_failed", target_type="user", target_label=form.username.data.strip().lower()[:80]
            )
            form.form_errors.append(_("Wrong username or password."))
            return render_template("accounts/login.html", form=form), 200
        throttle.attempt_succeeded(attempt)
        low_vision.adopt_on_sign_in(user)
        _begin_session(user)
        record("auth.login", target=user, actor=user)
        response = redirect(safe_next(form.next.data) or url_for("progress.resume"))
        throttle.remember_device(response, user.username, device_cookie)
        return response
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        sessions.end_login_session(current_user.current_session_token)
        record("auth.logout", target=current_user._get_current_object())
    lang = session.get("lang")
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("You have signed out."), "info")
    response = redirect(url_for("accounts.login"))
    # A shared phone must not keep what this user saw: the browser drops its HTTP cache and this
    # site's storage, which unregisters the attendance list's service worker with its offline
    # copy (and empties the queue of unsent marks: the sign-out button warns of those first,
    # static/js/signout.js). Cookies stay: the language and the low-vision choice are the browser's.
    response.headers["Clear-Site-Data"] = CLEAR_AT_SIGN_OUT
    return response


@bp.route("/language/<lang>", methods=["POST"])
def set_language(lang: str):
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        if current_user.is_authenticated and current_user.locale != lang:
            current_user.locale = lang  # remembered for the next sign-in and for mail
    return redirect(safe_next(request.form.get("next")) or url_for("progress.home"))


@bp.route("/low-vision", methods=["POST"])
def set_low_vision():
    """Switch the low-vision version on (`on=1`) or off (anything else), for this browser and,
    signed in, for the account; back to the page the switch was pressed on."""
    on = request.form.get("on") == "1"
    if current_user.is_authenticated and current_user.low_vision != on:
        current_user.low_vision = on
    response = redirect(safe_next(request.form.get("next")) or url_for("progress.home"))
    low_vision.remember(response, on)
    return response


# --- Forgotten password and set-password links ---------------------------------------------------


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.login.data)
        # The same answer whether or not the account exists.
        return render_template("accounts/forgot_sent.html")
    return render_template("accounts/forgot.html", form=form), 400 if form.errors else 200


TOKEN_MESSAGES = {
    TokenProblem.INVALID: _l("This link is not valid. Ask for a new one."),
    TokenProblem.EXPIRED: _l("This link has expired. Ask for a new one."),
    TokenProblem.USED: _l("This link has already been used. Ask for a new one if you need to."),
}


@bp.route("/password/set/<token>", methods=["GET", "POST"])
def set_password(token: str):
    """The page an invitation or a reset link opens. Opening it changes nothing; saving uses it up."""
    try:
        link = read_token(token)
    except TokenRefused as refused:
        return render_template("accounts/link_refused.html", message=TOKEN_MESSAGES[refused.problem]), 410
    user = link.user
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            action = "password.set" if link.purpose is Purpose.INVITATION else "password.reset"
            services.set_new_password(user, form.password.data, action=action)
        except ValidationError as error:
            db.session.rollback()
            apply_to_form(form, error)
        else:
            if current_user.is_authenticated:
                sessions.end_login_session(current_user.current_session_token)
                logout_user()
            flash(_("Your password is set. Sign in with it now."), "success")
            response = redirect(url_for("accounts.login", username=user.username))
            # The link came by mail: this browser is the owner's, even while guessers elsewhere
            # keep unknown browsers locked out of the account.
            device_cookie = request.cookies.get(current_app.config["LOGIN_DEVICE_COOKIE"])
            throttle.remember_device(response, user.username, device_cookie)
            return response
    return render_template(
        "accounts/set_password.html", form=form, user=user, purpose=link.purpose.value
    ), 400 if form.errors else 200


# --- Own account ------------------------------------------------------------------------------


def timezone_choices() -> list[tuple[str, str]]:
    now = datetime.now(UTC)
    choices = []
    for name, label in TIMEZONE_NAMES.items():
        offset = now.astimezone(ZoneInfo(name)).utcoffset()
        hours = int(offset.total_seconds() // 3600) if offset else 0
        choices.append((name, f"{label} (UTC{hours:+d})" if hours else f"{label} (UTC)"))
    return choices


@bp.route("/account", methods=["GET", "POST"])
@login_required
def profile():
    user = current_user._get_current_object()
    form = ProfileForm(obj=user)
    form.locale.choices = [("ru", "Русский"), ("en", "English")]
    form.timezone.choices = timezone_choices()
    if request.method == "GET":
        form.locale.data = user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
        form.timezone.data = user.timezone or current_app.config["BABEL_DEFAULT_TIMEZONE"]
    if form.validate_on_submit():
        try:
            services.update_profile(
                user,
                full_name=form.full_name.data or "",
                email=form.email.data,
                locale=form.locale.data,
                timezone=form.timezone.data,
                low_vision=form.low_vision.data,
                email_notifications=form.email_notifications.data,
            )
        except ValidationError as error:
            db.session.rollback()
            apply_to_form(form, error)
        else:
            session["lang"] = user.locale or session.get("lang")
            flash(_("Profile saved."), "success")
            response = redirect(url_for("accounts.profile"))
            low_vision.remember(response, user.low_vision)
            return response
    return render_template("accounts/profile.html", form=form), 400 if form.errors else 200


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    user = current_user._get_current_object()
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            ended = services.change_own_password(user, form.current_password.data, form.password.data)
        except ValidationError as error:
            db.session.rollback()
            apply_to_form(form, error)
        else:
            flash(_("Password changed. Other sessions ended: %(count)s.", count=ended), "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/change_password.html", form=form), 400 if form.errors else 200


@bp.route("/account/sessions")
@login_required
def own_sessions():
    user = current_user._get_current_object()
    return render_template(
        "accounts/sessions.html",
        user=user,
        login_sessions=sessions.live_sessions(user),
        current_hash=sessions.token_hash(user.current_session_token or ""),
        end_endpoint="accounts.end_own_session",
    )


@bp.route("/account/sessions/<int:session_id>/end", methods=["POST"])
@login_required
def end_own_session(session_id: int):
    user = current_user._get_current_object()
    if not sessions.end_session_by_id(user, session_id):
        abort(404)
    record("session.end", target=user, details={"session": session_id})
    flash(_("The session has ended."), "success")
    return redirect(url_for("accounts.own_sessions"))
