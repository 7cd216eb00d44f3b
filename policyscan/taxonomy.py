"""The label set as data: load, validate and describe a taxonomy file (TOML)."""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path

from .errors import TaxonomyError

GROUPS = ("task", "risk")
DOMAINS = ("social", "other", "none")
_FIELDS = ("id", "group", "domain", "name_nl", "name_en", "description")


@dataclass(frozen=True)
class Label:
    """One label of the taxonomy."""

    id: str
    group: str
    domain: str
    name_nl: str
    name_en: str
    description: str


@dataclass(frozen=True)
class Roles:
    """Which labels the derived measures read: the risk, the safeguard against it, and the domain outside the social one."""

    risk: str | None = None
    safeguard: str | None = None
    other_domain: str | None = None
    #: The task labels frequent enough in real documents to average over: evaluation reports their macro-F1
    #: as the headline task figure (empty: all task labels).
    headline_tasks: tuple[str, ...] = ()


#: The roles a taxonomy file without a [roles] table gets, where its labels allow them.
DEFAULT_ROLES = Roles(
    risk="instrumentalisation",
    safeguard="risk_awareness",
    other_domain="other",
    headline_tasks=("loneliness", "care_ageing", "poverty_work", "youth_education", "culture", "living_environment", "sport"),
)


@dataclass(frozen=True)
class Taxonomy:
    """An ordered set of labels with their groups and domains, and the roles some of them play in the measures."""

    name: str
    labels: tuple[Label, ...]
    roles: Roles = DEFAULT_ROLES

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(label.id for label in self.labels)

    def group(self, group: str) -> tuple[str, ...]:
        """The label ids of one group, in taxonomy order."""
        return tuple(label.id for label in self.labels if label.group == group)

    def get(self, label_id: str) -> Label:
        """The label with this id."""
        for label in self.labels:
            if label.id == label_id:
                return label
        raise TaxonomyError(f"unknown label {label_id!r}; known labels: {', '.join(self.ids)}")

    @property
    def groups(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(label.group for label in self.labels))

    def digest(self) -> str:
        """A hash of the label set (ids, groups, domains) that models record."""
        core = [(label.id, label.group, label.domain) for label in self.labels]
        return hashlib.sha256(json.dumps(core).encode()).hexdigest()[:16]

    def to_dict(self) -> dict:
        """The taxonomy as plain data."""
        return {"name": self.name, "roles": asdict(self.roles), "labels": [asdict(label) for label in self.labels]}


def _validate_label(raw: dict, where: str) -> Label:
    missing = [f for f in _FIELDS if not str(raw.get(f, "")).strip()]
    if missing:
        raise TaxonomyError(f"{where}: label {raw.get('id', '?')!r} lacks {', '.join(missing)}")
    if raw["group"] not in GROUPS:
        raise TaxonomyError(f"{where}: label {raw['id']!r} has group {raw['group']!r}; use one of {', '.join(GROUPS)}")
    if raw["domain"] not in DOMAINS:
        raise TaxonomyError(f"{where}: label {raw['id']!r} has domain {raw['domain']!r}; use one of {', '.join(DOMAINS)}")
    return Label(**{f: str(raw[f]).strip() for f in _FIELDS})


def parse_taxonomy(text: str, where: str = "taxonomy") -> Taxonomy:
    """A validated taxonomy from TOML text."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TaxonomyError(f"{where}: not valid TOML: {exc}") from exc
    labels = tuple(_validate_label(raw, where) for raw in data.get("label", []))
    if not labels:
        raise TaxonomyError(f"{where}: no [[label]] entries")
    ids = [label.id for label in labels]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise TaxonomyError(f"{where}: duplicate label ids: {', '.join(duplicates)}")
    return Taxonomy(str(data.get("name", Path(where).stem)), labels, _roles(data.get("roles"), labels, where))


def _roles(raw: object, labels: tuple[Label, ...], where: str) -> Roles:
    """The declared roles, checked against the labels; without a [roles] table, the default roles the labels allow."""
    ids = {label.id for label in labels}
    if raw is None:
        return Roles(
            risk=DEFAULT_ROLES.risk if DEFAULT_ROLES.risk in ids else None,
            safeguard=DEFAULT_ROLES.safeguard if DEFAULT_ROLES.safeguard in ids else None,
            other_domain=DEFAULT_ROLES.other_domain,
            headline_tasks=tuple(label for label in DEFAULT_ROLES.headline_tasks if label in ids),
        )
    known = set(Roles.__dataclass_fields__)
    if not isinstance(raw, dict) or set(raw) - known:
        raise TaxonomyError(f"{where}: [roles] takes only {', '.join(sorted(known))}")
    for role in ("risk", "safeguard"):
        if role in raw and raw[role] not in ids:
            raise TaxonomyError(f"{where}: role {role} = {raw[role]!r} is not a label id; use one of {', '.join(sorted(ids))}")
    if "other_domain" in raw and raw["other_domain"] not in DOMAINS:
        raise TaxonomyError(f"{where}: role other_domain = {raw['other_domain']!r}; use one of {', '.join(DOMAINS)}")
    headline = raw.get("headline_tasks", [])
    tasks = {label.id for label in labels if label.group == "task"}
    if not isinstance(headline, list) or any(label not in tasks for label in headline):
        raise TaxonomyError(f"{where}: role headline_tasks must list task label ids; use some of {', '.join(sorted(tasks))}")
    single = {role: str(value) for role, value in raw.items() if role != "headline_tasks"}
    return Roles(**single, headline_tasks=tuple(headline))


def taxonomy_toml(taxonomy: Taxonomy) -> str:
    """The taxonomy as TOML text that `parse_taxonomy` reads back as the same taxonomy."""

    def quoted(value: str) -> str:  # a JSON string is a valid TOML basic string
        return json.dumps(value, ensure_ascii=False)

    lines = [f"name = {quoted(taxonomy.name)}", "", "[roles]"]
    lines += [f"{role} = {quoted(value)}" for role, value in asdict(taxonomy.roles).items() if value is not None]
    for label in taxonomy.labels:
        lines += ["", "[[label]]"] + [f"{key} = {quoted(value)}" for key, value in asdict(label).items()]
    return "\n".join(lines) + "\n"


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """The taxonomy in `path`, or the default one shipped with policyscan."""
    if path is None:
        text = resources.files("policyscan").joinpath("data/taxonomy.toml").read_text(encoding="utf-8")
        return parse_taxonomy(text, "default taxonomy")
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise TaxonomyError(f"{path}: cannot read taxonomy: {exc.strerror}") from exc
    return parse_taxonomy(text, str(path))
