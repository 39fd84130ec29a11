"""Passwords: argon2 hashes, the policy every new password meets, temporary passwords."""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

from app.errors import InvalidInput

MIN_LENGTH = 8
MAX_LENGTH = 128
# zxcvbn's score: 0–1 falls to fewer than a million guesses (common passwords, their
# capitalised or leet variants, a name and a year): refused. 2 and above are accepted.
MIN_STRENGTH = 2
_ZXCVBN_MAX = 72  # zxcvbn refuses longer input; the first 72 characters carry the weakness

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@cache
def _dummy_hash() -> str:
    """A hash nobody's password matches, with the same parameters as real ones."""
    return _hasher.hash(secrets.token_hex(16))


def verify(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; without a stored hash (an unknown or inactive user) it is
    checked against a dummy one, so the answer takes as long as for a real account."""
    try:
        return _hasher.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def problems(password: str, *, known: tuple[str, ...] = ()) -> list[str]:
    """Every way ``password`` breaks the policy (empty: it is acceptable).

    At least 8 characters with letters and digits, at most 128, and not a common or easily
    guessed password (zxcvbn's dictionaries of common passwords, words and names, offline);
    ``known`` are words guessers know about this person (username, name, unit).
    """
    found = []
    if len(password) < MIN_LENGTH:
        found.append(f"密码至少 {MIN_LENGTH} 位")
    if len(password) > MAX_LENGTH:
        found.append(f"密码不能超过 {MAX_LENGTH} 位")
    if not any(c.isalpha() for c in password) or not any(c.isdigit() for c in password):
        found.append("密码须同时包含字母和数字")
    if password and not found and _guessable(password, known):
        found.append("密码过于常见或容易被猜到（如常用密码、用户名、姓名加年份），请换一个")
    return found


def _guessable(password: str, known: tuple[str, ...]) -> bool:
    words = [word for word in known if word]
    return zxcvbn(password[:_ZXCVBN_MAX], user_inputs=words)["score"] < MIN_STRENGTH


def check(password: str, *, field: str = "password", known: tuple[str, ...] = ()) -> None:
    """Raise ``InvalidInput`` naming ``field`` with every problem of ``password``."""
    found = problems(password, known=known)
    if found:
        raise InvalidInput("；".join(found), {field: found})


def temporary() -> str:
    """A random password that meets the policy (generated users, administrators' resets)."""
    return secrets.token_urlsafe(12) + "7a"
