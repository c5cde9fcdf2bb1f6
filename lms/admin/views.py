"""Administration pages: the landing page, users, invitations."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lms.accounts import services as accounts
from lms.accounts import sessions
from lms.accounts.models import User
from lms.accounts.permissions import assignable_roles, check_assignment, is_national, region_limit
from lms.admin import users as user_list
from lms.admin.forms import NewUserForm, UserForm
from lms.audit.actions import action_label
from lms.audit.models import AuditEvent
from lms.audit.services import record
from lms.core.errors import ValidationError, apply_to_form
from lms.core.i18n import select_locale
from lms.core.roles import Role, role_label, role_required
from lms.core.web import page_arg
from lms.extensions import db

bp = Blueprint("admin", __name__, url_prefix="/admin")
MANAGERS = (Role.ADMIN, Role.COORDINATOR)

# The landing page's sections: endpoint, title, description, who sees it ("admin", "national", "all").
SECTIONS = (
    ("admin.users", _l("Users"), _l("Find, create, edit and deactivate accounts."), "all"),
    ("onboarding.upload", _l("Import users"), _l("Add candidates in bulk from CSV or Excel files."), "all"),
    ("admin.invitations", _l("Invitations"), _l("Who is invited and who has never signed in."), "all"),
    ("dashboards.cohorts", _l("Cohorts"), _l("Training groups, their courses and due dates."), "all"),
    ("course_staff.index", _l("Course staff"), _l("Which instructors teach which courses."), "admin"),
    ("audit.index", _l("Audit log"), _l("Who did what, when and from where."), "admin"),
    ("outbox.index", _l("Outbox"), _l("Mail waiting, sent and failed, with its links."), "admin"),
)


def visible_sections() -> list[tuple[str, str, str]]:
    """The sections this viewer may open (and that exist in this build)."""
    shown = []
    for endpoint, title, description, audience in SECTIONS:
        if endpoint not in current_app.view_functions:
            continue
        if audience == "admin" and current_user.role != Role.ADMIN:
            continue
        if audience == "national" and not is_national(current_user):
            continue
        shown.append((endpoint, str(title), str(description)))
    return shown


@bp.app_template_global()
def has_page(endpoint: str) -> bool:
    """Whether this build has a page (the admin area's parts come from several packages)."""
    return endpoint in current_app.view_functions


@bp.route("/")
@role_required(*MANAGERS)
def index():
    return render_template("admin/index.html", sections=visible_sections())


# --- Users ---------------------------------------------------------------------------------------


def _actor() -> User:
    return current_user._get_current_object()


def _fill_choices(form: UserForm, actor: User) -> None:
    form.role.choices = [(role.value, role_label(role)) for role in assignable_roles(actor)]
    lang = select_locale()
    regions = [(r.code, f"{r.code} · {r.display_name(lang)}") for r in user_list.region_choices(actor)]
    if region_limit(actor) is None:
        regions.insert(0, ("", _("No region (national staff)")))
    form.region.choices = regions


def _target_or_404(user_id: int) -> User:
    user = user_list.manageable_user_or_none(_actor(), user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/users")
@role_required(*MANAGERS)
def users():
    actor = _actor()
    filters = user_list.UserFilters.from_args(request.args)
    listing = user_list.list_users(actor, filters, page_arg())
    return render_template(
        "admin/users.html",
        filters=filters,
        listing=listing,
        roles=[(role.value, role_label(role)) for role in Role],
        regions=user_list.region_choices(actor),
        cohorts=user_list.cohort_choices(actor),
        regional=region_limit(actor) is not None,
    )


@bp.route("/users/new", methods=["GET", "POST"])
@role_required(*MANAGERS)
def new_user():
    actor = _actor()
    form = NewUserForm()
    _fill_choices(form, actor)
    if form.validate_on_submit():
        try:
            check_assignment(actor, form.role.data, form.region.data or None)
            user = accounts.create_user(
                form.username.data,
                None,
                form.role.data,
                region_code=form.region.data or None,
                full_name=form.full_name.data,
                email=form.email.data,
            )
            invited = form.invite.data and accounts.send_invitation(user)
        except ValidationError as error:
            db.session.rollback()
            apply_to_form(form, error)
        else:
            if invited:
                flash(_("Account created; the invitation is in the outbox."), "success")
            else:
                flash(_("Account created. Give the person a set-password link from this page."), "success")
            return redirect(url_for("admin.user", user_id=user.id))
    return render_template("admin/user_new.html", form=form), 400 if form.errors else 200


def _render_user(user: User, form: UserForm, *, issued_link: str | None = None, status: int = 200):
    audit_rows = db.session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.target_type == "user", AuditEvent.target_id == str(user.id))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(20)
    ).all()
    return render_template(
        "admin/user.html",
        action_label=action_label,
        user=user,
        form=form,
        login_sessions=sessions.live_sessions(user),
        cohorts=user_list.user_cohorts(user),
        audit_rows=audit_rows,
        issued_link=issued_link,
    ), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@role_required(*MANAGERS)
