"""系统管理: the district's settings and the holiday schedule (routes of ``admin.bp``).

Settings are read and changed only through ``app.services.district_settings`` (typed, checked,
audited); the page turns the typed text into the setting's JSON type as a task form does. The
holiday import shows first which open deadlines would move, and imports only when confirmed.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required
from werkzeug.datastructures import MultiDict

from app.config import DISTRICT_SETTINGS
from app.errors import InvalidInput
from app.services import district_settings
from app.services.execution import holiday_import
from app.web.admin import bp
from app.web.context import actor, db
from app.web.form_posts import parse_submission


def _setting_value(key: str, text: str) -> Any:
    setting = DISTRICT_SETTINGS.get(key)
    if setting is None:
        return text  # the service names the unknown key
    schema = {"type": "object", "properties": {key: dict(setting.schema)}}
    lines = text.splitlines() if setting.schema.get("type") == "array" else [text]
    form = MultiDict([(key, line) for line in lines])
    return parse_submission(schema, form).get(key)


def _shown(value: Any) -> str:
    """A setting's value as its field shows it: a list one item per line."""
    if isinstance(value, list | tuple):
        return "\n".join(str(v) for v in value)
    return "" if value is None else str(value)


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings() -> ResponseReturnValue:
    """区级设置: every setting with its label, meaning, default and a field of its type."""
    errors: dict[str, list[str]] = {}
    typed: dict[str, str] = {}
    if request.method == "POST":
        key, text = request.form.get("key", ""), request.form.get("value", "").strip()
        try:
            district_settings.change(db(), actor(), key, _setting_value(key, text))
        except InvalidInput as exc:
            errors, typed = exc.errors, {key: text}
        else:
            label = DISTRICT_SETTINGS[key].label
            flash(f"已保存：{label}")
            return redirect(url_for("admin.settings") + f"#setting-{key}")
    with db().read() as session:
        rows = district_settings.current(session)
    page = render_template(
        "admin/settings.html", rows=rows, errors=errors, typed=typed, shown=_shown
    )
    return page, 400 if errors else 200


MAX_UPLOAD_CHARS = holiday_import.MAX_FILE_CHARS


def _schedule_text() -> tuple[str, str]:
    """The schedule's text and its name: an uploaded file, or the text sent back to confirm."""
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        raw = upload.read(MAX_UPLOAD_CHARS * 4 + 1)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInput("文件须为 UTF-8 编码", {"file": ["文件须为 UTF-8 编码"]}) from None
        source = upload.filename
    else:
        text, source = request.form.get("text", ""), request.form.get("source", "")
    if not text.strip():
        raise InvalidInput("请选择节假日安排文件", {"file": ["请选择节假日安排文件"]})
    if len(text) > MAX_UPLOAD_CHARS:
        message = f"文件过大（上限 {MAX_UPLOAD_CHARS} 字）"
        raise InvalidInput(message, {"file": [message]})
    return text, (source or "浏览器导入")[:200]


@bp.route("/holidays", methods=["GET", "POST"])
@login_required
def holidays() -> ResponseReturnValue:
    """导入节假日安排: upload → preview of the deadlines that would move → confirm."""
    if request.method == "GET":
        return render_template("admin/holidays.html", errors={}, preview=None)
    try:
        text, source = _schedule_text()
        if request.form.get("confirm") != "1":
            with db().read() as session:
                found = holiday_import.preview(session, actor(), text)
            return render_template(
                "admin/holidays.html", errors={}, preview=found, text=text, source=source
            )
        instances = holiday_import.import_file(db(), actor(), text, source)
    except InvalidInput as exc:
        return render_template("admin/holidays.html", errors=exc.errors, preview=None), 400
    flash(f"已导入节假日安排（{source}），重新计算了 {instances} 个流程的期限")
    return redirect(url_for("admin.holidays"))
