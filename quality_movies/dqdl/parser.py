"""A recursive-descent parser for DQDL rulesets.

The accepted language is the public DQDL grammar (awslabs/dqdl ``DataQualityDefinitionLanguage.g4``):

    document   := [Metadata = dict] [DataSources = dict] constant* (rules [analyzers] | analyzers)
    constant   := name = value | name = [ value (, value)* ]     -- used in conditions as $name
    rules      := Rules = [ top (, top)* ]                        -- at least one rule
    analyzers  := Analyzers = [ [analyzer (, analyzer)*] ]        -- analyzer := Type param*
    top        := conj (or conj)*            -- "and" binds tighter, as in the ANTLR grammar
    conj       := term (and term)*
    term       := ( top ) | rule             -- rules joined by and/or must be parenthesised
    rule       := RuleType param* condition? (where "sql")? (with threshold condition)? (with "tag" = "v")*
    param      := [of | and] ("quoted" | bare_identifier)
    condition  := [not] between v and v | [not] in [v, ...] | [not] matches "re" | (=|!=|>|>=|<|<=) v

Each rule is checked against its catalogue entry (parameters, condition and the kind of value it
compares, ``where``, ``with threshold``, tags), so a ruleset that Glue would reject fails here, before
any data is read.
"""

from __future__ import annotations

from collections.abc import Callable

from quality_movies.dqdl.catalogue import ANALYZER_ONLY, ConditionUse, RuleSpec, ValueKind, spec_for
from quality_movies.dqdl.grammar import DqdlSyntaxError, Kind, Token, tokenize
from quality_movies.dqdl.model import (
    AnyRule,
    BinOp,
    Call,
    Composite,
    Condition,
    Keyword,
    Num,
    Operand,
    Parameter,
    Paren,
    Quantity,
    Rule,
    Ruleset,
    Str,
    VarRef,
)
from quality_movies.dqdl.shapes import DURATION_UNITS, SIZE_UNITS, kind_problem

_UNITS = DURATION_UNITS | SIZE_UNITS
_KEYWORDS = {"null": "NULL", "empty": "EMPTY", "whitespaces_only": "WHITESPACES_ONLY"}
_COMPARISONS = {">", ">=", "<", "<=", "=", "!="}
_SECTIONS = {"Metadata", "DataSources", "Sources"}
# Words that end a rule's parameters: a bare identifier among them is not a column name.
_RESERVED = {"where", "with", "not", "between", "in", "matches", "and", "or", "AND", "OR", "of", "OF", "BETWEEN"}
_RESERVED |= {k for word in _KEYWORDS for k in (word, word.upper())}
# Parentheses nest rules and values by recursion (several frames a level): a cap turns a ruleset nested
# past any real use into a syntax error instead of a RecursionError.
MAX_NESTING = 32


def parse(text: str) -> Ruleset:
    """Parse DQDL ruleset text; raise DqdlSyntaxError (with line, column, expected) if it is not valid."""
    return _Parser(tokenize(text)).document()


