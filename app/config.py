"""Everything an installation configures, declared in one place.

* ``Settings``: the deployment (paths, database, secrets, SMTP, OIDC, limits), read once from
  environment variables when a process starts; each field names its variable.
* ``DISTRICT_SETTINGS``: the district's own rules (which outcomes count as lost, thresholds,
  quotas …), which an administrator changes while the app runs (``huajie settings set``). They
  live in the ``settings`` table; each declares its type and bounds (a JSON Schema), default and
  Chinese label. Read them with ``app.services.district_settings.get``, change them with
  ``district_settings.change`` (validated, audited).

docs/operations.md ("Configuration") lists both in one table, which
``tests/test_configuration.py`` holds to this module.

Two environment variables are process plumbing, not configuration, and are read where they are
used: ``HUAJIE_ENV=test`` with ``HUAJIE_NOW`` (the test clock, read at every ``clock.now()``,
``app/clock.py``) and ``HUAJIE_SERVER_PID`` (set by ``huajie serve --workers N`` for its workers,
``app/serving.py``).
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Generic, TypeVar, get_type_hints

ROOT = Path(__file__).resolve().parent.parent
_YES = {"1", "true", "yes"}


def _env(name: str, default: Any, *, minimum: int | None = None, shown: str = "") -> Any:
    """A ``Settings`` field read from the environment variable ``name``; unset or empty gives
    ``default``. ``shown``: the default in words, where it is derived from another setting."""
    return field(default=default, metadata={"env": name, "minimum": minimum, "shown": shown})


@dataclass(frozen=True)
class Settings:
    """The deployment's configuration, from the environment (``Settings.from_env()``)."""

    data_dir: Path = _env("HUAJIE_DATA", Path("./instance"), shown="./instance")
    # the following four default to places derived from data_dir or the checkout (from_env)
    database_url: str = _env("DATABASE_URL", "", shown="sqlite:///$HUAJIE_DATA/huajie.sqlite3")
    processes_dir: Path = _env("HUAJIE_PROCESSES", ROOT / "processes", shown="processes/")
    forms_dir: Path = _env("HUAJIE_FORMS", ROOT / "forms", shown="forms/")
    secret_key: str = _env("HUAJIE_SECRET_KEY", "", shown="$HUAJIE_DATA/secret_key")
    # the audit chain's key (app.anchor); kept apart from the database and its backups
    audit_key_file: Path = _env("HUAJIE_AUDIT_KEY_FILE", Path("audit.key"),
                                shown="$HUAJIE_DATA/audit.key")  # fmt: skip
    # 0: this app.wsgi process runs no timer scheduler (another process fires the timers)
    run_scheduler: bool = _env("HUAJIE_SCHEDULER", True)
    secure_cookies: bool = _env("HUAJIE_SECURE_COOKIES", False)
    # behind N reverse proxies: trust the last N X-Forwarded-For/-Proto hops (0: trust none)
    proxy_hops: int = _env("HUAJIE_PROXY_HOPS", 0, minimum=0)
    login_ip_max_failures: int = _env("HUAJIE_LOGIN_IP_MAX_FAILURES", 20, minimum=0)  # within …
    login_ip_block_minutes: int = _env("HUAJIE_LOGIN_IP_BLOCK_MINUTES", 15, minimum=0)  # … block
    session_idle_minutes: int = _env("HUAJIE_SESSION_IDLE_MINUTES", 30, minimum=1)
    session_max_hours: int = _env("HUAJIE_SESSION_MAX_HOURS", 12, minimum=1)
    token_days: int = _env("HUAJIE_TOKEN_DAYS", 365, minimum=1)  # a new API token's life
    # OpenID Connect login (government SSO); off unless issuer and client id are set
    oidc_issuer: str = _env("HUAJIE_OIDC_ISSUER", "")
    oidc_client_id: str = _env("HUAJIE_OIDC_CLIENT_ID", "")
    oidc_client_secret: str = _env("HUAJIE_OIDC_CLIENT_SECRET", "")
    oidc_username_claim: str = _env("HUAJIE_OIDC_USERNAME_CLAIM", "preferred_username")
    # a writer waits this long for a held writer lock, then gets a 503 (see app/db.py)
    lock_timeout_s: float = _env("HUAJIE_LOCK_TIMEOUT_SECONDS", 5.0, minimum=1)
    # e-mail for notifications; off unless a host is set
    smtp_host: str = _env("HUAJIE_SMTP_HOST", "")
    smtp_port: int = _env("HUAJIE_SMTP_PORT", 25, minimum=1)
    smtp_from: str = _env("HUAJIE_SMTP_FROM", "huajie@localhost")
    smtp_user: str = _env("HUAJIE_SMTP_USER", "")
    smtp_password: str = _env("HUAJIE_SMTP_PASSWORD", "")
    smtp_starttls: bool = _env("HUAJIE_SMTP_STARTTLS", False)

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id)

    @property
    def smtp_enabled(self) -> bool:
        return bool(self.smtp_host)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Each field from its variable; a malformed number ends the process with a message
        naming the variable."""
        environ = os.environ if environ is None else environ
        types = get_type_hints(cls)
        values: dict[str, Any] = {}
        for spec in fields(cls):
            raw = environ.get(spec.metadata["env"], "")
            values[spec.name] = _parse(spec.metadata, types[spec.name], raw, spec.default)
        data_dir = Path(values["data_dir"]).resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
        return cls(**{
            **values,
            "data_dir": data_dir,
            "database_url": values["database_url"] or f"sqlite:///{data_dir / 'huajie.sqlite3'}",
            "secret_key": values["secret_key"] or _persistent_secret(data_dir),
            "audit_key_file": (
                values["audit_key_file"] if environ.get("HUAJIE_AUDIT_KEY_FILE")
                else data_dir / "audit.key"
            ).resolve(),
            "oidc_issuer": values["oidc_issuer"].rstrip("/"),
        })  # fmt: skip


def environment_variables() -> dict[str, str]:
    """Each environment variable ``Settings`` reads, with its default as the docs show it."""
    shown = {}
    for spec in fields(Settings):
        meta = spec.metadata
        if meta["shown"]:
            shown[meta["env"]] = meta["shown"]
        elif isinstance(spec.default, bool):
            shown[meta["env"]] = "1" if spec.default else "0"
        else:
            default = spec.default
            shown[meta["env"]] = str(int(default) if isinstance(default, float) else default)
    return shown


def _parse(meta: Mapping[str, Any], kind: Any, raw: str, default: Any) -> Any:
    name = meta["env"]
    if kind in (int, float):
        raw = raw.strip()
    if not raw:
        return default
    if kind is bool:
        return raw != "0" if default else raw in _YES
    if kind is Path:
        return Path(raw)
    if kind in (int, float):
        try:
            value = kind(raw)
        except ValueError as exc:
            raise SystemExit(f"{name} 须为{'整数' if kind is int else '数字'}：{raw!r}") from exc
        if meta["minimum"] is not None and value < meta["minimum"]:
            raise SystemExit(f"{name} 不能小于 {meta['minimum']}：{raw!r}")
        return value
    return raw


def _persistent_secret(data_dir: Path) -> str:
    path = data_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


T = TypeVar("T")


@dataclass(frozen=True)
class DistrictSetting(Generic[T]):
    """One of the district's settings, stored in the ``settings`` table under ``key``.

    ``schema`` (JSON Schema) states its type and bounds, and ``convert`` turns a stored JSON
    value that satisfies it into what the code uses (e.g. a JSON 3.0 into the int 3)."""

    key: str
    default: T
    schema: Mapping[str, Any]
    convert: Callable[[Any], T]
    label: str  # Chinese, for administrators
    description: str  # Chinese: what it changes, and the rule it implements

    def shown_default(self) -> str:
        return json.dumps(self.default, ensure_ascii=False)


def _outcomes(value: Any) -> tuple[str, ...]:
    return tuple(value)


LOST_OUTCOMES: DistrictSetting[tuple[str, ...]] = DistrictSetting(
    "lost_outcomes", ("败诉", "部分败诉"),
    {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 20},
     "minItems": 1, "uniqueItems": True},
    _outcomes, "计为败诉的裁判结果",
    "裁判结果属于这些之一的案件计为败诉：计入败诉率，并启动败诉案件复盘、过错认定与履行监督",
)  # fmt: skip
LOSS_RATE_THRESHOLD = DistrictSetting(
    "loss_rate_threshold", 0.3, {"type": "number", "minimum": 0, "maximum": 1},
    float, "败诉率约谈阈值", "败诉率高于此值（0–1）的单位在评估时被约谈（本地规则）",
)  # fmt: skip
INTERVIEW_MIN_CONCLUDED = DistrictSetting(
    "interview_min_concluded", 3, {"type": "integer", "minimum": 1, "maximum": 10000},
    int, "约谈所需最少审结案件数", "期间内审结案件少于此数的单位，不因败诉率一项被约谈（本地规则）",
)  # fmt: skip
MANY_LOST_THRESHOLD = DistrictSetting(
    "many_lost_threshold", 3, {"type": "integer", "minimum": 1, "maximum": 10000},
    int, "近三年败诉较多的件数",
    "近三年败诉达到此数的单位，其法律顾问单位应与区政府保持相对统一（合法性审查时提示）",
)  # fmt: skip
ATTACHMENT_QUOTA_MB = DistrictSetting(
    "attachment_quota_mb", 2048, {"type": "integer", "minimum": 1, "maximum": 1048576},
    int, "每个单位的附件配额（MiB）", "一个单位保存的附件合计不得超过此大小，超出时拒绝上传",
)  # fmt: skip
RECONSIDERATION_ORGAN = DistrictSetting(
    "reconsideration_organ", "洪泽区人民政府",
    {"type": "string", "minLength": 1, "maxLength": 200},
    str, "行政复议机关", "登记行政复议决定时未填写复议机关的，记为此机关",
)  # fmt: skip
DIGEST_WORKING_DAYS = DistrictSetting(
    "digest_working_days", 3, {"type": "integer", "minimum": 1, "maximum": 30},
    int, "每日待办摘要的天数", "每个工作日 08:30 的待办摘要列出此数个工作日内到期的任务",
)  # fmt: skip

ARCHIVE_AFTER_YEARS = DistrictSetting(
    "archive_after_years", 0,
    {"type": "integer", "minimum": 0, "maximum": 100, "not": {"enum": [1, 2]}},
    int, "办结流程归档年限（年：0 为不归档，否则至少 3 年）",
    "办结或撤销满此年数的流程实例，连同其案件的全部流程（须都已满年限，案件的登记和裁判也已满），"
    "由 huajie archive run 移入归档库；归档后仍可查阅，不能再办理。"
    "至少 3 年：近三年败诉案件数要读到的案件留在主库",
)  # fmt: skip

CAMUNDA_GROUP_ROLES: DistrictSetting[dict[str, str]] = DistrictSetting(
    "camunda_group_roles", {},
    {"type": "object", "maxProperties": 200,
     "additionalProperties": {"type": "string", "minLength": 1, "maxLength": 32}},
    dict, "Camunda 候选组对应的角色",
    "导入 Camunda 流程图时，用户任务的 camunda:candidateGroups 按此表换成本产品的角色"
    "（role 属性），如 {\"management\": \"agency_head\"}；未列出的组不起作用（部署时提示）",
)  # fmt: skip

DISTRICT_SETTINGS: dict[str, DistrictSetting[Any]] = {
    s.key: s
    for s in (
        LOST_OUTCOMES, LOSS_RATE_THRESHOLD, INTERVIEW_MIN_CONCLUDED, MANY_LOST_THRESHOLD,
        ATTACHMENT_QUOTA_MB, RECONSIDERATION_ORGAN, DIGEST_WORKING_DAYS, CAMUNDA_GROUP_ROLES,
        ARCHIVE_AFTER_YEARS,
    )
}  # fmt: skip
