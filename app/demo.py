"""Demo units and users for a fresh machine (``huajie init --demo``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Unit, User
from app.services.actor import SYSTEM
from app.services.identity import org, units

UNITS = [
    ("QZF", "洪泽区人民政府", "government"),
    ("SFJ", "洪泽区司法局", "bureau"),
    ("TCZX", "洪泽区行政争议调处中心", "center"),
    ("GTZY", "洪泽区自然资源和规划局", "agency"),
    ("SCJG", "洪泽区市场监督管理局", "agency"),
    ("GXJD", "洪泽区高良涧街道办事处", "agency"),
    ("CHZ", "洪泽区岔河镇人民政府", "agency"),
    ("FY", "洪泽区人民法院", "court"),
    ("JW", "洪泽区纪委监委", "discipline"),
]

# (username, unit, role, display name); every demo password is "<username>-Demo2026"
USERS = [
    ("center", "TCZX", "center", "王敏"),
    ("bureau", "SFJ", "bureau", "李强"),
    ("bureau_head", "SFJ", "bureau_head", "孙建"),
    ("jw", "JW", "agency", "吕明"),
    ("owner", "SFJ", "process_owner", "周洁"),
    ("leader", "QZF", "leader", "陈建国"),
    ("gtzy", "GTZY", "agency", "刘洋"),
    ("gtzy_head", "GTZY", "agency_head", "赵刚"),
    ("scjg", "SCJG", "agency", "孙丽"),
    ("scjg_head", "SCJG", "agency_head", "吴涛"),
    ("gxjd", "GXJD", "agency", "郑华"),
    ("chz", "CHZ", "agency", "冯军"),
    ("gtzy_reviewer", "GTZY", "agency", "钱敏"),
    ("gtzy_lawyer", "GTZY", "legal_adviser", "马骏"),
    ("scjg_reviewer", "SCJG", "agency", "何静"),
    ("scjg_lawyer", "SCJG", "legal_adviser", "高远"),
    ("auditor", "SFJ", "auditor", "许静"),
    ("admin", "SFJ", "admin", "系统管理员"),
    ("court", "FY", "court", "法院接口"),
]


# 合法性审查: designated reviewers and legal-adviser firms
REVIEWERS = {"GTZY": "gtzy_reviewer", "SCJG": "scjg_reviewer"}
ADVISER_FIRMS = {
    "QZF": "江苏洪泽正衡律师事务所",
    "GTZY": "江苏洪泽正衡律师事务所",
    "SCJG": "淮安明德律师事务所",
}


def demo_password(username: str) -> str:
    return f"{username}-Demo2026"


def seed(session: Session) -> list[tuple[str, str, str, str]]:
    """Create what is missing; returns (username, password, unit, role) of every demo user."""
    for code, name, kind in UNITS:
        if session.scalar(select(Unit).where(Unit.code == code)) is None:
            org.add_unit(session, SYSTEM, code, name, kind)
    created = []
    for username, unit, role, label in USERS:
        if session.scalar(select(User).where(User.username == username)) is None:
            org.add_user(session, SYSTEM, username, unit, role, demo_password(username), label)
        created.append((username, demo_password(username), unit, role))
    for code, username in REVIEWERS.items():
        unit_row = org.unit_by_code(session, code)
        if unit_row.designated_reviewer_id is None:
            units.set_reviewer(session, SYSTEM, code, username)
    for code, firm in ADVISER_FIRMS.items():
        if not org.unit_by_code(session, code).legal_adviser_firm:
            units.set_adviser_firm(session, SYSTEM, code, firm)
    return created
