"""The DQDL rule catalogue, as data: which rule types exist, what each takes, and how this engine treats them.

Names and parameters follow the reference catalogue (awslabs/dqdl ``rules-config.json``) and AWS's DQDL
reference; which rule types take ``where`` and ``with threshold`` follows the reference parser's own tests
(``DQRuleTest``, ``InvalidDQRulesetTest``) and AWS's DQDL rule type reference table (supported as analyzer,
row-level results, where clause). ``row_level`` says whether Glue reports an outcome per row; the
others appear in ``DataQualityRulesSkip`` on every row (the Glue reference run shows that for RowCount and
StandardDeviation). The parser enforces every declaration here; ``test_catalogue`` proves it does.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class ConditionUse(Enum):
    """Whether a rule type takes a condition."""

    REQUIRED = "required"
    NONE = "none"
    OPTIONAL = "optional"


class ValueKind(Enum):
    """What a rule's condition compares: the kind of operand its condition must be written with."""

    NUMBER = "number"  # 0.9, between 1 and 10, avg(last(10)) * 0.8
    VALUES = "values"  # numbers, strings, dates or keywords: ColumnValues
    TEXT = "text"  # quoted strings: ColumnDataType, FileMatch hashes
    DURATION = "duration"  # 3 days, 24 hours: DataFreshness
    DATE = "date"  # "2024-01-31", (now() - 3 days): FileFreshness
    SIZE = "size"  # 10 MB: FileSize


@dataclass(frozen=True)
class RuleSpec:
    """What the engine knows about one rule type."""

    name: str
    params: tuple[str, ...]  # parameter names as the reference names them; the last repeats if variadic
    condition: ConditionUse
    kind: ValueKind = ValueKind.NUMBER
    variadic: bool = False
    optional_params: int = 0  # how many leading parameters may be left out (FileFreshness, FileMatch)
    where: bool = True  # accepts ``where "<SQL predicate>"``
    threshold: bool = False  # accepts ``with threshold <condition>``
    tags: bool = False  # accepts ``with "tag" = "value"`` (the file rules)
    row_level: bool = False
    unquoted: bool = True  # a parameter may be a bare identifier (``IsPrimaryKey colA``)
    analyzer: bool = False  # may appear in an ``Analyzers = [...]`` section
    # Why it cannot be evaluated here; None when it can.
    unsupported: str | None = None
    # Excluded from row-level outcomes when nested in a composite rule (reference catalogue flag).
    composite_row_excluded: bool = False

    @property
    def min_params(self) -> int:
        return len(self.params) - self.optional_params

    @property
    def max_params(self) -> int | None:
        return None if self.variadic else len(self.params)

    def count_problem(self, count: int) -> tuple[str, str] | None:
        """(message, expected) when ``count`` parameters do not fit this rule type, else None."""
        upper = self.max_params
        if self.min_params <= count and (upper is None or count <= upper):
            return None
        if upper == self.min_params:
            wanted = f"{upper}"
        elif upper is None:
            wanted = f"at least {self.min_params}"
        else:
            wanted = f"{self.min_params} to {upper}"
        return f"{self.name} takes {wanted} quoted parameter(s) but has {count}", f"{wanted} quoted parameter(s)"


_REFERENCE = "needs a reference dataset, which this engine does not receive"
_FILES = "checks files in storage, not the rows of a frame"

_R, _N, _O = ConditionUse.REQUIRED, ConditionUse.NONE, ConditionUse.OPTIONAL
_COL = ("TargetColumn",)
_REF = ("ReferenceDatasetAlias",)
_K = ValueKind


def _reference(name: str, params: tuple[str, ...], **extra: object) -> RuleSpec:
    """A rule comparing the data with a reference dataset: no where, no threshold, not evaluated here."""
    extra = {"analyzer": True, **extra}
    return RuleSpec(name, params, _R, where=False, unsupported=_REFERENCE, **extra)  # type: ignore[arg-type]


