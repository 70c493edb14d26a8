"""The kinds of values patients say: symptoms, insurers, bookings."""

from __future__ import annotations

from dataclasses import replace

from core.grammar.slots import free_text
from domains import bookings

SYMPTOM_WORDS = frozenset({
    "pain", "pains", "painful", "ache", "aches", "aching", "hurts", "hurting", "sore", "swollen", "swelling",
    "fever", "feverish", "cough", "coughing", "headache", "headaches", "migraine", "migraines", "nausea",
    "nauseous", "vomiting", "throwing", "dizzy", "dizziness", "rash", "itchy", "itching", "bleeding", "breath",
    "breathing", "wheezing", "congestion", "congested", "runny", "sneezing", "fatigue", "exhausted", "chills",
    "sweats", "cramps", "cramping", "diarrhea", "constipation", "insomnia", "blurry", "numb", "numbness",
    "tingling", "sprain", "sprained", "burned", "burn", "blister", "blistering", "infection", "infected", "flu",
    "allergies", "allergic", "throat", "chest", "stomach", "stomachache", "knee", "ankle", "wrist", "shoulder",
    "ear", "earache", "toothache", "tightness", "palpitations", "fainting", "faint", "sick", "ill", "unwell",
    "temperature", "symptoms", "symptom", "lump", "bruise", "bruised", "stiff", "stiffness", "spells",
    "vision", "sinus", "sinuses", "bloated", "heartburn", "nose", "joints", "muscle", "muscles", "hip",
})
"""Words that on their own say a caller is describing how they feel (the intent model's `<symptom>`)."""

SYMPTOMS = replace(
    free_text("symptoms", ["headache", "sore throat", "fever", "back pain", "cough and a runny nose", "stomach ache"],
              tail=r"(?:that|which|it) (?:is|has|have|was|had) (?:been )?(?:going on|going|happening|bothering me|there)$"),
    word_class="<symptom>", lexicon=SYMPTOM_WORDS,
)
INSURANCE = free_text("insurance", ["blue cross", "aetna", "kaiser", "united healthcare"])

TYPES = (SYMPTOMS, INSURANCE, *bookings.TYPES)