def parse_rule(text: str) -> AnyRule:
    """Parse a single rule (or composite rule) without the ``Rules = [...]`` wrapper."""
    parser = _Parser(tokenize(text))
    rule = parser.top()
    parser.expect_end()
    return rule


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.depth = 0  # parentheses open around the current token
        self.constants: dict[str, tuple[Operand, ...] | Operand] = {}

    # ------------------------------------------------------------------------------------ helpers
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

    # ----------------------------------------------------------------------------------- document
    def document(self) -> Ruleset:
        metadata: dict[str, object] = {}
        while self.at_word(*_SECTIONS):
            name = self.advance().text
            self.expect("=")
            metadata[name] = self.dictionary()
        while self.peek().kind is Kind.IDENT and self.peek().text not in ("Rules", "Analyzers") and self.at("=", 1):
            name = self.advance()
            self.advance()
            if not self.starts_constant():  # `Rule = [ IsComplete "a" ]` is a misspelt Rules, not a constant
                raise self.fail("a ruleset starts with its rules list", "'Rules'", name)
            self.constants[name.text] = self.constant()
        if not self.at_word("Rules", "Analyzers"):
            raise self.fail("a ruleset starts with its rules list", "'Rules'")
        rules: list[AnyRule] = []
        if self.at_word("Rules"):
            rules = self.section("Rules", self.top, "a rule type such as IsComplete or ColumnValues")
        analyzers = self.section("Analyzers", self.analyzer, "an analyzer") if self.at_word("Analyzers") else []
        self.expect_end()
        return Ruleset(tuple(rules), metadata, tuple(analyzers), dict(self.constants))

    def section(self, name: str, item: Callable[[], AnyRule], what: str) -> list:
        """``Name = [ item, ... ]``; the Rules list may not be empty (the reference rejects ``Rules = [ ]``)."""
        self.advance()
        self.expect("=")
        self.expect("[")
        items: list[AnyRule] = []
        if self.at("]") and name == "Rules":
            raise self.fail("a ruleset needs at least one rule", what)
        if not self.at("]"):
            items.append(item())
            while self.at(","):
                self.advance()
                items.append(item())
        self.expect("]", "',' or ']'")
        return items

    def starts_constant(self) -> bool:
        token = self.peek(1) if self.at("[") else self.peek()
        return token.kind is Kind.STRING or self.at("$") or token.text.lower() in _KEYWORDS

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
        value = self.atom()
        if isinstance(value, VarRef) and isinstance(value.values, tuple) and len(value.values) == 1:
            return value.values[0]
        if not isinstance(value, (Str, Keyword)):
            raise self.fail("a constant holds strings", "a quoted string, NULL, EMPTY or WHITESPACES_ONLY")
        return value

    def analyzer(self) -> Rule:
        """``Type param*``: an analyzer gathers a statistic and has no condition."""
        token = self.peek()
        spec = spec_for(token.text) if token.kind is Kind.IDENT else None
        if spec is None or not spec.analyzer:
            raise self.fail("not an analyzer", "an analyzer such as Completeness, RowCount or AllStatistics")
        self.advance()
        parameters = self.parameters(spec)
        problem = spec.count_problem(len(parameters))
        if problem is not None:
            raise self.fail(problem[0], problem[1], token)
        return Rule(spec.name, tuple(parameters))

    def dictionary(self) -> dict[str, object]:
        self.expect("{")
        entries: dict[str, object] = {}
        while True:
            key = self.expect_kind(Kind.STRING, "a quoted key").text
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

    # -------------------------------------------------------------------------------- composites
    def top(self) -> AnyRule:
        return self.logical("or", self.conjunction)[0]

    def conjunction(self) -> tuple[AnyRule, bool]:
        return self.logical("and", self.term)

    def logical(self, word: str, operand: Callable[[], tuple[AnyRule, bool]]) -> tuple[AnyRule, bool]:
        """Operands joined by ``word``; the flag says whether the result is safe to join (parenthesised)."""
        start = self.peek()
        first, wrapped = operand()
        if not self.at_word(word, word.upper()):
            return first, wrapped
        items: list[AnyRule] = [first]
        while self.at_word(word, word.upper()):
            if not wrapped:
                raise self.fail(f"each rule joined by '{word}' must be in parentheses", "'('", start)
            self.advance()
            start = self.peek()
            item, wrapped = operand()
            items.append(item)
        if not wrapped:
            raise self.fail(f"each rule joined by '{word}' must be in parentheses", "'('", start)
        return Composite(word, tuple(items)), True  # type: ignore[arg-type]

    def term(self) -> tuple[AnyRule, bool]:
        if self.at("("):
            self.open_parenthesis()
            inner = self.top()
            self.close_parenthesis("')' or 'and'/'or'")
            return inner, True
        return self.rule(), False

    # ------------------------------------------------------------------------------------- rules
    def rule(self) -> Rule:
        type_token = self.peek()
        if type_token.kind is not Kind.IDENT:
            raise self.fail("expected a rule", "a rule type such as IsComplete or ColumnValues")
        spec = spec_for(type_token.text)
        if spec is None or spec.name in ANALYZER_ONLY:
            raise self.fail("unknown rule type", "a rule type such as IsComplete or ColumnValues")
        self.advance()
        parameters = self.parameters(spec)
        condition_token = self.peek()
        condition = self.condition()
        self.check_shape(spec, len(parameters), condition, type_token, condition_token)
        where = self.where(spec) if self.at_word("where") else None
        threshold = self.threshold(spec) if self.at_word("with") and self.at("threshold", 1) else None
        tags: list[tuple[str, str]] = []
        while spec.tags and self.at_word("with") and self.peek(1).kind is Kind.STRING:
            self.advance()
            key = self.advance().text
            self.expect("=", "'=' after the tag's name")
            tags.append((key, self.expect_kind(Kind.STRING, "the tag's quoted value").text))
        if self.at_word("with"):
            raise self.fail(f"{spec.name} takes no further 'with' here", "',' or ']'")
        return Rule(spec.name, tuple(parameters), condition, where, threshold, tuple(tags))

    def where(self, spec: RuleSpec) -> str:
        where_token = self.advance()
        if not spec.where:
            raise self.fail(f"{spec.name} does not take a where clause", "',' or ']'", where_token)
        clause = self.expect_kind(Kind.STRING, "a quoted SQL predicate after where")
        if not clause.text.strip():
            raise self.fail("the where clause is empty", 'a SQL predicate such as "year > 2000"', clause)
        return clause.text

    def threshold(self, spec: RuleSpec) -> Condition:
        with_token = self.advance()
        self.advance()
        start = self.peek()
        threshold = self.condition()
        if threshold is None:
            raise self.fail("missing threshold condition", "a condition such as >= 0.9")
        if not spec.threshold:
            raise self.fail(f"{spec.name} does not take a threshold", "',' or ']'", with_token)
        problem = kind_problem(threshold, ValueKind.NUMBER)
        if problem is not None or threshold.op.endswith("matches"):
            raise self.fail(f"a threshold compares a share: {problem or 'not a pattern'}", "a number", start)
        return threshold

    def parameters(self, spec: RuleSpec) -> list[Parameter]:
        found: list[Parameter] = []
        while True:
            connector = None
            if self.at_word("of", "OF", "and", "AND") and self.is_parameter(spec, self.peek(1), connected=True):
                connector = self.advance().text
            token = self.peek()
            if not self.is_parameter(spec, token, connected=connector is not None):
                return found
            self.advance()
            found.append(Parameter(token.text, quoted=token.kind is Kind.STRING, connector=connector))

    @staticmethod
    def is_parameter(spec: RuleSpec, token: Token, connected: bool = False) -> bool:
        """A quoted string, or (where the rule type allows) a bare identifier that is not a DQDL word; a bare
        rule type name only after ``of``/``and`` (``DetectAnomalies of RowCount``), so that a missing comma
        between two rules is reported as such."""
        if token.kind is Kind.STRING:
            return True
        bare = spec.unquoted and token.kind is Kind.IDENT and token.text not in _RESERVED
        return bare and (connected or spec_for(token.text) is None)

    def check_shape(
        self, spec: RuleSpec, parameters: int, condition: Condition | None, type_token: Token, after: Token
    ) -> None:
        """Raise if the rule's parameter count or condition does not fit its rule type."""
        problem = spec.count_problem(parameters)
        if problem is not None:
            raise self.fail(problem[0], problem[1], type_token)
        if condition is None and spec.condition is ConditionUse.REQUIRED:
            raise self.fail(f"{spec.name} needs a condition", "a condition such as > 0.9 or between 1 and 10", after)
        if condition is None and parameters < len(spec.params):  # FileMatch: hashes to match, or two paths
            raise self.fail(f"{spec.name} needs a condition or all its parameters", "a condition", after)
        if condition is not None and spec.condition is ConditionUse.NONE:
            raise self.fail(f"{spec.name} takes no condition", "',' or ']'", after)
        wrong = kind_problem(condition, spec.kind) if condition is not None else None
        if wrong is not None:
            raise self.fail(f"{spec.name} cannot compare this: {wrong}", f"{spec.kind.value} values", after)

    # -------------------------------------------------------------------------------- conditions
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
            low = self.operand()
            self.expect("and", "'and' between the two bounds")
            return Condition(f"{prefix}between", (low, self.operand()))  # type: ignore[arg-type]
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
            return Condition(token.text, (self.operand(),))  # type: ignore[arg-type]
        return None

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
            if token.text.lower() in _KEYWORDS and token.text in (token.text.lower(), token.text.upper()):
                self.advance()
                return Keyword(_KEYWORDS[token.text.lower()])  # type: ignore[arg-type]
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
