"""Export a vault snapshot: JSON lines, or pretty JSON files in a tree mirroring Looker's folders.

Both read the items as stored (Looker's bytes) through the vault; written files are private
(mode 0600), as the vault itself is: they carry the instance's content. Both write into a hidden
temporary sibling and rename it into place at the end, so an interrupted export leaves nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from lookervault import jsonio
from lookervault.content import CONTENT_TYPES
from lookervault.errors import UsageError, VaultError
from lookervault.history import load_json, pretty_json
from lookervault.vault.store import Vault

__all__ = [
    "DIR_MODE",
    "FILE_MODE",
    "FOLDER_FILE",
    "MAX_ID_BYTES",
    "MAX_TITLE_BYTES",
    "FilesExport",
    "export_files",
    "export_jsonl",
    "safe_name",
    "write_jsonl",
]

logger = logging.getLogger(__name__)

FILE_MODE = 0o600
DIR_MODE = 0o700
# Well under the 255-byte limit of common file systems once "--<id>~<hash>.json" is added.
MAX_TITLE_BYTES = 80
MAX_ID_BYTES = 100
FOLDER_FILE = "_folder.json"  # a folder's own object; never "<title>--<id>.json"
_HASH_CHARS = 10
_FOLDERS = "folders"
_BOARDS = "boards"
# Access rules are named after the folder or board they guard (their id is its content_metadata_id).
_ACCESS = "content_metadata_access"
_ACCESS_FALLBACK = "access"
_UNTITLED = "untitled"
# Path separators, control characters and what Windows forbids: never in a name component.
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')
_DEFAULT_TITLES = ("title", "name")
_TITLES = {ct.name: ct.metadata.title for ct in CONTENT_TYPES}
# Types whose items live in a Looker folder (their "folder_id" names it): dashboards, looks.
_FOLDERED = frozenset(ct.name for ct in CONTENT_TYPES if ct.metadata.folder == "folder_id")


@dataclass(frozen=True, slots=True)
class FilesExport:
    """What `export_files` wrote."""

    output: Path
    files: int
    directories: int


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:_HASH_CHARS]


def _clean(text: str, max_bytes: int) -> str:
    """One safe path component, or "" (no separators, no leading dots, bounded length)."""
    text = unicodedata.normalize("NFC", text)
    text = " ".join(_UNSAFE.sub("_", text).split()).strip(" .")
    data = text.encode("utf-8", "replace")[:max_bytes]
    return data.decode("utf-8", "ignore").strip(" .")


def safe_name(title: str | None, item_id: str) -> str:
    """``<sanitized title>--<id>``: deterministic, a single path component, never "." or "..".

    Ids that sanitizing changed get a hash of the raw id, so distinct ids stay distinct.
    """
    stem = _clean(title or "", MAX_TITLE_BYTES) or _UNTITLED
    safe_id = _clean(item_id, MAX_ID_BYTES)
    if safe_id != item_id:
        safe_id = f"{safe_id}~{_short_hash(item_id)}"
    return f"{stem}--{safe_id}"


def _title(content_type: str, obj: Any) -> str | None:
    if not isinstance(obj, Mapping):
        return None
    for name in _TITLES.get(content_type, _DEFAULT_TITLES):
        if obj.get(name) not in (None, ""):
            return str(obj[name])
    return None


class _Tree:
    """Names handed out per directory, so no two items share a file (even case-insensitively)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._used: dict[tuple[str, ...], set[str]] = {}
        self.created: set[tuple[str, ...]] = set()

    def claim(self, parent: tuple[str, ...], name: str, key: str) -> str:
        used = self._used.setdefault(parent, set())
        if name.casefold() in used:
            name = f"{name}~{_short_hash(key)}"
        if name.casefold() in used or name in ("", ".", "..") or "/" in name:
            raise VaultError(f"cannot name {key!r} safely in {'/'.join(parent) or '.'}")
        used.add(name.casefold())
        return name

    def ensure(self, parts: tuple[str, ...]) -> Path:
        """Create the directories of ``parts`` below the root, each 0700."""
        for depth in range(1, len(parts) + 1):
            prefix = parts[:depth]
            if prefix not in self.created:
                path = self.root.joinpath(*prefix)
                path.mkdir(mode=DIR_MODE)
                path.chmod(DIR_MODE)  # the umask may have dropped bits
                self.created.add(prefix)
        return self.root.joinpath(*parts)


