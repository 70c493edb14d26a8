"""Text normalisation shared by templates and utterances: typed, spoken and STT text look alike after it."""

from __future__ import annotations

import re

_CONTRACTIONS: dict[str, str] = {
    "what's": "what is", "whats": "what is", "who's": "who is", "whos": "who is",
    "where's": "where is", "when's": "when is", "how's": "how is", "that's": "that is",
    "thats": "that is", "it's": "it is", "there's": "there is", "here's": "here is",
    "i'm": "i am", "im": "i am", "i'd": "i would", "i'll": "i will", "i've": "i have",
    "ive": "i have", "you're": "you are", "we're": "we are", "let's": "let us",
    "can't": "cannot", "cant": "cannot", "don't": "do not", "dont": "do not",
    "doesn't": "does not", "didn't": "did not", "won't": "will not", "isn't": "is not",
    "aren't": "are not", "haven't": "have not", "wasn't": "was not", "wanna": "want to",
    "gonna": "going to", "gotta": "got to", "what're": "what are", "who're": "who are",
    "we've": "we have", "you've": "you have", "o'clock": "oclock", "name's": "name is", "we'd": "we would", "you'd": "you would", "they'd": "they would",
    "we'll": "we will", "they're": "they are", "it'll": "it will", "he's": "he is", "she's": "she is",
    "couldn't": "could not", "wouldn't": "would not", "shouldn't": "should not", "hasn't": "has not",
    "number's": "number is", "email's": "email is", "credit's": "credit is", "birthday's": "birthday is",
}
_CONTRACTION_RE = re.compile(r"(?<![\w'])(" + "|".join(re.escape(k) for k in _CONTRACTIONS) + r")(?![\w'])")

