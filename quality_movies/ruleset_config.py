"""Which ruleset the quality stage runs, and what a failed rule means: configuration, not code.

A ruleset is a `.dqdl` file; its optional sidecar `.toml` (same name, beside it) sets per rule a
severity (`warn` or `error`), whether a failure blocks the warehouse load and what a rule in Error
does (`on_error`: `stop` the file, the default, or `ignore` it), and for the whole file what happens when
the dataset fails (`route` its rows as the recipe's jobs do, or `stop` the run).
The sidecar also holds the dataset's settings: `null_tokens` (fields that are missing values, e.g. `NA`),
`mapping` (the column mapping file, `column_mapping.py`; `QUALITY_MOVIES_MAPPING` overrides it) and
`repair_double_encoding` (text that looks double-encoded, `GiuffrÃ¨`, is repaired on read; default false).
`QUALITY_MOVIES_RULESET` names the `.dqdl` file; by default the recipe's ruleset bundled here runs.
Sidecar rules are keyed by their canonical text, as `quality-movies lint` prints it.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, cast

from quality_movies import dqdl
from quality_movies.column_mapping import IDENTITY, ColumnMapping, ColumnMappingError, load_mapping

RULESET_VARIABLE = "QUALITY_MOVIES_RULESET"
MAPPING_VARIABLE = "QUALITY_MOVIES_MAPPING"
DEFAULT_RULESET = Path(__file__).parent / "rules" / "movies.dqdl"

Severity = Literal["warn", "error"]
DatasetFailureAction = Literal["route", "stop"]
RuleErrorAction = Literal["stop", "ignore"]
SEVERITIES: tuple[Severity, ...] = ("warn", "error")
DATASET_FAILURE_ACTIONS: tuple[DatasetFailureAction, ...] = ("route", "stop")
RULE_ERROR_ACTIONS: tuple[RuleErrorAction, ...] = ("stop", "ignore")


class RulesetConfigError(ValueError):
    """A ruleset or its sidecar settings cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class RuleSettings:
    """What a failure of one rule means.

    `severity`: `error` makes the dataset fail (see `on_dataset_failure`), `warn` only reports.
    `blocking`: a failure keeps the file's good rows out of the warehouse (rows are still routed).
    `on_error`: what a rule in Error (it cannot be evaluated: a missing column, bad SQL, an unsupported
    rule) does: `stop` the file, nothing routed or loaded (fail closed, the default), or `ignore` it and
    route the rows as if the rule were absent (it still counts as not passed in the score).
    """

    severity: Severity = "error"
    blocking: bool = False
    on_error: RuleErrorAction = "stop"


@dataclass(frozen=True)
class RulesetConfig:
    """A parsed ruleset with the settings of each top-level rule."""

    path: Path
    ruleset: dqdl.Ruleset
    settings: Mapping[str, RuleSettings]  # by canonical rule text; every top-level rule has an entry
    on_dataset_failure: DatasetFailureAction = "route"
    defaults: RuleSettings = field(default_factory=RuleSettings)
    null_tokens: tuple[str, ...] = ()  # fields whose whole text is one of these are missing values
    mapping: ColumnMapping = field(default_factory=lambda: IDENTITY)
    repair_double_encoding: bool = False  # text columns' double-encoded values repaired before rules and contract

    @property
    def rule_texts(self) -> list[str]:
        """The top-level rules in canonical DQDL, in ruleset order."""
        return [rule.render() for rule in self.ruleset.rules]

    def settings_for(self, rule: str) -> RuleSettings:
        """The settings of a rule, by its canonical text."""
        return self.settings.get(rule, self.defaults)


def ruleset_path(environ: Mapping[str, str] = os.environ) -> Path:
    """The `.dqdl` file to run: `QUALITY_MOVIES_RULESET` if set, else the bundled recipe ruleset."""
    configured = environ.get(RULESET_VARIABLE, "").strip()
    return Path(configured).expanduser() if configured else DEFAULT_RULESET


def sidecar_path(ruleset: Path) -> Path:
    """Where a ruleset's settings live: the same name with `.toml`."""
    return ruleset.with_suffix(".toml")


def load_ruleset(
    path: Path | None = None, *, mapping: Path | None = None, environ: Mapping[str, str] = os.environ
) -> RulesetConfig:
    """Parse a ruleset (default: `ruleset_path()`) and its sidecar settings, if there is one.

    The column mapping in force is `mapping` if given, else `QUALITY_MOVIES_MAPPING` if set, else the
    sidecar's `mapping` (a path relative to the sidecar), else the identity after lower-casing.
    """
    path = Path(path) if path is not None else ruleset_path(environ)
    ruleset = _parse(path)
    texts = [rule.render() for rule in ruleset.rules]
    sidecar = sidecar_path(path)
    document = _read_toml(sidecar) if sidecar.is_file() else {}
    problems = _Problems(sidecar)
    known = {"on_dataset_failure", "defaults", "rules", "null_tokens", "mapping", "repair_double_encoding"}
    problems.unknown_keys(document, known, "top level")
    null_tokens = problems.null_tokens(document.get("null_tokens", []))
    repair = problems.flag(document, "repair_double_encoding")
    mapping_file = mapping or _configured_mapping(environ) or _sidecar_mapping(document, sidecar, problems)
    action = document.get("on_dataset_failure", "route")
    if action not in DATASET_FAILURE_ACTIONS:
        problems.add(f"on_dataset_failure must be one of {_listed(DATASET_FAILURE_ACTIONS)}, not {action!r}")
    defaults = problems.settings(document.get("defaults", {}), RuleSettings(), "[defaults]")
    settings = dict.fromkeys(texts, defaults)
    rules = document.get("rules", {})
    if not isinstance(rules, dict):
        problems.add("[rules] must be a table of rule texts")
        rules = {}
    for key, table in rules.items():
        text = _canonical(key)
        if text not in settings:
            problems.add(_unknown_rule(key, texts, path))
            continue
        settings[text] = problems.settings(table, defaults, f"[rules.'{key}']")
    problems.raise_if_any()
    try:
        column_mapping = load_mapping(mapping_file) if mapping_file is not None else IDENTITY
    except ColumnMappingError as error:
        raise RulesetConfigError(str(error)) from error
    return RulesetConfig(
        path, ruleset, settings, cast(DatasetFailureAction, action), defaults, null_tokens, column_mapping, repair
    )


