"""Where the report's files live, and which data snapshot is in use."""

from __future__ import annotations

import os
import re
from pathlib import Path

#: Environment variable that points the loader (and the book build) at another snapshot folder.
DATA_ENV_VAR = "TOKENRACE_DATA"

#: Set (to "1") by the book build for its kernels: charts are then published as MyST figures.
BOOK_BUILD_ENV = "TOKENRACE_BOOK_BUILD"

#: Set by the book build to the fingerprint of the snapshot it has just validated.
VALIDATED_ENV = "TOKENRACE_VALIDATED_FINGERPRINT"

#: Root of the repository checkout (the folder holding ``_config.yml``).
REPO_ROOT = Path(__file__).resolve().parents[2]

#: The committed, representative snapshot.
DEFAULT_DATA_DIR = REPO_ROOT / "data"

#: The public raw measurement files (never committed): ``shared/sources/raw`` beside the checkout,
#: read in place by ``python -m tokenrace sources import`` (its README lists what they hold).
RAW_SOURCES_DIR = REPO_ROOT.parent / "shared" / "sources" / "raw"

#: The one committed setting naming the snapshot the book uses (a ``snapshot: FOLDER`` line).
SETTING_FILE = "snapshot.yml"

_SETTING_LINE = re.compile(r"^snapshot:[ \t]*(?P<value>.*?)[ \t]*$", re.MULTILINE)


class SettingError(ValueError):
    """``snapshot.yml`` is missing its ``snapshot:`` line or names no folder."""


def read_setting(root: str | os.PathLike[str] | None = None) -> Path:
    """The snapshot folder named by ``ROOT/snapshot.yml`` (default root: the checkout).

    The value is a folder relative to the setting file (quotes allowed). Without the file, the
    committed ``data/`` of that root. Raises :class:`SettingError` if the file has no usable line.
    """
    base = Path(root) if root is not None else REPO_ROOT
    setting = base / SETTING_FILE
    if not setting.is_file():
        return (base / "data").resolve()
    match = _SETTING_LINE.search(setting.read_text(encoding="utf-8"))
    value = match["value"].strip("'\"") if match else ""
    if not value:
        raise SettingError(f"{setting}: no 'snapshot: FOLDER' line (e.g. 'snapshot: data')")
    return (base / value).expanduser().resolve()


def write_setting(folder: str | os.PathLike[str], root: str | os.PathLike[str]) -> Path:
    """Point ``ROOT/snapshot.yml`` at ``folder`` (changing only its ``snapshot:`` line)."""
    base = Path(root).resolve()
    setting = base / SETTING_FILE
    value = os.path.relpath(Path(folder).resolve(), base)
    text = setting.read_text(encoding="utf-8") if setting.is_file() else ""
    line = f"snapshot: {value}"
    new = _SETTING_LINE.sub(line, text, count=1) if _SETTING_LINE.search(text) else text + line
    setting.write_text(new if new.endswith("\n") else new + "\n", encoding="utf-8")
    return setting


def snapshot_dir(
    path: str | os.PathLike[str] | None = None, root: str | os.PathLike[str] | None = None
) -> Path:
    """Return the snapshot folder to read.

    An explicit ``path`` wins; otherwise ``$TOKENRACE_DATA`` if set and non-empty; otherwise the
    folder named by the setting file ``snapshot.yml`` of ``root`` (default: this checkout), which
    is ``data/`` unless a refresh changed it. Relative paths in ``path`` and ``$TOKENRACE_DATA``
    are taken from the current working directory.
    """
    if path is not None:
        return Path(path).expanduser().resolve()
    env = os.environ.get(DATA_ENV_VAR, "").strip()
    if env:
        return Path(env).expanduser().resolve()
    return read_setting(root)
