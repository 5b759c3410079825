"""Parsing DQDL values: conditions, operands (numbers, strings, keywords, dates, durations, sizes, function
calls, arithmetic), constants (``name = "value"`` before the rules, ``$name`` in a condition), labels and the
metadata dictionaries."""

from __future__ import annotations

import re

from quality_movies.dqdl.cursor import TokenCursor
from quality_movies.dqdl.grammar import Kind, Token
from quality_movies.dqdl.model import BinOp, Call, Condition, Keyword, Num, Operand, Paren, Quantity, Str, VarRef
from quality_movies.dqdl.shapes import DURATION_UNITS, SIZE_UNITS

_UNITS = DURATION_UNITS | SIZE_UNITS
KEYWORDS = {"null": "NULL", "empty": "EMPTY", "whitespaces_only": "WHITESPACES_ONLY"}
_COMPARISONS = {">", ">=", "<", "<=", "=", "!="}
_MAX_LABELS = 10
_NESTED = re.compile(r"\$[A-Za-z_]")


def _label_problem(key: str, value: str, seen: list[str]) -> str | None:
    if not key or not value:
        return "a label's key and value may not be empty"
    if len(key) > 128 or len(value) > 256:
        return "a label's key is at most 128 characters and its value at most 256"
    return "each label key may appear once" if key in seen else None


