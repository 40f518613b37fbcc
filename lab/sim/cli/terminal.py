"""The line discipline of an interactive CLI session: echo, CR/LF handling, backspace, Ctrl-C,
Ctrl-Z, password prompts, and the prompt after every command.

It is a plain state machine over received text so that it behaves the same on every SSH
library: echo is written as characters arrive (a real tty does the same), a line is run when
``\\r``, ``\\n`` or ``\\r\\n`` ends it, and output uses ``\\r\\n``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from lab.sim.cli.common import CliError, Output

log = logging.getLogger(__name__)


class Interpreter(Protocol):
    closed: bool

    def prompt(self) -> str: ...

    def execute(self, line: str, input_text: str = "") -> Output: ...

    @property
    def in_config(self) -> bool: ...


class Terminal:
    def __init__(
        self,
        cli: Interpreter,
        write: Callable[[str], None],
        close: Callable[[], None],
        *,
        enable_secret: str = "",
    ):
        self.cli = cli
        self._write = write
        self._close = close
        self.enable_secret = enable_secret
        self._line: list[str] = []
        self._after_cr = False
        self._escape = ""  # an ANSI escape sequence being skipped
        self._password_for = ""  # the command waiting for a password line
        self.closed = False

    def write(self, text: str) -> None:
        if not self.closed:
            self._write(text.replace("\r\n", "\n").replace("\n", "\r\n"))

    def start(self) -> None:
        self.write("\n" + self.cli.prompt())

    def feed(self, data: str) -> None:
        for ch in data:
            if self.closed:
                return
            if self._escape:
                self._escape += ch
                if (len(self._escape) > 1 and (ch.isalpha() or ch == "~")) or len(self._escape) > 8:
                    self._escape = ""
                continue
            if ch == "\n" and self._after_cr:
                self._after_cr = False
                continue
            self._after_cr = ch == "\r"
            if ch in "\r\n":
                self._end_line()
            elif ch in "\x7f\b":
                if self._line:
                    self._line.pop()
                    if not self._password_for:
                        self._write("\b \b")
            elif ch == "\x03":  # Ctrl-C: drop the line
                self._line.clear()
                self._password_for = ""
                self.write("^C\n" + self.cli.prompt())
            elif ch == "\x1a":  # Ctrl-Z: leave configuration mode
                self._line.clear()
                if self.cli.in_config:
                    self._run("end", echo=False)
                else:
                    self.write("\n" + self.cli.prompt())
            elif ch == "\x04":  # Ctrl-D on an empty line: log out
                if not self._line:
                    self._finish()
            elif ch == "\x1b":
                self._escape = ch
            elif ch == "\t" or ch < " ":
                continue
            else:
                self._line.append(ch)
                if not self._password_for:
                    self._write(ch)

    def _end_line(self) -> None:
        line = "".join(self._line)
        self._line.clear()
        self.write("\n")
        if self._password_for:
            cmd, self._password_for = self._password_for, ""
            self._run(cmd, echo=False, input_text=line)
            return
        if line.strip() == "enable" and self.enable_secret and not self.cli.prompt().endswith("#"):
            self._password_for = "enable"
            self._write("Password: ")
            return
        self._run(line, echo=False)

    def _run(self, line: str, *, echo: bool, input_text: str = "") -> None:
        try:
            out = self.cli.execute(line, input_text)
            text = out.text
        except CliError as exc:
            text = str(exc) + "\n"
        except Exception:
            # A bug, not a bad command: say so, log it, keep the session.
            log.exception("CLI command %r failed", line)
            text = "% Internal error\n"
        if text:
            self.write(text if text.endswith("\n") else text + "\n")
        if self.cli.closed:
            self._finish()
            return
        self.write(self.cli.prompt())

    def _finish(self) -> None:
        if not self.closed:
            self.closed = True
            self._close()
