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
    secure_cookies: bool = False

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
            secure_cookies=os.environ.get("HUAJIE_SECURE_COOKIES", "") in {"1", "true", "yes"},
        )


def _persistent_secret(data_dir: Path) -> str:
    path = data_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
