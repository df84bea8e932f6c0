"""What a ribbon button needs from Excel, and two hosts that provide it.

A button never touches xlwings itself: it asks its :class:`Host` for the calling
workbook's path, for answers (the period, a folder, returned files), to save, close and
reopen the workbook, and to show messages. Two hosts implement that:

* :class:`XlwingsHost` — Excel through xlwings (``xw.Book.caller()``, ``InputBox``,
  ``FileDialog``, a message box, the status bar). It needs Excel on Windows and is kept
  tiny and obvious, because it cannot be run here; xlwings is imported inside it only.
* :class:`FileHost` — a workbook file on disk and answers given in advance. It is the
  host on Linux and in the tests (and ``kpixl macro TAG WORKBOOK --answer key=value``):
  the button code it runs is exactly the code Excel runs.

Why close and reopen: kpixl writes the master atomically (a temporary file, then a
replace), and Windows cannot replace a file Excel holds open; so a button that rewrites
the master saves it, closes it, calls the core, and opens it again.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Mapping, Protocol, TextIO, runtime_checkable

from kpixl.errors import FileProblem

__all__ = ["FileHost", "Host", "XlwingsHost", "fit_message", "progress_to"]

TITLE = "kpixl"
#: A message box taller than this many lines runs off the screen; the rest goes to a file.
MESSAGE_LINES = 30
MESSAGE_CHARS = 2000


@runtime_checkable
class Host(Protocol):
    """Everything a button needs from the spreadsheet program.

    Every question has a ``key`` (``period``, ``out``, ``returned``) besides its prompt:
    :class:`FileHost` answers by key, Excel shows the prompt.
    """

    @property
    def path(self) -> str:
        """The calling workbook's full path on disk."""
        ...

    def save(self) -> None:
        """Save the calling workbook (the core reads the file, not the open window)."""
        ...

    def close(self) -> None:
        """Close the calling workbook, so that kpixl can replace the file."""
        ...

    def reopen(self) -> None:
        """Open the calling workbook again (after :meth:`close`)."""
        ...

    def ask(self, key: str, prompt: str, default: str = "") -> str | None:
        """A line of text, ``default`` filled in; None when cancelled."""
        ...

    def pick_folder(self, key: str, prompt: str, default: str | None = None) -> str | None:
        """A folder; None when cancelled."""
        ...

    def pick_files(self, key: str, prompt: str) -> list[str]:
        """Workbooks to read; empty when cancelled."""
        ...

    def message(self, text: str, title: str = TITLE) -> None:
        """Show a message (the outcome, or the problems found)."""
        ...

    def status(self, text: str | None) -> None:
        """Show progress in the status bar; None gives it back to Excel."""
        ...


def fit_message(text: str, lines: int = MESSAGE_LINES, chars: int = MESSAGE_CHARS) -> tuple[str, bool]:
    """Shorten a message to what a message box shows whole.

    Returns:
        ``(text, cut)``: the text itself when short enough, else its first lines and a
        note of how many more there are; ``cut`` says whether it was shortened.
    """
    all_lines = text.splitlines()
    if len(all_lines) <= lines and len(text) <= chars:
        return text, False
    kept: list[str] = []
    size = 0
    for ln in all_lines[: lines - 2]:
        if size + len(ln) + 1 > chars - 120:
            break
        kept.append(ln)
        size += len(ln) + 1
    more = len(all_lines) - len(kept)
    return "\n".join(kept + ["", f"… {more} more line{'s' if more != 1 else ''} (全文 / full text: see the file that opens)"]), True


