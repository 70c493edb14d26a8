"""Which documents an application needs, and which one a caller means when they name it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.errors import Invalid, NotFound


@dataclass(frozen=True)
class DocumentKind:
    kind: str
    label: str
    aliases: tuple[str, ...]


CATALOG: dict[str, DocumentKind] = {
    d.kind: d
    for d in (
        DocumentKind("photo_id", "government-issued photo ID", ("photo id", "id", "driver's license", "passport")),
        DocumentKind("bank_statements", "bank statements for the last two months", ("bank statement",)),
        DocumentKind("pay_stubs", "pay stubs from the last 30 days", ("pay stub", "paystub", "payslip", "pay slip")),
        DocumentKind("w2_forms", "W-2 forms for the last two years", ("w2", "w-2", "w2 form")),
        DocumentKind("tax_returns", "personal and business tax returns for the last two years", ("tax return", "taxes")),
        DocumentKind("profit_and_loss", "year-to-date profit and loss statement", ("profit and loss", "p&l")),
        DocumentKind(
            "retirement_income",
            "proof of retirement income (pension or Social Security letter)",
            ("pension", "social security", "retirement income", "award letter"),
        ),
        DocumentKind("purchase_agreement", "signed purchase agreement", ("purchase contract", "sales contract")),
        DocumentKind("mortgage_statement", "current mortgage statement", ("mortgage statement",)),
    )
}

_BY_EMPLOYMENT = {
    "employed": ("pay_stubs", "w2_forms"),
    "self_employed": ("tax_returns", "profit_and_loss"),
    "retired": ("retirement_income",),
    "unemployed": (),
}
_BY_PURPOSE = {"purchase": ("purchase_agreement",), "refinance": ("mortgage_statement",)}


def required_kinds(loan_purpose: str, employment_status: str | None) -> list[str]:
    """The documents an application needs; income papers only once employment is known."""
    kinds = ["photo_id", "bank_statements"]
    kinds += _BY_EMPLOYMENT.get(employment_status or "", ())
    kinds += _BY_PURPOSE.get(loan_purpose, ())
    return kinds


_FILLER = frozenset({"my", "the", "a", "an", "copy", "copies", "of", "document", "doc", "i", "have", "sent", "got"})


def _words(text: str) -> frozenset[str]:
    text = text.lower().replace("&", " and ").replace("-", "").replace("'", "")
    words = re.sub(r"[^a-z0-9]+", " ", text).split()
    # "stubs" and "stub", "w2s" and "w2" are the same document
    stems = (w[:-1] if len(w) > 2 and w.endswith("s") and not w.endswith("ss") else w for w in words)
    return frozenset(w for w in stems if w not in _FILLER)


def _matches(ref: frozenset[str], doc: DocumentKind) -> bool:
    if ref <= _words(doc.label) or ref <= _words(doc.kind.replace("_", " ")):
        return True
    return any(_words(alias) <= ref for alias in doc.aliases)


def _listing(kinds: list[str]) -> str:
    return "; ".join(CATALOG[k].label for k in kinds)


def resolve_document(ref: str, required: list[str]) -> str:
    """The document kind `ref` names among those this application needs."""
    if ref.strip() in CATALOG:
        found = [ref.strip()]
    else:
        words = _words(ref)
        if not words:
            raise Invalid(f"Which document? This application needs: {_listing(required)}.")
        found = [k for k, doc in CATALOG.items() if _matches(words, doc)]
    if not found:
        raise NotFound(f"I don't know a document called {ref!r}. This application needs: {_listing(required)}.")
    needed = [k for k in found if k in required]
    if not needed:
        raise Invalid(f"A {CATALOG[found[0]].label} isn't needed for this application. It needs: {_listing(required)}.")
    if len(needed) > 1:
        raise Invalid(f"Did you mean the {_listing(needed).replace('; ', ' or the ')}?")
    return needed[0]
