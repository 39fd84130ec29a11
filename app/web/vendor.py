"""Front-end packages installed from npm (node_modules/), served read-only; never committed."""

from __future__ import annotations

from flask import Blueprint, abort, send_from_directory
from werkzeug.wrappers import Response

from app.config import ROOT

bp = Blueprint("vendor", __name__)
NODE_MODULES = ROOT / "node_modules"
ALLOWED = {"bpmn-js": "dist", "echarts": "dist"}  # package -> the only folder served from it


@bp.get("/vendor/<package>/<path:filename>")
def asset(package: str, filename: str) -> Response:
    folder = ALLOWED.get(package)
    if folder is None:
        abort(404)
    return send_from_directory(NODE_MODULES / package / folder, filename, max_age=3600)
