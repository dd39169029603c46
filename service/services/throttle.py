"""Limits on password guessing, kept in the database so that every worker shares them and a restart
clears nothing.

Two counters, both over failed password checks of a login (at the login form or when a
signature is confirmed with the password):

* **login + address**: `PAIR_ATTEMPTS` failures within `PAIR_WINDOW` lock that login *from that
  address* until the oldest failure leaves the window. One guesser gets 5 tries per 15 minutes.
* **login, any address**: `LOGIN_ATTEMPTS` failures within `LOGIN_WINDOW` lock the login from
  every address *except the ones it has signed in from successfully* (`auth_known_addresses`).
  Guessers spread over many addresses get 20 tries an hour in all.

Why two: a lock keyed by the login alone lets any stranger lock any person out by typing wrong
passwords for their login. Here a stranger only ever locks *their own* address, and the wide lock
does not reach the addresses the person really uses, so a real user is not locked out by someone
else; at worst a person signing in for the first time from a new address while their login is
under attack waits until the wide window passes (at most `LOGIN_WINDOW`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from service.db.models import AuthFailure, AuthKnownAddress
from service.domain.errors import TooManyAttempts

PAIR_ATTEMPTS, PAIR_WINDOW = 5, timedelta(minutes=15)
LOGIN_ATTEMPTS, LOGIN_WINDOW = 20, timedelta(hours=1)
KNOWN_ADDRESS_FOR = timedelta(days=180)
PURGE_SHARE = 0.02


@dataclass(frozen=True)
class Limits:
    pair_attempts: int = PAIR_ATTEMPTS
    pair_window: timedelta = PAIR_WINDOW
    login_attempts: int = LOGIN_ATTEMPTS
    login_window: timedelta = LOGIN_WINDOW


DEFAULT_LIMITS = Limits()


def _key(login: str) -> str:
    return login.strip().lower()[:100]


def locked_for(session, login: str, ip: str, now: datetime, limits: Limits = DEFAULT_LIMITS) -> int:
    """Seconds until `login` may try a password again from `ip`; 0 when it may try now."""
    key, ip = _key(login), ip[:64]
    waits = [0]
    count, oldest = session.execute(
        sa.select(sa.func.count(), sa.func.min(AuthFailure.at)).where(
            AuthFailure.login == key, AuthFailure.ip == ip, AuthFailure.at > now - limits.pair_window)).one()
    if count >= limits.pair_attempts:
        waits.append(_seconds(oldest + limits.pair_window - now))
    if not _known(session, key, ip, now):
        count, oldest = session.execute(
            sa.select(sa.func.count(), sa.func.min(AuthFailure.at)).where(
                AuthFailure.login == key, AuthFailure.at > now - limits.login_window)).one()
        if count >= limits.login_attempts:
            waits.append(_seconds(oldest + limits.login_window - now))
    return max(waits)


def _seconds(delta: timedelta) -> int:
    return max(1, int(delta.total_seconds()) + 1)


def _known(session, key: str, ip: str, now: datetime) -> bool:
    return session.scalar(sa.select(AuthKnownAddress.last_success_at).where(
        AuthKnownAddress.login == key, AuthKnownAddress.ip == ip,
        AuthKnownAddress.last_success_at > now - KNOWN_ADDRESS_FOR)) is not None


def check(session, login: str, ip: str, now: datetime, what: str, limits: Limits = DEFAULT_LIMITS) -> None:
    """Raise TooManyAttempts (429) while `login` is locked from `ip`; `what` names the action."""
    wait = locked_for(session, login, ip, now, limits)
    if wait:
        raise TooManyAttempts(f"Слишком много неудачных попыток {what}. Повторите через {wait // 60 + 1} мин.")


def record_failure(session, login: str, ip: str, kind: str, now: datetime, limits: Limits = DEFAULT_LIMITS) -> None:
    """Count one wrong password (`kind`: login | signature); old records of the login are dropped."""
    key = _key(login)
    oldest_kept = now - max(limits.pair_window, limits.login_window)
    stale = AuthFailure.at <= oldest_kept
    # The login's own old records go every time; now and then everyone's, so that guesses at
    # logins that name nobody do not pile up.
    session.execute(sa.delete(AuthFailure).where(stale if random.random() < PURGE_SHARE else
                                                 sa.and_(AuthFailure.login == key, stale)))
    session.add(AuthFailure(login=key, ip=ip[:64], kind=kind, at=now))


def record_success(session, login: str, ip: str, now: datetime) -> None:
    """A right password: this address's failures are forgiven and it becomes a known address."""
    key, ip = _key(login), ip[:64]
    session.execute(sa.delete(AuthFailure).where(AuthFailure.login == key, AuthFailure.ip == ip))
    known = session.get(AuthKnownAddress, (key, ip))
    if known is not None:
        known.last_success_at = now
        return
    try:
        with session.begin_nested():  # two first logins from one address at once: one row
            session.add(AuthKnownAddress(login=key, ip=ip, last_success_at=now))
    except IntegrityError:
        pass
