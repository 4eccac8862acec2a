"""One language in JupyterLab: working copies of the notebooks with one language's prose.

Every notebook holds its prose twice, an English cell (tagged ``lang-en``) and its Persian
twin (``lang-fa``); the runner keeps one language, and so does ``crmwb lab --lang fa``
(``make lab LAB_LANG=fa``) for JupyterLab: it writes copies of ``notebooks/`` holding
only that language's prose, with ``lang`` set in their parameters, into ``lab/<lang>/``
(git-ignored), and opens JupyterLab there.

The copies are copies: edits stay in them and never flow back to ``notebooks/``; each
copy says so in its first cell. Running ``crmwb lab`` again refreshes a copy the reader
has not edited (outputs aside) when its notebook changed, and keeps an edited one, saying
so; ``--fresh`` sets an edited copy aside under a dated name before writing a new one.
Nothing is ever deleted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import socket
import subprocess
import sys
from pathlib import Path

import nbformat

from crmwb import config, i18n, io

#: where the working copies go: ``lab/<lang>/`` in the project (git-ignored)
LAB_DIR = config.PROJECT_ROOT / "lab"
#: the key of a copy's notebook metadata that records where it came from
META = "crmwb_lab"

NOTES = {
    "en": ("*This is a working copy of `notebooks/{name}` with its English text only, made "
           "by `crmwb lab`. Your edits stay in this copy (`lab/en/`); the notebook it came "
           "from is not changed. `crmwb lab` refreshes the copies you have not edited; "
           "`crmwb lab --fresh` sets an edited copy aside under a dated name and writes a "
           "new one.*"),
    "fa": ("*این نسخهٔ کاری `notebooks/{name}` است که فقط متن فارسی آن را دارد و `crmwb lab` "
           "آن را ساخته است. ویرایش‌های شما در همین نسخه (`lab/fa/`) می‌ماند؛ دفترچهٔ اصلی "
           "تغییر نمی‌کند. `crmwb lab` نسخه‌هایی را که ویرایش نکرده‌اید تازه می‌کند؛ "
           "`crmwb lab --fresh` نسخهٔ ویرایش‌شده را با نامی تاریخ‌دار کنار می‌گذارد و نسخه‌ای "
           "تازه می‌نویسد.*"),
}


def _digest(nb) -> str:
    """What the reader may edit in a notebook: its cells' types and sources, not outputs."""
    cells = [[c.cell_type, c.source] for c in nb.cells]
    return hashlib.sha256(json.dumps(cells, ensure_ascii=False).encode()).hexdigest()


def working_copy(source: Path, lang: str):
    """The copy of the notebook at ``source`` for ``lang``: that language's prose and the
    code, ``lang`` set in its parameters, a first cell saying what it is."""
    original = nbformat.read(source, as_version=4)
    nb = i18n.keep_language(original, lang)
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            cell.source = re.sub(r'^lang: str = "\w+"', f'lang: str = "{lang}"', cell.source,
                                 flags=re.M)
    note = nbformat.v4.new_markdown_cell(NOTES[lang].format(name=source.name))
    note.id = "crmwb-lab-note"
    note.metadata["tags"] = ["crmwb-lab-note"]
    nb.cells.insert(0, note)
    nb.metadata[META] = {"source": f"notebooks/{source.name}", "lang": lang,
                         "made_from": hashlib.sha256(source.read_bytes()).hexdigest(),
                         "digest": _digest(nb)}
    return nb


def make_copies(lang: str = "en", folder: str | Path | None = None,
                notebooks_dir: str | Path | None = None, fresh: bool = False,
                log=print) -> Path:
    """Write the working copies of every notebook for ``lang`` into ``folder``
    (``lab/<lang>/`` by default) and return the folder. See the module for what is kept."""
    i18n._check(lang)
    notebooks_dir = Path(notebooks_dir or config.NOTEBOOKS_DIR)
    folder = Path(folder) if folder else LAB_DIR / lang
    if folder.resolve() == notebooks_dir.resolve():
        raise ValueError(f"the working copies cannot go into the notebooks folder itself "
                         f"({notebooks_dir})")
    folder.mkdir(parents=True, exist_ok=True)
    for source in sorted(notebooks_dir.glob("*.ipynb")):
        made = working_copy(source, lang)
        target = folder / source.name
        if target.exists():
            current = nbformat.read(target, as_version=4)
            meta = current.metadata.get(META, {})
            edited = meta.get("digest") != _digest(current)
            if not edited and meta.get("made_from") == made.metadata[META]["made_from"] \
                    and meta.get("lang") == lang:
                continue  # up to date; the reader's outputs stay
            if edited and not fresh:
                changed = meta.get("made_from") != made.metadata[META]["made_from"]
                log(f"kept your edited copy {target.name} (its notebook "
                    f"{'changed' if changed else 'is the same'}; --fresh sets it aside and "
                    "writes a new one)")
                continue
            if edited:
                stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
                aside = target.with_name(f"{target.stem}.edited-{stamp}.ipynb")
                target.rename(aside)
                log(f"set your edited copy aside as {aside.name}")
        io.write_text(target, nbformat.writes(made))
    return folder


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lab_command(folder: Path, port: int | None = None, open_browser: bool = True) -> list[str]:
    """The command that opens JupyterLab on ``folder``, on this machine only."""
    command = [sys.executable, "-m", "jupyter", "lab", f"--ServerApp.root_dir={folder}",
               "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port or _free_port()}"]
    if not open_browser:
        command.append("--no-browser")
    return command


def open_lab(lang: str = "en", folder: str | Path | None = None, fresh: bool = False,
             open_browser: bool = True) -> int:
    """Make the working copies and run JupyterLab on them until it is stopped."""
    where = make_copies(lang, folder, fresh=fresh)
    print(f"working copies with the {'English' if lang == 'en' else 'Persian'} text only in "
          f"{config.shown_path(where, config.PROJECT_ROOT)}; edits stay there")
    return subprocess.call(lab_command(where, open_browser=open_browser))
