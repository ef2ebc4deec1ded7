"""Staff accounts: create, authenticate, sign out everywhere.

Passwords are hashed with Argon2id (argon2-cffi's defaults, RFC 9106's
low-memory profile) and rehashed on sign-in when those defaults change.
"""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import STAFF_ROLES, User
from plumbing.database import utcnow

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200
_hasher = PasswordHasher()
# Verified against when the email is unknown, so a wrong email costs as much
# time as a wrong password and sign-in does not reveal which accounts exist.
_DUMMY_HASH = _hasher.hash("sharecast: no such account")


class AccountError(ValueError):
    """Bad account input; ``field`` names what is wrong."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def normalise_email(email: str) -> str:
    """The address in the form it is stored and looked up (lower-cased, checked).

    :raise AccountError: not an email address.
    """
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise AccountError("email", str(exc)) from None


def check_password(password: str) -> None:
    """:raise AccountError: too short or too long to be a password we accept."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError("password", f"Use at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError("password", f"Use at most {MAX_PASSWORD_LENGTH} characters.")


def create_user(session: Session, workspace_id: int, email: str, password: str, role: str, name: str = "") -> User:
    """Add a staff account to the workspace.

    :raise AccountError: bad email, weak password, unknown role, or email taken.
    """
    if role not in STAFF_ROLES:
        raise AccountError("role", f"one of {', '.join(STAFF_ROLES)}")
    email = normalise_email(email)
    check_password(password)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise AccountError("email", "An account with this email already exists.")
    user = User(workspace_id=workspace_id, email=email, name=name.strip()[:200], role=role,
                password_hash=_hasher.hash(password), session_epoch=0)
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The account whose email and password match, or None; rehashes stale hashes."""
    try:
        email = normalise_email(email)
    except AccountError:
        email = ""
    user = session.scalar(select(User).where(User.email == email)) if email else None
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password[:MAX_PASSWORD_LENGTH])
    except (VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_sign_in_at = utcnow()
    return user


def set_password(session: Session, user: User, password: str) -> None:
    """Change the password and end every other session of the account.

    :raise AccountError: a password we do not accept.
    """
    check_password(password)
    user.password_hash = _hasher.hash(password)
    user.session_epoch += 1


def end_sessions(user: User) -> None:
    """Sign the account out on every device."""
    user.session_epoch += 1
