"""My notifications (the bell): the list, opening one (marks it read), mark all read, my preferences."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from service.domain.errors import FormRejected
from service.services import notification_center
from service.services.notifications import MODE_LABELS, MODES
from service.web.blueprint import bp, ctx, login_required, me


def _page_arg() -> int:
    value = request.args.get("page", "")
    return int(value) if value.isdigit() else 1


@bp.get("/notifications")
@login_required
def notifications():
    """My notifications, newest first; unread ones marked."""
    return render_template("web/notifications.html", n=notification_center.list_mine(ctx(), me(), _page_arg()),
                           active="notifications")


@bp.post("/notifications/<int:notification_id>/open")
@login_required
def open_notification(notification_id: int):
    """Mark it read and go where it points (a task, a route)."""
    link = notification_center.mark_read(ctx(), me(), notification_id)["link"]
    return redirect(link if link.startswith("/") and not link.startswith("//") else url_for("web.notifications"))


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def read_notification(notification_id: int):
    notification_center.mark_read(ctx(), me(), notification_id)
    return redirect(url_for("web.notifications", page=_page_arg()))


@bp.post("/notifications/read-all")
@login_required
def read_all_notifications():
    done = notification_center.mark_all_read(ctx(), me())
    flash(f"Отмечено прочитанными: {done}." if done else "Непрочитанных уведомлений нет.")
    return redirect(url_for("web.notifications"))


def _settings_page(settings, problems=None, status: int = 200):
    return render_template("web/notifications_settings.html", s=settings, modes=MODES, mode_labels=MODE_LABELS,
                           hours=range(24), problems=problems, active="notifications"), status


@bp.get("/notifications/settings")
@login_required
def notification_settings():
    """How I want each kind by e-mail: at once, in the daily digest (at my hour), or not at all."""
    return _settings_page(notification_center.get_settings(ctx(), me()))


@bp.post("/notifications/settings")
@login_required
def save_notification_settings():
    hour = request.form.get("digest_hour", "").strip()
    modes = {k[len("mode_"):]: v for k, v in request.form.items() if k.startswith("mode_")}
    try:
        notification_center.save_settings(ctx(), me(), int(hour) if hour.isdigit() and len(hour) < 3 else hour,
                                          modes)
    except FormRejected as exc:
        return _settings_page(notification_center.get_settings(ctx(), me()), exc.problems, 422)
    flash("Настройки уведомлений сохранены.")
    return redirect(url_for("web.notification_settings"))


@bp.app_template_global()
def mail_bounce(user_id: int) -> dict | None:
    """For the person page: {"at", "reason"} when the mail server refuses the person's address."""
    return notification_center.bounce_of(ctx(), user_id)