def user(user_id: int):
    actor = _actor()
    if user_id == actor.id:
        return redirect(url_for("accounts.profile"))
    target = _target_or_404(user_id)
    form = UserForm(obj=target)
    _fill_choices(form, actor)
    if request.method == "GET":
        form.role.data = target.role.value
        form.region.data = target.region_code or ""
    if form.validate_on_submit():
        try:
            check_assignment(actor, form.role.data, form.region.data or None)
            changes = accounts.update_user(
                target,
                full_name=form.full_name.data,
                email=form.email.data,
                role=form.role.data,
                region_code=form.region.data or None,
            )
        except ValidationError as error:
            db.session.rollback()
            apply_to_form(form, error)
        else:
            flash(_("Saved.") if changes else _("Nothing changed."), "success")
            return redirect(url_for("admin.user", user_id=target.id))
    return _render_user(target, form, status=400 if form.errors else 200)


def _done(target: User, message: str):
    flash(message, "success")
    return redirect(url_for("admin.user", user_id=target.id))


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@role_required(*MANAGERS)
def deactivate(user_id: int):
    target = _target_or_404(user_id)
    accounts.deactivate_user(target)
    return _done(target, _("Account deactivated; its sessions have ended."))


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
@role_required(*MANAGERS)
def reactivate(user_id: int):
    target = _target_or_404(user_id)
    accounts.reactivate_user(target)
    return _done(target, _("Account reactivated."))


@bp.route("/users/<int:user_id>/invite", methods=["POST"])
@role_required(*MANAGERS)
def invite(user_id: int):
    """Mail a set-password link: an invitation (no password yet) or a reset link."""
    target = _target_or_404(user_id)
    if not target.email:
        flash(_("The account has no email address."), "error")
        return redirect(url_for("admin.user", user_id=target.id))
    if target.has_password:
        accounts.send_password_reset(target, actor=_actor())
        return _done(target, _("A password reset link is in the outbox."))
    accounts.send_invitation(target)
    return _done(target, _("The invitation is in the outbox."))


@bp.route("/users/<int:user_id>/link", methods=["POST"])
@role_required(*MANAGERS)
def issue_link(user_id: int):
    """Show a set-password link once, for a person without email; it is not stored anywhere."""
    target = _target_or_404(user_id)
    if not target.is_active_account:
        abort(409)
    link = accounts.issue_set_password_link(target)
    form = UserForm(obj=target, formdata=None)
    _fill_choices(form, _actor())
    form.role.data, form.region.data = target.role.value, target.region_code or ""
    return _render_user(target, form, issued_link=link)


@bp.route("/users/<int:user_id>/sessions/<int:session_id>/end", methods=["POST"])
@role_required(*MANAGERS)
def end_session(user_id: int, session_id: int):
    target = _target_or_404(user_id)
    if not sessions.end_session_by_id(target, session_id):
        abort(404)
    record("session.end", target=target, details={"session": session_id})
    return _done(target, _("The session has ended."))


# --- Invitations -----------------------------------------------------------------------------------


@bp.route("/invitations")
@role_required(*MANAGERS)
def invitations():
    actor = _actor()
    page = page_arg()
    query = user_list.invitation_query(actor)
    total, capped = user_list.capped_count(query)
    size = user_list.PAGE_SIZE
    rows = db.session.scalars(query.limit(size + 1).offset((page - 1) * size)).all()
    return render_template(
        "admin/invitations.html",
        rows=rows[:size],
        total=total,
        capped=capped,
        page=page,
        has_next=len(rows) > size,
    )


@bp.route("/invitations/send", methods=["POST"])
@role_required(*MANAGERS)
def send_invitations():
    """Send again: one user (user_id) or everybody listed who has an email address and no password."""
    actor = _actor()
    query = user_list.invitation_query(actor).where(User.email.is_not(None))
    raw_id = request.form.get("user_id", "")
    if raw_id:
        if not (raw_id.isascii() and raw_id.isdecimal() and len(raw_id) < 12):
            abort(400)
        query = query.where(User.id == int(raw_id))
    sent = 0
    for target in db.session.scalars(query):
        if target.has_password:
            sent += accounts.send_password_reset(target, actor=actor)
        else:
            sent += accounts.send_invitation(target)
    flash(_("Invitations queued: %(count)s.", count=sent), "success")
    return redirect(url_for("admin.invitations"))
