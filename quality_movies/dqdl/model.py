"""The DQDL rule model and its canonical rendering.

Rendering follows the reference implementation's ``toString`` (awslabs/dqdl ``DQRule``,
``NumberBasedCondition``, ``StringBasedCondition``): numbers print as written, list items are joined
by ``,`` without spaces, nested rules of a composite are each wrapped in parentheses. That is the text
Glue writes into ``DataQualityRulesPass/Fail/Skip``, so a canonically written rule prints back unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from quality_movies.dqdl.grammar import unescape

# ---------------------------------------------------------------------------------------------- operands


@dataclass(frozen=True)
class Num:
    """A number literal, kept as written (``8``, ``8.5``, ``-1``) so that it renders unchanged."""

    text: str

    @property
    def value(self) -> float:
        return float(self.text)

    def render(self) -> str:
        return self.text


@dataclass(frozen=True)
class Str:
    """A quoted string; ``raw`` is the source text between the quotes (escapes kept)."""

    raw: str

    @property
    def value(self) -> str:
        return unescape(self.raw)

    def render(self) -> str:
        return f'"{self.raw}"'


@dataclass(frozen=True)
class Keyword:
    """``NULL``, ``EMPTY`` or ``WHITESPACES_ONLY``: values that a quoted string cannot express."""

    name: Literal["NULL", "EMPTY", "WHITESPACES_ONLY"]

    def render(self) -> str:
        return self.name


@dataclass(frozen=True)
class VarRef:
    """``$name``: a reference to a ruleset constant (``name = "value"`` or ``name = ["a", "b"]`` before the
    rules); ``values`` are the operands it stands for, bound by the parser."""

    name: str
    values: tuple[Operand, ...] = ()

    def render(self) -> str:
        return f"${self.name}"


@dataclass(frozen=True)
class Call:
    """A function call such as ``avg(last(10))`` or ``now()``: dynamic rules and dates."""

    name: str
    args: tuple[Operand, ...] = ()

    def render(self) -> str:
        return f"{self.name}({','.join(arg.render() for arg in self.args)})"


@dataclass(frozen=True)
class Quantity:
    """A number with a unit: a duration (``3 days``) or a size (``10 MB``)."""

    amount: str
    unit: str

    def render(self) -> str:
        return f"{self.amount} {self.unit}"


@dataclass(frozen=True)
class BinOp:
    """Arithmetic between operands: ``min(last(3)) * 0.8``, ``now() - 3 days``."""

    left: Operand
    op: str
    right: Operand

    def render(self) -> str:
        return f"{self.left.render()} {self.op} {self.right.render()}"


@dataclass(frozen=True)
class Paren:
    """A parenthesised operand, kept so that ``(now() - 3 days)`` renders as written."""

    inner: Operand

    def render(self) -> str:
        return f"({self.inner.render()})"


Operand = Num | Str | Keyword | VarRef | Call | Quantity | BinOp | Paren

# -------------------------------------------------------------------------------------------- conditions

Operator = Literal["between", "not between", ">", ">=", "<", "<=", "=", "!=", "in", "not in", "matches", "not matches"]


@dataclass(frozen=True)
class Condition:
    """An expression a rule's value must satisfy, e.g. ``between 8.5 and 10.3`` or ``in ["U","A"]``."""

    op: Operator
    operands: tuple[Operand, ...]

    @property
    def values(self) -> tuple[Operand, ...]:
        """The operands with every constant reference replaced by the values it stands for."""
        found: list[Operand] = []
        for operand in self.operands:
            found.extend(operand.values if isinstance(operand, VarRef) else (operand,))
        return tuple(found)

    def render(self) -> str:
        ops = self.operands
        if self.op in ("between", "not between"):
            return f"{self.op} {ops[0].render()} and {ops[1].render()}"
        if self.op in ("in", "not in"):
            if len(ops) == 1 and isinstance(ops[0], VarRef):
                return f"{self.op} {ops[0].render()}"
            return f"{self.op} [{','.join(op.render() for op in ops)}]"
        return f"{self.op} {ops[0].render()}"


# ------------------------------------------------------------------------------------------------ rules


@dataclass(frozen=True)
class Parameter:
    """A rule parameter: usually a quoted column name; ``connector`` is an optional ``of``/``and``."""

    value: str
    quoted: bool = True
    connector: str | None = None
    constant: str | None = None  # ``$name``: the value came from this string constant

    def render(self) -> str:
        text = f"${self.constant}" if self.constant else f'"{self.value}"' if self.quoted else self.value
        return f"{self.connector} {text}" if self.connector else text


