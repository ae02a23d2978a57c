"""Redis URLs: checked, shown without their password, and connected with timeouts and a one-line error."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import redis

SCHEMES = ("redis", "rediss", "unix")


class RedisUnavailable(Exception):
    """Redis could not be reached (or refused us); the message names the URL and says why, in one line."""


def safe_url(url: str) -> str:
    """``url`` with any password replaced by ``***``, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit((parts.scheme, f"{user}:***@{host}{port}", parts.path, parts.query, parts.fragment))


def without_password(url: str) -> str:
    """``url`` with its password left out (user name kept), for what is stored on disk."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = f"{parts.username}@" if parts.username else ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit((parts.scheme, f"{user}{parts.hostname or ''}{port}", parts.path, parts.query, parts.fragment))


def check_url(url: str) -> str:
    scheme = urlsplit(url).scheme
    if scheme not in SCHEMES:
        raise RedisUnavailable(
            f"{safe_url(url)} is not a Redis URL (expected redis://[:PASSWORD@]HOST[:PORT][/DB], rediss://… or "
            f"unix://…)"
        )
    return url


def reason(exc: BaseException) -> str:
    """A Redis client error as one short line."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, redis.exceptions.AuthenticationError) or "NOAUTH" in text or "WRONGPASS" in text:
        return f"authentication failed ({text}); give the password as redis://:PASSWORD@host"
    return text


def connect(url: str, timeout: float = 5.0) -> redis.Redis:
    """A client for ``url``, checked with PING. Raises ``RedisUnavailable`` naming the URL."""
    check_url(url)
    try:
        client = redis.Redis.from_url(
            url, socket_connect_timeout=timeout, socket_timeout=max(timeout, 10.0), health_check_interval=30
        )
        client.ping()
    except (redis.exceptions.RedisError, OSError, ValueError) as exc:
        raise RedisUnavailable(f"cannot reach Redis at {safe_url(url)}: {reason(exc)}") from None
    return client
