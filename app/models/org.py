"""Units (单位), users and API tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime

UNIT_KINDS = {
    "government": "区政府",
    "bureau": "区司法局",
    "center": "区行政争议调处中心",
    "agency": "镇街/部门",
    "court": "法院",
    "discipline": "纪检监察机关",
}

ROLES = {
    "center": "调处中心工作人员",
    "agency": "行政机关工作人员",
    "agency_head": "行政机关主要负责人",
    "bureau": "司法局工作人员",
    "bureau_head": "司法局主要负责人",
    "leader": "区领导",
    "auditor": "审计人员（只读）",
    "process_owner": "流程管理员",
    "admin": "系统管理员",
    "court": "法院（接口）",
    "legal_adviser": "公职律师/法律顾问",
}


class Unit(Base):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32), index=True)
    # 合法性审查: the unit's designated reviewer (明确专人) and its legal-adviser firm
    designated_reviewer_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", use_alter=True, name="fk_units_designated_reviewer_id_users"),
        default=None,
    )
    legal_adviser_firm: Mapped[str] = mapped_column(String(200), default="")

    users: Mapped[list[User]] = relationship(back_populates="unit", foreign_keys="User.unit_id")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(default=True)
    email: Mapped[str] = mapped_column(String(200), default="")
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # after an administrator's reset: the temporary password must be changed at the next login
    must_change_password: Mapped[bool] = mapped_column(default=False)

    unit: Mapped[Unit] = relationship(back_populates="users", lazy="joined", foreign_keys=[unit_id])

    # Flask-Login protocol. What Flask-Login keeps in the cookie (and in a remember-me cookie) is
    # the login session's token, never the user's id: a cookie is only as good as the
    # server-side session it names (``app.services.identity.login_sessions``).
    # set by login_sessions; not a column (a type comment: the ORM would map an annotation)
    login_token = None  # type: str | None

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        if self.login_token is None:
            raise RuntimeError("a user signs in through a login session (login_sessions.start)")
        return self.login_token

    @property
    def label(self) -> str:
        return self.display_name or self.username


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    user: Mapped[User] = relationship(lazy="joined")


class LoginSession(Base):
    """A browser's login (登录会话), kept in the database so that every server process and
    machine sees it end: the cookie carries a random token, this row its sha256."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    end_reason: Mapped[str] = mapped_column(String(32), default="")
    ip: Mapped[str] = mapped_column(String(64), default="")

    user: Mapped[User] = relationship(lazy="joined")


class CalendarFeed(Base):
    """A user's private calendar feed (日历订阅): the URL carries a random token, this row its
    sha256. Issuing a new one revokes the old."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    user: Mapped[User] = relationship(lazy="joined")


class Substitution(Base):
    """A named substitute (代理人) who works a user's tasks for a date range (Shanghai dates)."""

    __tablename__ = "substitutions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    substitute_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    starts_on: Mapped[str] = mapped_column(String(10))  # YYYY-MM-DD
    ends_on: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
    substitute: Mapped[User] = relationship(foreign_keys=[substitute_id], lazy="joined")