@dataclass(frozen=True)
class Rule:
    """One DQDL rule: ``<RuleType> <parameters> <condition> [where "..."] [with threshold <condition>]``."""

    rule_type: str
    parameters: tuple[Parameter, ...] = ()
    condition: Condition | None = None
    where: str | None = None
    threshold: Condition | None = None
    tags: tuple[tuple[str, str], ...] = ()  # ``with "key" = "value"`` of the file rules, source text kept
    labels: tuple[tuple[str, str], ...] = ()  # ``labels=["key"="value"]``: for triage, no effect on the verdict

    @property
    def columns(self) -> tuple[str, ...]:
        """The parameter values, unescaped (column names for most rule types)."""
        return tuple(unescape(p.value) for p in self.parameters)

    def render(self) -> str:
        parts = [self.rule_type, *(p.render() for p in self.parameters)]
        if self.condition is not None:
            parts.append(self.condition.render())
        if self.where is not None:
            parts.append(f'where "{self.where}"')
        if self.threshold is not None:
            parts.append(f"with threshold {self.threshold.render()}")
        parts.extend(f'with "{key}" = "{value}"' for key, value in self.tags)
        if self.labels:
            parts.append(f"labels={_render_labels(self.labels)}")
        return " ".join(parts)


@dataclass(frozen=True)
class Composite:
    """Rules joined by one logical operator, each rendered in parentheses. The operator is written in
    capitals, as the reference's ``DQRuleLogicalOperator`` prints it: ``(A) AND (B)``, however it was typed."""

    op: Literal["and", "or"]
    rules: tuple[Rule | Composite, ...]

    def render(self) -> str:
        return f" {self.op.upper()} ".join(f"({rule.render()})" for rule in self.rules)

    def leaves(self) -> list[Rule]:
        """The plain rules inside, depth first."""
        found: list[Rule] = []
        for rule in self.rules:
            found.extend(rule.leaves() if isinstance(rule, Composite) else [rule])
        return found


AnyRule = Rule | Composite


@dataclass(frozen=True)
class Ruleset:
    """A parsed DQDL document: its rules in order (and metadata sections, kept as text)."""

    rules: tuple[AnyRule, ...]
    metadata: dict[str, object] = field(default_factory=dict)
    # ``Analyzers = [...]``: statistics to gather, with no verdict; parsed and kept, not evaluated here.
    analyzers: tuple[Rule, ...] = ()
    constants: dict[str, tuple[Operand, ...] | Operand] = field(default_factory=dict)
    default_labels: tuple[tuple[str, str], ...] = ()  # ``DefaultLabels=[...]``: every rule's labels

    def render(self) -> str:
        """The whole ruleset as the reference's ``DQRuleset.toString`` writes it: sections apart by a blank line,
        one entry per line. Unlike the reference, the constants are written too (before the rules), so that
        the text parses back to the same ruleset."""
        parts = [_render_dictionary(name, entries) for name, entries in self.metadata.items()]  # type: ignore[arg-type]
        if self.default_labels:
            parts.append(f"DefaultLabels={_render_labels(self.default_labels)}")
        if self.constants:
            parts.append("\n".join(f"{name} = {_render_constant(value)}" for name, value in self.constants.items()))
        for section, items in (("Rules", self.rules), ("Analyzers", self.analyzers)):
            if items:
                body = ",\n".join(f"    {item.render()}" for item in items)
                parts.append(f"{section} = [\n{body}\n]")
        return "\n\n".join(parts)


def _render_dictionary(name: str, entries: dict[str, str | list[str]]) -> str:
    def value(item: str | list[str]) -> str:
        return f'"{item}"' if isinstance(item, str) else "[ " + ", ".join(f'"{v}"' for v in item) + " ]"

    lines = [f'    "{key}": {value(item)}' for key, item in entries.items()]
    return f"{name} = {{\n" + ",\n".join(lines) + "\n}"


def _render_labels(labels: tuple[tuple[str, str], ...]) -> str:
    return "[" + ",".join(f'"{key}"="{value}"' for key, value in labels) + "]"


def _render_constant(value: tuple[Operand, ...] | Operand) -> str:
    if isinstance(value, tuple):
        return f"[{','.join(item.render() for item in value)}]"
    return value.render()


def render(rule: AnyRule | Ruleset) -> str:
    """The canonical text of a rule (as Glue prints it in outcome columns) or of a whole ruleset."""
    return rule.render()
