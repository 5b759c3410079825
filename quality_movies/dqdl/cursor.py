"""The token cursor the DQDL parser moves along: look ahead, consume, expect, and errors that name the place."""

from __future__ import annotations

from quality_movies.dqdl.grammar import DqdlSyntaxError, Kind, Token

# Parentheses nest rules and values by recursion (several frames a level): a cap turns a ruleset nested
# past any real use into a syntax error instead of a RecursionError.
MAX_NESTING = 32


class TokenCursor:
    """A position in a token list, with the parentheses open around it."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.depth = 0  # parentheses open around the current token

    def peek(self, offset: int = 0) -> Token:
        return self.tokens[min(self.pos + offset, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.peek()
        self.pos = min(self.pos + 1, len(self.tokens) - 1)
        return token

    def at(self, text: str, offset: int = 0) -> bool:
        token = self.peek(offset)
        return token.kind in (Kind.PUNCT, Kind.IDENT) and token.text == text

    def at_word(self, *words: str) -> bool:
        token = self.peek()
        return token.kind is Kind.IDENT and token.text in words

    def fail(self, message: str, expected: str, token: Token | None = None) -> DqdlSyntaxError:
        token = token or self.peek()
        return DqdlSyntaxError(f"{message}, found {token.describe()}", token.line, token.column, expected)

    def expect(self, text: str, expected: str | None = None) -> Token:
        if not self.at(text):
            raise self.fail("unexpected input", expected or f"'{text}'")
        return self.advance()

    def expect_kind(self, kind: Kind, expected: str) -> Token:
        if self.peek().kind is not kind:
            raise self.fail("unexpected input", expected)
        return self.advance()

    def open_parenthesis(self) -> None:
        """Consume '(' and count it, refusing nesting deeper than MAX_NESTING."""
        if self.depth == MAX_NESTING:
            raise self.fail(f"parentheses nested more than {MAX_NESTING} deep", f"at most {MAX_NESTING} levels")
        self.advance()
        self.depth += 1

    def close_parenthesis(self, expected: str) -> None:
        self.expect(")", expected)
        self.depth -= 1

    def expect_end(self) -> None:
        if self.peek().kind is not Kind.END:
            raise self.fail("unexpected input after the rules", "end of ruleset")