_OPENING = r"(^(?:(?:um|uh|so|okay|ok|hey|oh|yeah|and|please) )*)"
"""The start of a sentence, before any words that only open it."""
_REWRITES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), r)
    for p, r in (
        # "add a task" / "add a todo" as a recogniser runs the words together or mishears the verb
        (rf"{_OPENING}(?:aditask|attask|addatask|ad attacks?|ad a task|at a task|add it task|added task|added a task)\b",
         r"\1add a task"),
        (rf"{_OPENING}(?:added|add it|at a|ad a|had a) (?=to do\b|todo\b)", r"\1add a "),
        (rf"{_OPENING}(stick|put) it (?=to do\b|todo\b)", r"\1\2 a "),
        (rf"{_OPENING}(?:atheemtask|ad team task|at team task|add teamtask)\b", r"\1add team task"),
        (rf"{_OPENING}(?:to lead|to leap|de leap|the lead)\b(?! to\b)", r"\1delete"),
        (r"\bto lead it\b", "delete it"),
        (rf"{_OPENING}the race\b", r"\1erase"),
        (r"\broll (?=on|in|to|as|for)\b", "role "),
        # "due friday" heard "do friday"; "mark it as done" heard "mark it is done"
        (r"\b(?<!what )(?<!i )(?<!you )(?<!we )(?<!they )(?<!to )do (?=(?:this |next |on |by )?(?:monday|tuesday|"
         r"wednesday|thursday|friday|saturday|sunday|today|tomorrow|tonight|january|february|march|april|june|"
         r"july|august|september|october|november|december"
         r"|the (?:twenty |thirty )?(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth"
         r"|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|thirtieth)"
         r"|the \d{1,2}(?:st|nd|rd|th))\b)", "due "),
        # "mark it medium priority" heard "market medium priority"
        (r"\bmarket (?=(?:as )?(?:urgent|high|low|medium|normal|top|done|complete|completed|finished)\b)", "mark it "),
        (rf"{_OPENING}ad\b", r"\1add"),  # "ad replace the wiper blades to my list"
        # "add" heard as "at" before what is added: "at an event friday", "please at it"
        (rf"{_OPENING}at (?=(?:an? )?(?:event|task|todo|meeting|reminder|appointment|note)\b)", r"\1add "),
        (r"\b(please|can you|could you) at (?=it|that|this)\b", r"\1 add "),
        (rf"{_OPENING}new tasks\b", r"\1new task"),
        (r"\bcross ?off\b|\bcrossoff\b", "cross off"),
        # a sentence-opening "um" heard as "i am" ("i am what am i getting reminded about"), "hi" as "high"
        (r"^i am (?=(?:what|which|when|where|how|who|i|can|could|would|will|please|add|cancel|cancelled|canceled|"
         r"remind|put|todo|to do|delete|remove|show|list|book|schedule|create|change|move|need|want|do|does|is|are|any"
         r"|anything)\b"
         r"|(?:at|new) (?:an? )?(?:event|task|todo|to do|meeting|reminder|appointment|note)\b)", ""),
        (r"^high (?=(?:i am|i'm|im|this is|there|my name|it is|it's)\b)", "hi "),
        (r"^high (?:eye|i) (?=(?:would|need|want|have|was|just|wanted|am)\b)", "hi i "),  # "hi i'd like" heard "high eye would like"
        (r"^((?:please )?mark .+) is (done|complete|completed|finished)$", r"\1 as \2"),
        (r"\bdr\b\.?", "doctor"),
        (r"\bmr\b\.?", "mister"),  # the recogniser's spelling of a title, as said
        # "he's been", "she's got": has, not is
        (r"\b(he|she|it|that|there|who|what|everyone|everybody|nobody|someone|somebody)'s (been|got|gotten)\b", r"\1 has \2"),
        (r"\bmrs\b\.?", "missus"),
        # a command word the recogniser wrote onto the address after it ("addcarlos dot rivera at ...")
        (rf"{_OPENING}(add|take|make|invite|remove|put|change|kick|set|move|drop|promote|demote)(?=[a-z']+(?: (?:dot|underscore) [a-z]+)* at [a-z]+(?: dot [a-z]+)+ (?:to|off|from|on|onto|into|in|an|a|as)\b)",
         r"\1\2 "),
        (r"\blook (a|us a|me a) table\b", r"book \1 table"),  # "look a table for two": book
        (r"\blook (me|us) in (?=for|on|at|with|next|this|tomorrow|today)\b", r"book \1 in "),  # "look me in for a flu shot"
        (rf"{_OPENING}look (?=(?:a|an|my) (?:follow up|followup|checkup|check up|physical|appointment|visit|flu shot)\b)",
         r"\1book "),
        (r"\bsee (?:the|a) party of\b", "seat a party of"),
        (r"\baid (?=of us|people|guests)\b", "eight "),
        (r"\bphoto it\b", "photo id"),
        (r"\bthink (?=(?:my |the |with )?(?:google|calendar)\b|(?:my |the )?(?:events|meetings) (?:from|with) )", "sync "),  # "sync"
        (r"\bday of birth\b", "date of birth"),
        # "half seven": half past seven
        (r"\bhalf (one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\b(?! (?:hours?|minutes?|days?|weeks?|"
         r"months?|years?|people|of|percent|dollars?|pounds?|miles?)\b)", r"\1 thirty"),
        (r"\b(what|which) apartments\b", r"\1 departments"),  # "what apartments do you have"
        (r"\bdrop (that|it|this) down\b", r"jot \1 down"),
        # "buy" heard as "by" where no deadline follows: "the by milk chore", "called by milk"
        (r"\b(the|a|called|named|todo|task|tasks|down|off|to|item|chore|say|says|reads|my|and|rename|delete|remove|complete|finish|drop|add|of) by (?!(?:the|a|an|then|now|end|close|"
         r"tomorrow|today|tonight|noon|midnight|next|this|monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
         r"january|february|march|april|may|june|july|august|september|october|november|december|"
         r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\d)\b)", r"\1 buy "),
        (r"\b([ap])\.\s?m\.?(?=\s|$)", r"\1m"),  # p.m. -> pm
        (r"(\d)\s*([ap])m\b", r"\1 \2m"),  # 2pm -> 2 pm
        (r"\b([ap]) m\b", r"\1m"),  # STT "p m" -> pm
        (r"(?<=\d),(?=\d{3}\b)", ""),  # 350,000 -> 350000
        (r"\$\s+(?=\d)", "$"),
        (r"&", " and "),
        (r"\bto[ -]?dos\b|\btodo's\b", "todos"),
        (r"\bto-do\b", "todo"),
        (r"\b(a|an|my|the|new|this|that|your|our|each|every|one|another|create|created|add|make|put) to do\b",
         r"\1 todo"),
        (r"^created (?=todo|task|reminder|team|event|calendar)", "create a "),  # "create a" as often heard
        (r"\b(team|group|list) created (?=todo|task)", r"\1 create a "),  # "on the ops team created todo to ..."
        (r"\badded description\b", "add a description"),
        (r"\b(hey|so|okay|ok|yeah|yes|and|well) i (?=could you|can you|would you|will you)\b", r"\1 "),  # "uh" heard "i"
        (r"\bto (morrow|night|day)\b", r"to\1"),  # "to morrow" as a recogniser may split it
        (r"\bgood[ -]?bye?\b", "goodbye"),  # "good-by", "good bye"

        (r"\b(create|add|make|put|new) (?:it|uh) (?=to do\b|todo\b)", r"\1 a "),

        (r"\bto do (list|item)", r"todo \1"),
        (r"\be[ -]?mail\b", "email"),
        # "thursday's table", "tonight's booking": the day, not a possessive
        (r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|tonight|tomorrow)'s\b", r"\1"),
    )
)
_UNWANTED = re.compile(r"[^a-z0-9$%:@./'+_ -]")
_LONE_PUNCT = re.compile(r"(?<![a-z0-9])[.'/:+_-]+|[.'/:+_-]+(?![a-z0-9])")
_WORD_HYPHEN = re.compile(r"(?<=[a-z])-(?=[a-z])|(?<=[a-z])-(?=\d)|(?<=\d)-(?=[a-z])")
_SPACES = re.compile(r"\s+")

