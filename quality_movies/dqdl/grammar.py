"""DQDL tokens: turns ruleset text into a list of tokens that know their line and column.

The lexical rules follow the public DQDL ANTLR grammar (awslabs/dqdl, ``CommonLexerRules.g4``):
double-quoted strings with ``\\"`` and ``\\\\`` escapes, integers and decimals, identifiers made of
letters, digits, ``_`` and ``.``, ``#`` comments to the end of the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum


class DqdlSyntaxError(ValueError):
    """A ruleset that is not valid DQDL, with the place of the problem and what was expected there."""

    def __init__(self, message: str, line: int, column: int, expected: str) -> None:
        self.message = message
        self.line = line
        self.column = column
        self.expected = expected
        super().__init__(f"DQDL syntax error at line {line}, column {column}: {message} (expected {expected})")


class Kind(Enum):
    """Token kinds."""

    STRING = "string"
    NUMBER = "number"
    IDENT = "identifier"
    PUNCT = "symbol"
    END = "end of ruleset"


@dataclass(frozen=True)
class Token:
    """One token; ``text`` is the source text (for strings: the text between the quotes, escapes kept)."""

    kind: Kind
    text: str
    line: int
    column: int

    def describe(self) -> str:
        """How the token is shown in an error message."""
        if self.kind is Kind.END:
            return "end of ruleset"
        if self.kind is Kind.STRING:
            return f'"{self.text}"'
        return f"'{self.text}'"


# Longest symbols first so that ">=" is not read as ">" followed by "=".
_SYMBOLS = (">=", "<=", "!=", "[", "]", "(", ")", "{", "}", ",", "=", ">", "<", "!", "+", "-", "*", "/", "$", ":")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_SPACE = " \t\r\n\f"


def unescape(raw: str) -> str:
    """The value of a DQDL string from its source text: ``\\"`` is a quote, ``\\\\`` a backslash."""
    return re.sub(r'\\(["\\])', r"\1", raw)


def tokenize(text: str) -> list[Token]:
    """Split ruleset text into tokens, ending with an END token; raise DqdlSyntaxError on a stray character."""
    tokens: list[Token] = []
    line, line_start, pos = 1, 0, 0
    while pos < len(text):
        char = text[pos]
        column = pos - line_start + 1
        if char == "\n":
            line, line_start, pos = line + 1, pos + 1, pos + 1
        elif char in _SPACE:
            pos += 1
        elif char == "#":
            end = text.find("\n", pos)
            pos = len(text) if end < 0 else end
        elif char == '"':
            end = _string_end(text, pos, line, column)
            tokens.append(Token(Kind.STRING, text[pos + 1 : end], line, column))
            # A string may span lines (long CustomSql statements): keep line numbers right.
            newlines = text.count("\n", pos, end)
            if newlines:
                line += newlines
                line_start = text.rfind("\n", pos, end) + 1
            pos = end + 1
        elif match := _NUMBER.match(text, pos):
            tokens.append(Token(Kind.NUMBER, match.group(), line, column))
            pos = match.end()
        elif match := _IDENT.match(text, pos):
            tokens.append(Token(Kind.IDENT, match.group(), line, column))
            pos = match.end()
        else:
            symbol = next((s for s in _SYMBOLS if text.startswith(s, pos)), None)
            if symbol is None:
                raise DqdlSyntaxError(f"unexpected character {char!r}", line, column, "a rule, a string or a symbol")
            tokens.append(Token(Kind.PUNCT, symbol, line, column))
            pos += len(symbol)
    tokens.append(Token(Kind.END, "", line, pos - line_start + 1))
    return tokens


def _string_end(text: str, start: int, line: int, column: int) -> int:
    """Index of the quote closing the string opened at ``start``."""
    pos = start + 1
    while pos < len(text):
        if text[pos] == "\\" and pos + 1 < len(text) and text[pos + 1] in '"\\':
            pos += 2
        elif text[pos] == '"':
            return pos
        else:
            pos += 1
    raise DqdlSyntaxError("string is never closed", line, column, 'a closing "')
