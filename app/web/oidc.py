"""OpenID Connect login (统一身份认证) with Authlib; registered only when configured."""

from __future__ import annotations

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint, Flask, current_app, render_template, url_for
from joserfc.errors import JoseError
from werkzeug.wrappers import Response

from app.config import Settings
from app.services.identity import logins, sso
from app.web.auth import after_login, client_ip
from app.web.context import db, settings

bp = Blueprint("oidc", __name__)
PROVIDER = "sso"


def init(app: Flask, config: Settings) -> None:
    """Register the provider and the routes; without configuration the routes do not exist."""
    if not config.oidc_enabled:
        return
    oauth = OAuth(app)
    oauth.register(
        PROVIDER,
        client_id=config.oidc_client_id,
        client_secret=config.oidc_client_secret,
        server_metadata_url=f"{config.oidc_issuer}/.well-known/openid-configuration",
        client_kwargs={"scope": "openid profile", "default_timeout": 10},
    )
    app.extensions["huajie.oauth"] = oauth
    app.config["HUAJIE_OIDC_ENABLED"] = True
    app.register_blueprint(bp)


def _client():
    return current_app.extensions["huajie.oauth"].create_client(PROVIDER)


def _refused(message: str, status: int = 403) -> tuple[str, int]:
    return render_template("login.html", error=message), status


@bp.get("/login/oidc")
def start() -> Response | tuple[str, int]:
    """Redirect to the provider (Authlib keeps state and nonce in the session)."""
    try:
        return _client().authorize_redirect(url_for("oidc.callback", _external=True))
    except requests.RequestException:
        return _refused("统一身份认证服务暂时无法访问，请稍后重试或使用密码登录", 502)


@bp.get("/login/oidc/callback")
def callback() -> Response | tuple[str, int]:
    config, ip = settings(), client_ip()
    try:
        token = _client().authorize_access_token()
        claims = token.get("userinfo")
        if claims is None:  # no id_token: nothing verified
            raise AuthlibBaseError(error="missing_id_token")
    except requests.RequestException:
        return _refused("统一身份认证服务暂时无法访问，请稍后重试或使用密码登录", 502)
    except (AuthlibBaseError, JoseError, ValueError) as exc:
        logins.sso_refused(db(), "invalid_response", str(exc)[:200], ip)
        return _refused("统一身份认证登录未通过校验，请重新登录", 400)
    username = str(claims.get(config.oidc_username_claim) or "")
    user = logins.with_sso(db(), username, config.oidc_issuer, ip)
    if isinstance(user, sso.SsoRefused):  # its audit event is kept
        return _refused(user.message)
    return after_login(user)
