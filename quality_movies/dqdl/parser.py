"""A recursive-descent parser for DQDL rulesets.

The accepted language is the public DQDL grammar (awslabs/dqdl ``DataQualityDefinitionLanguage.g4``):

    document   := [Metadata = dict] [DataSources = dict] [DefaultLabels=labels] constant* sections
    sections   := rules [analyzers] | analyzers
    constant   := name = value | name = [ value (, value)* ]     -- used in conditions as $name
    rules      := Rules = [ top (, top)* ]                        -- at least one rule
    analyzers  := Analyzers = [ [analyzer (, analyzer)*] ]        -- analyzer := Type param*
    top        := conj (or conj)*            -- "and" binds tighter, as in the ANTLR grammar
    conj       := term (and term)*
    term       := ( top ) | rule             -- rules joined by and/or must be parenthesised
    rule       := RuleType param* condition? (where "sql")? (with threshold condition)? (with "tag" = "v")*
                  [labels=labels]
    labels     := [ "key"="value" (, "key"="value")* ]
    param      := [of | and] ("quoted" | bare_identifier)
    condition  := [not] between v and v | [not] in [v, ...] | [not] matches "re" | (=|!=|>|>=|<|<=) v

Values, constants and labels are parsed in ``values.py``. Each rule is checked against its catalogue entry
(parameters, condition and the kind of value it compares, ``where``, ``with threshold``, tags), so a ruleset
that Glue would reject fails here, before any data is read.
"""

from __future__ import annotations

from collections.abc import Callable

from quality_movies.dqdl.catalogue import ANALYZER_ONLY, ConditionUse, RuleSpec, ValueKind, spec_for
from quality_movies.dqdl.grammar import Kind, Token, tokenize
from quality_movies.dqdl.model import AnyRule, Composite, Condition, Parameter, Rule, Ruleset, Str, VarRef
from quality_movies.dqdl.shapes import kind_problem
from quality_movies.dqdl.values import KEYWORDS, ValueParser

# The sections before the rules and the keys each may hold (the reference: "Unsupported key" otherwise);
# Sources and AdditionalSources are the older spelling of DataSources and AdditionalDataSources.
_SECTIONS = {
    "Metadata": {"Version"},
    "DataSources": {"Primary", "AdditionalDataSources"},
    "Sources": {"Primary", "AdditionalSources"},
}
# Words that end a rule's parameters: a bare identifier among them is not a column name.
_RESERVED = {"where", "with", "not", "between", "in", "matches", "and", "or", "AND", "OR", "of", "OF", "BETWEEN"}
_RESERVED |= {"labels"}
_RESERVED |= {k for word in KEYWORDS for k in (word, word.upper())}


def parse(text: str) -> Ruleset:
    """Parse DQDL ruleset text; raise DqdlSyntaxError (with line, column, expected) if it is not valid."""
    return _Parser(tokenize(text)).document()


def parse_rule(text: str) -> AnyRule:
    """Parse a single rule (or composite rule) without the ``Rules = [...]`` wrapper."""
    parser = _Parser(tokenize(text))
    rule = parser.top()
    parser.expect_end()
    return rule


class _Parser(ValueParser):
    """Documents, composite rules and rules; ``default_labels`` are the ruleset's DefaultLabels."""

    def __init__(self, tokens: list[Token]) -> None:
        super().__init__(tokens)
        self.default_labels: tuple[tuple[str, str], ...] = ()

    # ----------------------------------------------------------------------------------- document
    def document(self) -> Ruleset:
        metadata: dict[str, object] = {}
        while self.at_word(*_SECTIONS):
            name = self.advance().text
            self.expect("=")
            metadata[name] = self.dictionary(_SECTIONS[name])
        self.default_labels = self.labels(()) if self.at_word("DefaultLabels") else ()
        self.declare_constants()
        if not self.at_word("Rules", "Analyzers"):
            raise self.fail("a ruleset starts with its rules list", "'Rules'")
        rules: list[AnyRule] = []
        if self.at_word("Rules"):
            rules = self.section("Rules", self.top, "a rule type such as IsComplete or ColumnValues")
        analyzers = self.section("Analyzers", self.analyzer, "an analyzer") if self.at_word("Analyzers") else []
        if not rules and not analyzers:  # the reference: "No rules or analyzers provided"
            raise self.fail("a ruleset needs at least one rule or analyzer", "a rule type such as IsComplete")
        self.expect_end()
        return Ruleset(tuple(rules), metadata, tuple(analyzers), dict(self.constants), self.default_labels)

    def declare_constants(self) -> None:
        """``name = value`` lines before the rules, each name once."""
        while self.peek().kind is Kind.IDENT and self.peek().text not in ("Rules", "Analyzers") and self.at("=", 1):
            name = self.advance()
            self.advance()
            if not self.starts_constant():  # `Rule = [ IsComplete "a" ]` is a misspelt Rules, not a constant
                raise self.fail("a ruleset starts with its rules list", "'Rules'", name)
            if name.text in self.constants:
                raise self.fail("a constant may be declared once", "a new name", name)
            self.constants[name.text] = self.constant()

    def section(self, name: str, item: Callable[[], AnyRule], what: str) -> list:
        """``Name = [ item, ... ]``, possibly empty; the document needs a rule or an analyzer somewhere."""
        self.advance()
        self.expect("=")
        self.expect("[")
        items: list[AnyRule] = []
        if not self.at("]"):
            items.append(item())
            while self.at(","):
                self.advance()
                items.append(item())
        self.expect("]", "',' or ']'")
        return items

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
        labels = self.labels(self.default_labels) if self.at_word("labels") else ()
        return Rule(spec.name, tuple(parameters), condition, where, threshold, tuple(tags), labels)

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
            if self.at("$"):  # a string constant: `CustomSql $statement`, `Mean $column > 3`
                found.append(self.constant_parameter(connector))
                continue
            if not self.is_parameter(spec, token, connected=connector is not None):
                return found
            if token.kind is not Kind.STRING and spec.max_params == len(found):
                return found  # a bare word past the last parameter is a mistyped condition: say so there
            self.advance()
            found.append(Parameter(token.text, quoted=token.kind is Kind.STRING, connector=connector))

    def constant_parameter(self, connector: str | None) -> Parameter:
        reference = self.atom()  # at '$': always a VarRef
        bound = self.constants[reference.name] if isinstance(reference, VarRef) else None
        if not isinstance(bound, Str):
            raise self.fail(f"{reference.render()} is not a string constant", "a string constant")
        return Parameter(bound.raw, connector=connector, constant=reference.name)

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