class ValueParser(TokenCursor):
    """The value-level part of the DQDL grammar; ``constants`` are those declared so far."""

    def __init__(self, tokens: list[Token]) -> None:
        super().__init__(tokens)
        self.constants: dict[str, tuple[Operand, ...] | Operand] = {}

    def starts_constant(self) -> bool:
        token = self.peek(1) if self.at("[") else self.peek()
        return token.kind is Kind.STRING or self.at("$") or token.text.lower() in KEYWORDS

    def constant(self) -> tuple[Operand, ...] | Operand:
        """A constant's value: a string, NULL/EMPTY/WHITESPACES_ONLY, another constant, or a list of them."""
        if not self.at("["):
            return self.constant_value()
        self.advance()
        items = [self.constant_value()]
        while self.at(","):
            self.advance()
            items.append(self.constant_value())
        self.expect("]", "',' or ']'")
        return tuple(items)

    def constant_value(self) -> Operand:
        start = self.peek()
        value = self.atom()
        if isinstance(value, VarRef) and isinstance(value.values, tuple) and len(value.values) == 1:
            return value.values[0]
        if not isinstance(value, (Str, Keyword)):
            raise self.fail("a constant holds strings", "a quoted string, NULL, EMPTY or WHITESPACES_ONLY", start)
        if isinstance(value, Str) and _NESTED.search(value.raw):  # the reference refuses nested constants
            raise self.fail("a constant's value may not refer to another constant", "a plain string", start)
        return value

    def labels(self, defaults: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
        """``labels=["key"="value", ...]`` on a rule, ``DefaultLabels=[...]`` before the rules. As the reference's
        ``Labels``: at least one, keys unique and non-empty, keys up to 128 and values up to 256 characters, at
        most 10 on a rule counting the defaults."""
        start = self.advance()
        self.expect("=", "'=' after labels")
        self.expect("[", "'[' starting the labels")
        found: list[tuple[str, str]] = []
        while True:
            key = self.expect_kind(Kind.STRING, 'a label such as "team"="data"')
            self.expect("=", "'=' between a label's key and value")
            value = self.expect_kind(Kind.STRING, "the label's quoted value")
            problem = _label_problem(key.text, value.text, [k for k, _ in found])
            if problem:
                raise self.fail(problem, 'a label such as "team"="data"', key)
            found.append((key.text, value.text))
            if not self.at(","):
                break
            self.advance()
        self.expect("]", "',' or ']'")
        if len({k for k, _ in (*defaults, *found)}) > _MAX_LABELS:
            raise self.fail(f"more than {_MAX_LABELS} labels on a rule, defaults included", "fewer labels", start)
        return tuple(found)

    def dictionary(self, keys: set[str]) -> dict[str, object]:
        """``{ "key": "value", "key": ["a", "b"] }`` with keys from ``keys``."""
        self.expect("{")
        entries: dict[str, object] = {}
        while True:
            key_token = self.expect_kind(Kind.STRING, "a quoted key")
            key = key_token.text
            if key not in keys:
                raise self.fail("unsupported key", " or ".join(f'"{k}"' for k in sorted(keys)), key_token)
            self.expect(":")
            if self.at("["):
                self.advance()
                items = [self.expect_kind(Kind.STRING, "a quoted string").text]
                while self.at(","):
                    self.advance()
                    items.append(self.expect_kind(Kind.STRING, "a quoted string").text)
                self.expect("]", "',' or ']'")
                entries[key] = items
            else:
                entries[key] = self.expect_kind(Kind.STRING, "a quoted value or a list").text
            if not self.at(","):
                break
            self.advance()
        self.expect("}", "',' or '}'")
        return entries

    def condition(self) -> Condition | None:
        negated = False
        if self.at_word("not"):
            self.advance()
            negated = True
            if not self.at_word("between", "in", "matches"):
                raise self.fail("'not' must be followed by a condition", "'between', 'in' or 'matches'")
        prefix = "not " if negated else ""
        if self.at_word("between", "BETWEEN"):
            self.advance()
            low = self.single_operand()
            self.expect("and", "'and' between the two bounds")
            return Condition(f"{prefix}between", (low, self.single_operand()))  # type: ignore[arg-type]
        if self.at_word("in"):
            self.advance()
            return Condition(f"{prefix}in", self.operand_list())  # type: ignore[arg-type]
        if self.at_word("matches"):
            self.advance()
            pattern = self.expect_kind(Kind.STRING, "a quoted regular expression").text
            return Condition(f"{prefix}matches", (Str(pattern),))  # type: ignore[arg-type]
        token = self.peek()
        if token.kind is Kind.PUNCT and token.text in _COMPARISONS:
            self.advance()
            return Condition(token.text, (self.single_operand(),))  # type: ignore[arg-type]
        return None

    def single_operand(self) -> Operand:
        """An operand that stands for one value: a list constant belongs after ``in`` only."""
        start = self.peek()
        value = self.operand()
        if isinstance(value, VarRef) and isinstance(self.constants[value.name], tuple):
            raise self.fail(f"${value.name} is a list; compare with it by 'in'", "a single value", start)
        return value

    def operand_list(self) -> tuple[Operand, ...]:
        if self.at("$"):
            return (self.atom(),)
        self.expect("[", "'[' starting a list of values")
        items = [self.operand()]
        while self.at(","):
            self.advance()
            items.append(self.operand())
        self.expect("]", "',' or ']'")
        return tuple(items)

    def operand(self) -> Operand:
        left = self.product()
        while self.at("+") or self.at("-"):
            op = self.advance().text
            left = BinOp(left, op, self.product())
        return left

    def product(self) -> Operand:
        left = self.atom()
        while self.at("*") or self.at("/"):
            op = self.advance().text
            left = BinOp(left, op, self.atom())
        return left

    def atom(self) -> Operand:
        token = self.peek()
        expected = "a value: a number, a quoted string, NULL, EMPTY, WHITESPACES_ONLY or a function"
        if token.kind is Kind.STRING:
            return Str(self.advance().text)
        if token.kind is Kind.NUMBER or (self.at("-") and self.peek(1).kind is Kind.NUMBER):
            text = self.advance().text
            if text == "-":
                text += self.advance().text
            if self.peek().kind is Kind.IDENT and self.peek().text in _UNITS:
                return Quantity(text, self.advance().text)
            return Num(text)
        if self.at("("):
            self.open_parenthesis()
            inner = self.operand()
            self.close_parenthesis("')'")
            return Paren(inner)
        if self.at("$"):
            self.advance()
            name_token = self.expect_kind(Kind.IDENT, "a constant's name after '$'")
            if name_token.text not in self.constants:
                raise self.fail("no such constant is declared before the rules", "a constant", name_token)
            bound = self.constants[name_token.text]
            return VarRef(name_token.text, bound if isinstance(bound, tuple) else (bound,))
        if token.kind is Kind.IDENT:
            if token.text.lower() in KEYWORDS and token.text in (token.text.lower(), token.text.upper()):
                self.advance()
                return Keyword(KEYWORDS[token.text.lower()])  # type: ignore[arg-type]
            if self.at("(", 1):
                name = self.advance().text
                self.advance()
                args: list[Operand] = []
                if not self.at(")"):
                    args.append(self.operand())
                    while self.at(","):
                        self.advance()
                        args.append(self.operand())
                self.expect(")", "',' or ')'")
                return Call(name, tuple(args))
        raise self.fail("unexpected input", expected)