def _folder_paths(folders: dict[str, Any], tree: _Tree) -> dict[str, tuple[str, ...]]:
    """Each folder's directory parts, from the root folder down; cycles and orphans go on top."""
    paths: dict[str, tuple[str, ...]] = {}

    def resolve(folder_id: str, seen: frozenset[str]) -> tuple[str, ...]:
        if folder_id in paths:
            return paths[folder_id]
        obj = folders[folder_id]
        parent = obj.get("parent_id") if isinstance(obj, Mapping) else None
        parent = str(parent) if parent is not None else None
        above: tuple[str, ...] = (_FOLDERS,)
        if parent in folders and parent not in seen:
            above = resolve(parent, seen | {folder_id})
        name = tree.claim(above, safe_name(_title(_FOLDERS, obj), folder_id), f"folder {folder_id}")
        paths[folder_id] = (*above, name)
        return paths[folder_id]

    for folder_id in folders:
        resolve(folder_id, frozenset())
    return paths


def _write_file(path: Path, data: bytes) -> None:
    """Create a new 0600 file; never follow a link or overwrite anything."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def _check_parent(output: Path) -> Path:
    """The directory ``output`` goes in, which must exist (UsageError naming it otherwise)."""
    parent = output.parent
    if not parent.exists():
        raise UsageError(f"cannot export to {output}: directory {parent} does not exist")
    if not parent.is_dir():
        raise UsageError(f"cannot export to {output}: {parent} is not a directory")
    return parent


def _cannot(output: Path, exc: OSError) -> UsageError:
    return UsageError(f"cannot export to {output}: {exc.strerror or type(exc).__name__}")


def _check_directory(output: Path) -> bool:
    """Whether ``output`` exists; an existing one may hold only dot-entries (.git)."""
    if not output.exists():
        _check_parent(output)
        return False
    if not output.is_dir():
        raise UsageError(f"cannot export to {output}: not a directory")
    if any(not entry.name.startswith(".") for entry in output.iterdir()):
        raise UsageError(f"cannot export to {output}: the directory is not empty")
    return True


def _partial_directory(output: Path, exists: bool) -> Path:
    """A new hidden 0700 directory on the same file system, where the tree is written first.

    A sibling ``.NAME.partial-XXXX`` when ``output`` is missing; inside ``output`` (a dot-entry)
    when it exists, so an existing directory never needs its parent to be writable.
    """
    where, prefix = (output, ".lookervault.partial-") if exists else (output.parent, None)
    prefix = prefix or f".{output.name}.partial-"
    try:
        path = Path(tempfile.mkdtemp(prefix=prefix, dir=where))
    except OSError as exc:
        raise _cannot(output, exc) from exc
    path.chmod(DIR_MODE)
    return path


def _move_into_place(partial: Path, output: Path, exists: bool) -> None:
    """Rename the finished tree to ``output``, or its entries into the existing ``output``."""
    if not exists:
        partial.rename(output)  # fails rather than replace anything that appeared meanwhile
        return
    moved: list[Path] = []
    try:
        for entry in sorted(partial.iterdir()):  # never dot-names: they cannot meet .git
            entry.rename(output / entry.name)
            moved.append(output / entry.name)
    except BaseException:
        for path in moved:
            shutil.rmtree(path, ignore_errors=True)
        raise
    partial.rmdir()


def _access_titles(vault: Vault, folders: dict[str, Any], run_id: int | None) -> dict[str, str]:
    """content_metadata_id -> "folder NAME" or "board TITLE", to name the access rules."""
    boards = (
        (item_id, load_json(content))
        for _, item_id, content in vault.iter_items([_BOARDS], run_id=run_id)
    )
    titles: dict[str, str] = {}
    for kind, items in ((_BOARDS, boards), (_FOLDERS, folders.items())):
        for item_id, obj in items:
            cmid = obj.get("content_metadata_id") if isinstance(obj, Mapping) else None
            if cmid is not None:
                titles[str(cmid)] = f"{kind[:-1]} {_title(kind, obj) or item_id}"
    return titles


def _place(
    content_type: str,
    item_id: str,
    obj: Any,
    folders: dict[str, tuple[str, ...]],
    tree: _Tree,
    access: Mapping[str, str],
) -> tuple[tuple[str, ...], str]:
    """(directory parts, file name) of one item; access rules take their folder's or board's name."""
    if content_type == _FOLDERS and item_id in folders:
        return folders[item_id], FOLDER_FILE
    folder = obj.get("folder_id") if isinstance(obj, Mapping) else None
    if content_type in _FOLDERED and folder is not None and str(folder) in folders:
        parent = (*folders[str(folder)], content_type)
    else:
        parent = (_clean(content_type, MAX_TITLE_BYTES) or _UNTITLED,)
    if content_type == _ACCESS:
        title = access.get(item_id, _ACCESS_FALLBACK)
    else:
        title = _title(content_type, obj)
    stem = safe_name(title, item_id)
    return parent, tree.claim(parent, stem, f"{content_type} {item_id}") + ".json"


def export_files(vault: Vault, output: Path, *, run_id: int | None = None) -> FilesExport:
    """Write every item of the latest state (or of ``run_id``'s snapshot) under ``output``.

    Folders become directories named ``<name>--<id>`` under ``output/folders`` (the folder's own
    object is ``_folder.json``); dashboards and looks go in ``<their folder>/<type>/``; other
    items in ``output/<type>/``. Files are ``<title>--<id>.json``, mode 0600; directories 0700.

    The tree is written in a hidden temporary directory and moved into place at the end; on
    any failure or interruption that directory is removed, so ``output`` is left as it was.

    Raises:
        UsageError: ``output`` exists and is not an empty directory, or cannot be created.
    """
    exists = _check_directory(output)
    partial = _partial_directory(output, exists)
    try:
        try:
            done = _write_tree(vault, partial, run_id)
            _move_into_place(partial, output, exists)
        except OSError as exc:
            raise _cannot(output, exc) from exc
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    logger.info("exported %d files into %s", done.files, output)
    return FilesExport(output, done.files, done.directories)


def _write_tree(vault: Vault, root: Path, run_id: int | None) -> FilesExport:
    tree = _Tree(root)
    folders = {
        item_id: load_json(content)
        for _, item_id, content in vault.iter_items([_FOLDERS], run_id=run_id)
    }
    paths = _folder_paths(folders, tree)
    access = _access_titles(vault, folders, run_id)
    files = 0
    for content_type, item_id, content in vault.iter_items(run_id=run_id):
        obj = folders[item_id] if content_type == _FOLDERS else load_json(content)
        parent, name = _place(content_type, item_id, obj, paths, tree, access)
        _write_file(tree.ensure(parent) / name, pretty_json(obj))
        files += 1
    return FilesExport(root, files, len(tree.created))


def write_jsonl(vault: Vault, sink: BinaryIO, *, run_id: int | None = None) -> None:
    """One line per item: {"content_type", "id", "content": <the object as stored>}."""
    write = sink.write
    for content_type, item_id, content in vault.iter_items(run_id=run_id):
        write(b'{"content_type":' + jsonio.dumps(content_type) + b',"id":' + jsonio.dumps(item_id))
        write(b',"content":' + content + b"}\n")


def export_jsonl(
    vault: Vault, output: Path, *, run_id: int | None = None, force: bool = False
) -> None:
    """Write the JSON lines to a new private file (0600), renamed into place when complete.

    Raises:
        UsageError: ``output`` exists (unless ``force``), is a directory, or its directory is
            missing or not writable.
    """
    _check_file(output, force=force)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{output.name}.partial-", dir=output.parent)
    except OSError as exc:
        raise _cannot(output, exc) from exc
    try:
        try:
            os.fchmod(fd, FILE_MODE)
            with os.fdopen(fd, "wb") as sink:
                write_jsonl(vault, sink, run_id=run_id)
            _check_file(output, force=force)  # nothing appeared meanwhile
            os.replace(name, output)
        except OSError as exc:
            raise _cannot(output, exc) from exc
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise


def _check_file(output: Path, *, force: bool) -> None:
    _check_parent(output)
    if output.is_dir():
        raise UsageError(f"cannot export to {output}: it is a directory")
    if not force and (output.exists() or output.is_symlink()):
        raise UsageError(f"cannot export to {output}: the file exists (--force replaces it)")