_HESITATIONS = frozenset({"um", "umm", "uhm", "uh", "uhh", "er", "erm", "hmm", "mm", "ah", "please", "kindly"})

_LEADING_FILLERS: tuple[str, ...] = tuple(
    sorted(
        (
            "so", "well", "okay", "ok", "alright", "all right", "hey", "hi", "hello", "yes", "yeah",
            "could you", "can you", "would you", "will you", "could you possibly", "would you mind",
            "i would like to", "i would like you to", "i want to", "i want you to", "i need you to",
            "i need to", "i would love to", "go ahead and", "just", "quickly", "actually", "now",
            "help me", "let us", "i wanted to", "i was wondering if you could", "assistant",
            "i am trying to", "i would like to please", "can i ask you to", "also", "and", "we need to",
            "we want to", "we would like to", "i just want to", "i am looking to", "i was hoping to",
            "good morning", "good afternoon", "good evening", "dear", "i would be grateful if you could",
            "i would be ever so grateful if you could", "would you be so kind as to", "if you could",
        ),
        key=len,
        reverse=True,
    )
)
_LEADING_RE = re.compile(r"^(?:" + "|".join(re.escape(f) for f in _LEADING_FILLERS) + r") ")
_TRAILING_RE = re.compile(
    r" (?:thanks|thank you|thank you very much|thanks a lot|if you can|if possible|for me please|for me|now|right now"
    r"|(?:can|could|would|will) you"  # "... would you": the request asked again after its content
    r"|(?:(?:can|could|would|will) you |please )?(?:change|update|fix|adjust|edit|correct) (?:it|that|this|them)"
    r"(?: for me)?)$"  # "the recital got moved to six on friday can you change it": the change is said already
)
_ASKED_AGAIN = re.compile(
    r" (?:can|could|would|will) you(?= (?:put|add|write|jot|note|save|remember|set|stick|pop|throw|log|keep)"
    r" (?:that|it|this)\b)"
)
""""... the dry cleaning can you put that on my to do list": the question leaves, the list it names stays."""


_PAST_COMMANDS = {
    "changed": "change", "created": "create", "deleted": "delete", "removed": "remove", "canceled": "cancel",
    "cancelled": "cancel", "booked": "book", "scheduled": "schedule", "moved": "move", "marked": "mark",
    "renamed": "rename", "registered": "register", "reserved": "reserve", "updated": "update", "added": "add",
}
_PAST_COMMAND_RE = re.compile(r"^(" + "|".join(_PAST_COMMANDS) + r")\b")
"""A command heard in the past tense at the very start ("changed the priority", "registered me as ...")."""


_CODE_LIKE = re.compile(r"\b(?:h ?t|c ?l) (?:[a-z0-9]|zero|one|two|three|four|five|six|seven|eight|nine|oh)\b")
"""A confirmation code said letter by letter ("h t four k"): read elsewhere, left as it is."""
_SPELLED_OUT = re.compile(r"\b(?:[b-hj-z] (?:[a-z] )+[a-z]|[a-z] (?:[a-z] )*[b-hj-z])\b")
"""Letters said one by one ("p t a volunteers"), not counting a lone "a" or "i"."""