def _file(name: str, condition: ConditionUse, kind: ValueKind, **extra: object) -> RuleSpec:
    """A rule about files in storage: quoted paths only, tags, no where, not evaluated here."""
    return RuleSpec(
        name, ("DataPath",), condition, kind, where=False, tags=True, unquoted=False, unsupported=_FILES, **extra
    )  # type: ignore[arg-type]


CATALOGUE: dict[str, RuleSpec] = {
    spec.name: spec
    for spec in (
        RuleSpec("RowCount", (), _R, analyzer=True),
        RuleSpec("ColumnCount", (), _R, where=False, analyzer=True),
        RuleSpec("ColumnExists", _COL, _N, where=False),
        RuleSpec("ColumnNamesMatchPattern", ("PatternToMatch",), _N, where=False),
        RuleSpec("IsComplete", _COL, _N, row_level=True),
        RuleSpec("Completeness", _COL, _R, row_level=True, composite_row_excluded=True, analyzer=True),
        RuleSpec("IsUnique", _COL, _N, variadic=True, row_level=True),
        RuleSpec("Uniqueness", _COL, _R, variadic=True, row_level=True, composite_row_excluded=True, analyzer=True),
        RuleSpec("UniqueValueRatio", _COL, _R, row_level=True, analyzer=True),
        RuleSpec("IsPrimaryKey", _COL, _N, variadic=True, row_level=True),
        RuleSpec("DistinctValuesCount", _COL, _R, analyzer=True),
        RuleSpec("ColumnValues", _COL, _R, _K.VALUES, row_level=True, threshold=True, analyzer=True),
        RuleSpec("ColumnLength", _COL, _R, row_level=True, analyzer=True),
        RuleSpec("ColumnDataType", _COL, _R, _K.TEXT, threshold=True),
        RuleSpec("Mean", _COL, _R, analyzer=True),
        RuleSpec("Sum", _COL, _R, analyzer=True),
        RuleSpec("StandardDeviation", _COL, _R, composite_row_excluded=True, analyzer=True),
        RuleSpec("Variance", _COL, _R, analyzer=True),
        RuleSpec("Entropy", _COL, _R, analyzer=True),
        RuleSpec("ColumnCorrelation", ("TargetColumn1", "TargetColumn2"), _R, analyzer=True),
        RuleSpec("CustomSql", ("CustomSqlStatement",), _O, where=False, row_level=True, threshold=True, analyzer=True),
        RuleSpec("DataFreshness", _COL, _R, _K.DURATION, row_level=True),
        _reference(
            "ReferentialIntegrity",
            ("PrimaryDatasetColumns", "ReferenceDatasetColumns"),
            composite_row_excluded=True,
        ),
        _reference(
            "DatasetMatch",
            ("ReferenceDatasetAlias", "KeyColumnMappings", "MatchColumnMappings"),
            optional_params=1,
            composite_row_excluded=True,
        ),
        _reference("RowCountMatch", _REF),
        _reference("SchemaMatch", _REF),
        _reference("AggregateMatch", ("AggregateExpression1", "AggregateExpression2"), analyzer=False),
        RuleSpec("DetectAnomalies", ("MetricParameter",), _N, variadic=True, where=False),  # history_rules.py
        RuleSpec("AllStatistics", _COL, _N, analyzer=True, unsupported="is an analyzer, not a rule"),
        _file("FileFreshness", _R, _K.DATE, optional_params=1),
        RuleSpec(
            "FileMatch",
            ("DataPath", "CompareDataPath"),
            _O,
            _K.TEXT,
            optional_params=2,
            where=False,
            tags=True,
            unquoted=False,
            unsupported=_FILES,
        ),
        _file("FileUniqueness", _R, _K.NUMBER),
        _file("FileSize", _R, _K.SIZE, optional_params=1),
    )
}

# Rule types that only an Analyzers section may name.
ANALYZER_ONLY = frozenset({"AllStatistics"})


def spec_for(rule_type: str) -> RuleSpec | None:
    """The catalogue entry of a rule type (rule type names are case-sensitive in DQDL)."""
    return CATALOGUE.get(rule_type)