class FileHost:
    """A workbook file and answers given in advance: the host without Excel.

    Args:
        path: The workbook (the master or a template).
        answers: ``{key: answer}``. ``ask`` and ``pick_folder`` take a string (or None
            for *cancel*); ``pick_files`` a list of paths (or one path). A key not given
            takes the prompt's default, as pressing OK does; ``pick_files`` without an
            answer is a cancel.
        out: Where messages are printed (None: not printed, only recorded).

    Attributes:
        messages: ``(title, text)`` of every message shown.
        statuses: Every status-bar text, None when given back.
        events: ``save``, ``close`` and ``reopen``, in the order they happened.
    """

    def __init__(self, path: str | os.PathLike, answers: Mapping[str, object] | None = None, out: TextIO | None = None):
        self._path = Path(path).resolve()
        self.answers = dict(answers or {})
        self.out = out
        self.messages: list[tuple[str, str]] = []
        self.statuses: list[str | None] = []
        self.events: list[str] = []
        self.is_open = True

    @property
    def path(self) -> str:
        return str(self._path)

    def save(self) -> None:
        if not self._path.is_file():
            raise FileProblem(self._path, "saving the workbook", "no such file")
        self.events.append("save")

    def close(self) -> None:
        self.is_open = False
        self.events.append("close")

    def reopen(self) -> None:
        if not self._path.is_file():
            raise FileProblem(self._path, "opening the workbook again", "the file is gone")
        self.is_open = True
        self.events.append("reopen")

    def ask(self, key: str, prompt: str, default: str = "") -> str | None:
        value = self.answers.get(key, default)
        return None if value is None else str(value)

    def pick_folder(self, key: str, prompt: str, default: str | None = None) -> str | None:
        value = self.answers.get(key, default)
        return None if value is None else str(value)

    def pick_files(self, key: str, prompt: str) -> list[str]:
        value = self.answers.get(key)
        if value is None:
            return []
        if isinstance(value, (str, os.PathLike)):
            return [str(value)]
        return [str(v) for v in value]  # type: ignore[union-attr]

    def message(self, text: str, title: str = TITLE) -> None:
        self.messages.append((title, text))
        if self.out is not None:
            print(f"[{title}]\n{text}", file=self.out)

    def status(self, text: str | None) -> None:
        self.statuses.append(text)


class XlwingsHost:
    """The calling workbook in Excel, through xlwings (Windows; not runnable here).

    Args:
        book: An ``xlwings.Book`` (usually ``xw.Book.caller()``: see :meth:`caller`).
    """

    def __init__(self, book) -> None:
        self._book = book
        self._app = book.app
        self._fullname = str(book.fullname)

    @classmethod
    def caller(cls) -> "XlwingsHost":
        """The host of the workbook whose ribbon button was pressed."""
        import xlwings as xw

        return cls(xw.Book.caller())

    @property
    def path(self) -> str:
        name = self._fullname
        if "://" in name:
            raise FileProblem(name, "finding the workbook on disk",
                              "the workbook is on OneDrive/SharePoint (a web address); "
                              "save a copy on this computer and use that")
        if not os.path.isabs(name):
            raise FileProblem(name, "finding the workbook on disk", "the workbook was never saved; save it first")
        return name

    def save(self) -> None:
        self._book.save()

    def close(self) -> None:
        self._book.close()

    def reopen(self) -> None:
        self._book = self._app.books.open(self._fullname)

    def ask(self, key: str, prompt: str, default: str = "") -> str | None:
        answer = self._app.api.InputBox(prompt, TITLE, default)  # Application.InputBox: Type 2, text
        return None if answer is False else str(answer)

    def pick_folder(self, key: str, prompt: str, default: str | None = None) -> str | None:
        dialog = self._app.api.FileDialog(4)  # msoFileDialogFolderPicker
        dialog.Title = prompt
        if default:
            dialog.InitialFileName = default.rstrip("\\/") + "\\"
        return str(dialog.SelectedItems(1)) if dialog.Show() == -1 else None

    def pick_files(self, key: str, prompt: str) -> list[str]:
        dialog = self._app.api.FileDialog(3)  # msoFileDialogFilePicker
        dialog.Title = prompt
        dialog.AllowMultiSelect = True
        dialog.InitialFileName = str(Path(self._fullname).parent) + "\\"
        dialog.Filters.Clear()
        dialog.Filters.Add("Excel", "*.xlsx; *.xlsm")
        if dialog.Show() != -1:
            return []
        return [str(dialog.SelectedItems(i)) for i in range(1, dialog.SelectedItems.Count + 1)]

    def message(self, text: str, title: str = TITLE) -> None:
        short, cut = fit_message(text)
        if cut:  # the whole table, in a monospaced editor
            import tempfile  # here, not at the top: it costs every button's start ~4 ms (random, shutil)

            full = Path(tempfile.gettempdir()) / "kpixl-message.txt"
            full.write_text(text + "\n", encoding="utf-8-sig")
            if sys.platform.startswith("win"):
                os.startfile(full)  # type: ignore[attr-defined]
        self._app.alert(short, title=title)

    def status(self, text: str | None) -> None:
        self._app.status_bar = text if text else False


def progress_to(host: Host, what: str):
    """A ``progress(done, total)`` callback that shows ``what: done/total`` in the status bar."""

    def show(done: int, total: int) -> None:
        host.status(f"{what}: {done}/{total}")

    return show

