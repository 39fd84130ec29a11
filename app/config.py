"""Configuration from the environment."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    processes_dir: Path
    forms_dir: Path
    secret_key: str
    testing: bool
    # the audit chain's key (app.anchor); kept apart from the database and its backups
    audit_key_file: Path = Path("audit.key")
    secure_cookies: bool = False
    # behind N reverse proxies: trust the last N X-Forwarded-For/-Proto hops (0: trust none)
    proxy_hops: int = 0
    login_ip_max_failures: int = 20  # failed logins from one address within …
    login_ip_block_minutes: int = 15  # … this many minutes block it for as long
    session_idle_minutes: int = 30  # a login ends after this long without a request …
    session_max_hours: int = 12  # … and this long after it began, whatever happens
    token_days: int = 365  # an API token created now expires after this many days
    # OpenID Connect login (government SSO); off unless issuer and client id are set
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_username_claim: str = "preferred_username"
    # a writer waits this long for a held writer lock, then gets a 503 (see app/db.py)
    lock_timeout_s: float = 5.0

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id)

    @classmethod
    def from_env(cls) -> Settings:
        data_dir = Path(os.environ.get("HUAJIE_DATA", "./instance")).resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{data_dir / 'huajie.sqlite3'}"
        return cls(
            data_dir=data_dir,
            database_url=url,
            processes_dir=Path(os.environ.get("HUAJIE_PROCESSES") or ROOT / "processes"),
            forms_dir=Path(os.environ.get("HUAJIE_FORMS") or ROOT / "forms"),
            secret_key=os.environ.get("HUAJIE_SECRET_KEY") or _persistent_secret(data_dir),
            testing=os.environ.get("HUAJIE_ENV") == "test",
            audit_key_file=Path(
                os.environ.get("HUAJIE_AUDIT_KEY_FILE") or data_dir / "audit.key"
            ).resolve(),
            secure_cookies=os.environ.get("HUAJIE_SECURE_COOKIES", "") in {"1", "true", "yes"},
            proxy_hops=_int_env("HUAJIE_PROXY_HOPS", 0),
            login_ip_max_failures=_int_env("HUAJIE_LOGIN_IP_MAX_FAILURES", 20),
            login_ip_block_minutes=_int_env("HUAJIE_LOGIN_IP_BLOCK_MINUTES", 15),
            session_idle_minutes=_int_env("HUAJIE_SESSION_IDLE_MINUTES", 30, minimum=1),
            session_max_hours=_int_env("HUAJIE_SESSION_MAX_HOURS", 12, minimum=1),
            token_days=_int_env("HUAJIE_TOKEN_DAYS", 365, minimum=1),
            oidc_issuer=os.environ.get("HUAJIE_OIDC_ISSUER", "").rstrip("/"),
            oidc_client_id=os.environ.get("HUAJIE_OIDC_CLIENT_ID", ""),
            oidc_client_secret=os.environ.get("HUAJIE_OIDC_CLIENT_SECRET", ""),
            oidc_username_claim=os.environ.get("HUAJIE_OIDC_USERNAME_CLAIM")
            or "preferred_username",
            lock_timeout_s=_int_env("HUAJIE_LOCK_TIMEOUT_SECONDS", 5) or 5,
        )


def _int_env(name: str, default: int, minimum: int = 0) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise SystemExit(f"{name} 须为整数：{raw!r}") from exc
    if value < minimum:
        raise SystemExit(f"{name} 不能小于 {minimum}：{raw!r}")
    return value


def _persistent_secret(data_dir: Path) -> str:
    path = data_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
