"""The DQDL rule catalogue: which rule types exist, what they take, and how this engine treats them.

Names and parameter counts follow the reference catalogue (awslabs/dqdl ``rules-config.json``) and
AWS's DQDL reference. ``row_level`` says whether Glue reports an outcome per row; the others appear in
``DataQualityRulesSkip`` on every row (the Glue reference run shows that for RowCount and
StandardDeviation).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class ConditionUse(Enum):
    """Whether a rule type takes a condition."""

    REQUIRED = "required"
    NONE = "none"
    OPTIONAL = "optional"


@dataclass(frozen=True)
class RuleSpec:
    """What the engine knows about one rule type."""

    name: str
    min_params: int
    max_params: int | None  # None: any number (variadic)
    condition: ConditionUse
    row_level: bool = False
    threshold: bool = False  # accepts ``with threshold``
    # Why it cannot be evaluated here; None when it can.
    unsupported: str | None = None
    # Excluded from row-level outcomes when nested in a composite rule (reference catalogue flag).
    composite_row_excluded: bool = False

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
_HISTORY = "needs the results of previous runs, which this engine does not keep"
_FILES = "checks files in storage, not the rows of a frame"

_R, _N, _O = ConditionUse.REQUIRED, ConditionUse.NONE, ConditionUse.OPTIONAL

CATALOGUE: dict[str, RuleSpec] = {
    spec.name: spec
    for spec in (
        RuleSpec("RowCount", 0, 0, _R),
        RuleSpec("ColumnCount", 0, 0, _R),
        RuleSpec("ColumnExists", 1, 1, _N),
        RuleSpec("ColumnNamesMatchPattern", 1, 1, _N),
        RuleSpec("IsComplete", 1, 1, _N, row_level=True),
        RuleSpec("Completeness", 1, 1, _R, row_level=True, composite_row_excluded=True),
        RuleSpec("IsUnique", 1, 1, _N, row_level=True),
        RuleSpec("Uniqueness", 1, 1, _R, row_level=True, composite_row_excluded=True),
        RuleSpec("UniqueValueRatio", 1, 1, _R, row_level=True),
        RuleSpec("IsPrimaryKey", 1, None, _N, row_level=True),
        RuleSpec("DistinctValuesCount", 1, 1, _R),
        RuleSpec("ColumnValues", 1, 1, _R, row_level=True, threshold=True),
        RuleSpec("ColumnLength", 1, 1, _R, row_level=True, threshold=True),
        RuleSpec("ColumnDataType", 1, 1, _R, row_level=True, threshold=True),
        RuleSpec("Mean", 1, 1, _R),
        RuleSpec("Sum", 1, 1, _R),
        RuleSpec("StandardDeviation", 1, 1, _R, composite_row_excluded=True),
        RuleSpec("Entropy", 1, 1, _R),
        RuleSpec("ColumnCorrelation", 2, 2, _R),
        RuleSpec("CustomSql", 1, 1, _O, row_level=True, threshold=True),
        RuleSpec("DataFreshness", 1, 1, _R, row_level=True),
        RuleSpec("ReferentialIntegrity", 2, 2, _R, unsupported=_REFERENCE, composite_row_excluded=True),
        RuleSpec("DatasetMatch", 2, 3, _R, unsupported=_REFERENCE, composite_row_excluded=True),
        RuleSpec("RowCountMatch", 1, 1, _R, unsupported=_REFERENCE),
        RuleSpec("SchemaMatch", 1, 1, _R, unsupported=_REFERENCE),
        RuleSpec("AggregateMatch", 2, 2, _R, unsupported=_REFERENCE),
        RuleSpec("DetectAnomalies", 1, None, _N, unsupported=_HISTORY),
        RuleSpec("FileFreshness", 0, None, _O, unsupported=_FILES),
        RuleSpec("FileMatch", 1, None, _O, unsupported=_FILES),
        RuleSpec("FileUniqueness", 0, None, _O, unsupported=_FILES),
        RuleSpec("FileSize", 0, None, _O, unsupported=_FILES),
    )
}


def spec_for(rule_type: str) -> RuleSpec | None:
    """The catalogue entry of a rule type (rule type names are case-sensitive in DQDL)."""
    return CATALOGUE.get(rule_type)