def _configured_mapping(environ: Mapping[str, str]) -> Path | None:
    configured = environ.get(MAPPING_VARIABLE, "").strip()
    return Path(configured).expanduser() if configured else None


def _sidecar_mapping(document: Mapping[str, object], sidecar: Path, problems: _Problems) -> Path | None:
    named = document.get("mapping")
    if named is None:
        return None
    if not isinstance(named, str) or not named.strip():
        problems.add(f"mapping must be the path of a mapping file (relative to {sidecar.name}), not {named!r}")
        return None
    return sidecar.parent / Path(named).expanduser()


def _parse(path: Path) -> dqdl.Ruleset:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise RulesetConfigError(f"{path}: no such ruleset file (set {RULESET_VARIABLE} to a .dqdl file)") from error
    try:
        return dqdl.parse(text)
    except dqdl.DqdlSyntaxError as error:
        raise RulesetConfigError(syntax_message(path, error)) from error


def syntax_message(path: Path, error: dqdl.DqdlSyntaxError) -> str:
    """`file:line:column: problem (expected ...)`, the form editors and CI logs link to the place."""
    return f"{path}:{error.line}:{error.column}: {error.message} (expected {error.expected})"


def _read_toml(path: Path) -> dict[str, object]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise RulesetConfigError(f"{path}: not valid TOML: {error}") from error


def _canonical(key: str) -> str:
    """A rule text as the ruleset renders it, so that `in ["a", "b"]` matches `in ["a","b"]`."""
    try:
        return dqdl.parse_rule(key).render()
    except dqdl.DqdlSyntaxError:
        return key  # reported as an unknown rule, with the closest known texts


def _unknown_rule(key: str, texts: list[str], ruleset: Path) -> str:
    close = difflib.get_close_matches(key, texts, n=2, cutoff=0.6)
    hint = f"; did you mean {' or '.join(repr(text) for text in close)}?" if close else ""
    return f"[rules.'{key}'] is not a rule of {ruleset.name}{hint} (`quality-movies lint {ruleset}` prints them)"


def _listed(values: tuple[str, ...]) -> str:
    return ", ".join(repr(value) for value in values)


class _Problems:
    """Collects every problem in a sidecar, so that one run of `lint` shows them all."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.found: list[str] = []

    def add(self, problem: str) -> None:
        self.found.append(problem)

    def unknown_keys(self, table: Mapping[str, object], known: set[str], where: str) -> None:
        for key in table:
            if key not in known:
                self.add(f"unknown key {key!r} at {where}; expected {_listed(tuple(sorted(known)))}")

    def null_tokens(self, tokens: object) -> tuple[str, ...]:
        """The dataset's missing-value tokens: a list of non-empty strings (an empty field is always missing)."""
        if not isinstance(tokens, list) or not all(isinstance(token, str) and token for token in tokens):
            self.add(f'null_tokens must be a list of non-empty strings, e.g. ["NA", "N/A"], not {tokens!r}')
            return ()
        return tuple(dict.fromkeys(tokens))

    def flag(self, table: Mapping[str, object], key: str) -> bool:
        """A true/false setting of `table`, false when absent."""
        value = table.get(key, False)
        if not isinstance(value, bool):
            self.add(f"{key} must be true or false, not {value!r}")
            return False
        return value

    def settings(self, table: object, base: RuleSettings, where: str) -> RuleSettings:
        """`base` overridden by a table's `severity`, `blocking` and `on_error`."""
        if not isinstance(table, dict):
            self.add(f"{where} must be a table with severity, blocking and/or on_error")
            return base
        self.unknown_keys(table, {"severity", "blocking", "on_error"}, where)
        severity = table.get("severity", base.severity)
        blocking = table.get("blocking", base.blocking)
        on_error = table.get("on_error", base.on_error)
        if on_error not in RULE_ERROR_ACTIONS:
            self.add(f"{where}: on_error must be one of {_listed(RULE_ERROR_ACTIONS)}, not {on_error!r}")
            on_error = base.on_error
        if severity not in SEVERITIES:
            self.add(f"{where}: severity must be one of {_listed(SEVERITIES)}, not {severity!r}")
            severity = base.severity
        if not isinstance(blocking, bool):
            self.add(f"{where}: blocking must be true or false, not {blocking!r}")
            blocking = base.blocking
        if blocking and severity != "error":
            # A warning never stops anything (Dagster blocks only on checks of ERROR severity).
            self.add(f"{where}: blocking = true needs severity = 'error'")
        return RuleSettings(cast(Severity, severity), blocking, cast(RuleErrorAction, on_error))

    def raise_if_any(self) -> None:
        if self.found:
            listing = "\n".join(f"  - {problem}" for problem in self.found)
            raise RulesetConfigError(f"{self.path}: {len(self.found)} problem(s):\n{listing}")