def _join_letters(m: re.Match[str]) -> str:
    return m.group(0).replace(" ", "")


_SPELLED_AGAIN = re.compile(r"\b(\w+) (\w+) (?:that is|spelled|spelt|it is spelled|spelled as) ((?:[a-z] ){2,}[a-z])\b")
"""A name said, then spelled letter by letter ("bo nguyen that's b o n g u y e n")."""


def _spelled_again(m: re.Match[str]) -> str:
    """The name once: as said when the spelling only repeats it, else as spelled (the recogniser writes a name
    it does not know as it hears it: "oylaren that's o y e l a r a n")."""
    first, last, spelled = m[1], m[2], m[3].replace(" ", "")
    if spelled in (last, first + last):
        return f"{first} {last}"
    if len(spelled) >= 4 and spelled[0] == last[0]:
        return f"{first} {spelled}"
    return m[0]


_SPELLING_ASIDE = re.compile(r"\b((?:name is|name's|i am|i'm|it's|it is|this is) \w+(?: \w+)?) with (?:an? |one |two )[a-z](?:'?s)?\b(?! ray\b)")
""""my name is elinor with an i": how a name is spelled, said after it, is no part of it."""


def normalize(text: str, *, sentence: bool = True) -> str:
    """Lowercase, expand contractions, drop punctuation (keeping `$`, `%`, `@`, decimals, times, dates).
    A `sentence` that opens with a command in the past tense ("changed the priority") has it in the
    present; a word of a template (not a sentence) keeps its tense ("my insurance [changed] to ...")."""
    t = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    for pattern, repl in _REWRITES:
        t = pattern.sub(repl, t)
    t = _UNWANTED.sub(" ", t)
    t = _LONE_PUNCT.sub(" ", t)
    t = _WORD_HYPHEN.sub(" ", t)
    t = _SPACES.sub(" ", t).strip()
    t = _CONTRACTION_RE.sub(lambda m: _CONTRACTIONS[m.group(1)], t)
    t = _SPELLING_ASIDE.sub(r"\1", t)
    t = _SPELLED_AGAIN.sub(_spelled_again, t)
    t = _SPELLED_OUT.sub(_join_letters, t) if not _CODE_LIKE.search(t) else t
    t = _NAMED_TODO.sub(_named_todo, t)
    return _PAST_COMMAND_RE.sub(lambda m: _PAST_COMMANDS[m.group(1)], t) if sentence else t


_NAMED_TODO = re.compile(r"\b(\w+) to do\b(?= (?:to|can|could|would|will|for|on|item|list|and|so|is|needs?|as|off|from"
                         r"|anymore|any more|delete|remove|cross|scratch|that|please)\b|$)")
_BEFORE_VERB_TO_DO = frozenset({
    "have", "has", "had", "need", "needs", "want", "wants", "got", "something", "anything", "nothing",
    "everything", "things", "thing", "lot", "lots", "what", "much", "more", "else", "going", "able", "like",
    "love", "hate", "supposed", "plan", "try", "trying", "how", "when", "where", "why", "time", "chance",
    "me", "you", "him", "her", "them", "us", "it", "i", "we", "they", "not", "never", "also", "just", "there",
    "here", "left", "still", "enough", "stuff", "work", "jobs", "chores", "errands",
})


def _named_todo(m: re.Match[str]) -> str:
    """"the piano recital costume to do can you ..." names a todo; "what do i have to do" does not."""
    return m[0] if m[1] in _BEFORE_VERB_TO_DO else f"{m[1]} todo"


def drop_hesitations(text: str) -> str:
    """Remove "um", "uh", "please" wherever they stand in normalised text."""
    return " ".join(w for w in text.split(" ") if w not in _HESITATIONS)


def strip_fillers(text: str) -> str:
    """Remove politeness and lead-ins ("could you", "I'd like to", "thanks") around a normalised request."""
    t = _ASKED_AGAIN.sub("", drop_hesitations(text))
    while True:
        stripped = _TRAILING_RE.sub("", _LEADING_RE.sub("", t))
        if stripped == t:
            return t
        t = stripped


def words(text: str) -> frozenset[str]:
    """The set of words in normalised text."""
    return frozenset(text.split(" "))


def unnamed(pattern: str) -> str:
    """A regex with its named groups made non-capturing, so it can be embedded in a larger one."""
    return re.sub(r"\(\?P<\w+>", "(?:", pattern)
