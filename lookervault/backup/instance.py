"""One vault, one Looker: refuse to mix the content of two instances in the same vault."""

from __future__ import annotations

from urllib.parse import urlsplit

from lookervault.errors import VaultError

__all__ = ["check_same_instance", "instance_key"]

_DEFAULT_PORTS = {"http": 80, "https": 443}


def instance_key(url: str) -> str:
    """A base URL reduced to what names an instance: scheme, host (any case), port and path."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:  # a port that is not a number: compare the text as given
        return url.strip().rstrip("/").lower()
    port = port or _DEFAULT_PORTS.get(scheme)
    host = (parts.hostname or "").lower()
    return f"{scheme}://{host}:{port}{parts.path.rstrip('/')}"


def check_same_instance(base_url: str, recorded: list[str], *, allow_other: bool) -> None:
    """Refuse `base_url` when the vault's runs came from another Looker, unless allowed.

    Raises:
        VaultError: the vault holds runs of a different instance (exit 2).
    """
    if allow_other:
        return
    wanted = instance_key(base_url)
    others = [url for url in recorded if instance_key(url) != wanted]
    if others:
        raise VaultError(
            f"the vault holds runs of {_shown(others[0])}, not of {_shown(base_url)}: one vault "
            "backs up one "
            "Looker; use another --db, or --allow-other-instance to mix them on purpose"
        )


def _shown(url: str) -> str:
    """The URL without user:password@ or query, fit for an error line."""
    parts = urlsplit(url.strip())
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"
