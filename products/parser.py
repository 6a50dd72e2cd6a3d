"""Turns what a person says or types ("move the drill to shelf B") into a product event.

A small deterministic grammar, no external service. A sentence is understood in one of
three shapes, tried in this order:

1. labelled parts: "name: drill, where: shelf B" (or "drill where: shelf B");
2. verb first: "<verb> [particle] <name> [particle] [<preposition> <location>]",
   e.g. "put away the drill in shelf A", "check the projector in at AV cupboard";
3. name first: "<name> is now in <location>", "<name> goes in <location>",
   "<name> is checked out", "<name> to <location>".

Case, articles, trailing punctuation and filler ("please", "okay", "can you") do not
matter. Names and locations keep their case as spoken, with whitespace collapsed.
This module must stay free of Django so that it can be tested and reused on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from products.names import product_name_clean

ADDED = "added"
MOVED = "moved"
CHECKED_OUT = "checked_out"
CHECKED_IN = "checked_in"
REMOVED = "removed"
EVENT_TYPES = (ADDED, MOVED, CHECKED_OUT, CHECKED_IN, REMOVED)

# Events that say where the product now is; the others may name a place but need not.
EVENT_TYPES_NEEDING_LOCATION = frozenset({ADDED, MOVED})

COMMAND_MAX_LENGTH = 500

EXAMPLES = {
    ADDED: "add a cordless drill to garage shelf B",
    MOVED: "move the drill to shelf B",
    CHECKED_OUT: "check out the projector",
    CHECKED_IN: "return the projector to the AV cupboard",
    REMOVED: "remove the broken chair",
}


@dataclass(frozen=True)
class ParsedCommand:
    name: str
    location: str | None
    event_type: str


class CommandNotUnderstood(ValueError):
    """The sentence lacks a part (``missing`` names it) or matches no known shape."""

    def __init__(self, missing: list[str], message: str, example: str) -> None:
        super().__init__(message)
        self.missing = missing
        self.message = message
        self.example = example


@dataclass(frozen=True)
class _Verb:
    # None when only a particle decides: "check the projector out" / "... in".
    event_type: str | None
    particles: tuple[tuple[str, str], ...] = ()

    def particle_event(self, word: str) -> str | None:
        return dict(self.particles).get(word.lower())


_BACK_IS_RETURN = (("back", CHECKED_IN),)
_BACK_IS_MOVE = (("back", MOVED), ("over", MOVED))
_IN_OR_OUT = (("out", CHECKED_OUT), ("in", CHECKED_IN))
_AWAY_OR_OUT = (("away", REMOVED), ("out", REMOVED))


def _verbs(event_type: str | None, words: str, particles: tuple = ()) -> dict:
    return {tuple(phrase.split()): _Verb(event_type, particles) for phrase in words.split(",")}


_VERBS: dict[tuple[str, ...], _Verb] = {
    **_verbs(ADDED, "add,added,register,registered,create,created,enter,entered,record,"
                    "recorded,stock,stocked,receive,received,new,log,logged"),
    **_verbs(MOVED, "move,moved,shift,shifted,relocate,relocated,transfer,transferred,"
                    "move over", _BACK_IS_MOVE),
    **_verbs(MOVED, "place,placed,store,stored,stash,stashed,stow,stowed,park,parked,"
                    "hang,hung,leave,drop,dropped,drop off,dropped off", _BACK_IS_RETURN),
    **_verbs(MOVED, "put", (("away", MOVED), ("back", CHECKED_IN))),
    **_verbs(MOVED, "take,took", (("out", CHECKED_OUT), ("back", CHECKED_IN))),
    **_verbs(MOVED, "bring,brought,carry,carried,send,sent", _BACK_IS_RETURN),
    **_verbs(None, "check,checked,sign,signed,book,booked", _IN_OR_OUT),
    **_verbs(CHECKED_OUT, "checkout,check-out,borrow,borrowed,lend,lent,loan,loaned,"
                          "lend out,loan out,hire out,give,gave", _BACK_IS_RETURN),
    **_verbs(CHECKED_OUT, "hand,handed", (("in", CHECKED_IN), ("back", CHECKED_IN),
                                          ("out", CHECKED_OUT), ("over", CHECKED_OUT))),
    **_verbs(CHECKED_IN, "checkin,check-in,return,returned,turn in,turned in,restock,"
                         "restocked"),
    **_verbs(REMOVED, "remove,removed,delete,deleted,discard,discarded,trash,trashed,bin,"
                      "binned,scrap,scrapped,junk,junked,dump,dumped,destroy,destroyed,"
                      "retire,retired,decommission,decommissioned,dispose of,disposed of,"
                      "get rid of,got rid of,write off,wrote off,toss,tossed", _AWAY_OR_OUT),
    **_verbs(None, "throw,threw,chuck,chucked", _AWAY_OR_OUT),
}
_VERB_PHRASES = sorted(_VERBS, key=len, reverse=True)

# Prepositions that end the name and start the place. "Toward" ones win over "at" ones,
# so that "move the stand on wheels to room 3" keeps "stand on wheels" whole.
_TOWARD = tuple(p.split() for p in (
    "to,into,onto,in to,on to,over to,back to,up to,down to,across to,out to".split(",")))
_AT = tuple(p.split() for p in "in,at,on,inside,within".split(","))
# These stay part of the location: "put the ladder under the stairs".
_RELATIVE = tuple(p.split() for p in (
    "next to,close to,in front of,on top of,under,underneath,beneath,behind,beside,near,"
    "above,below,outside,opposite,between,against".split(",")))
_FROM = "from"

_DETERMINERS = frozenset("a an the".split())
# Dropped only when something follows: "lend the drill to her" keeps "her".
_POSSESSIVES = frozenset("my our your his her their its this that these those some".split())
_ADDED_NAME_PREFIXES = ("new", "another")
_ADDED_NAME_NOUNS = frozenset("product item thing".split())
_ADDED_NAME_LINKS = frozenset("called named".split())
_TRAILING_NAME_WORDS = frozenset("is are was now".split())
_QUESTION_WORDS = frozenset(
    "where what who how why when which is are do does did can could should would will"
    .split())

_FILLER_WORDS = (
    r"please|pls|plz|kindly|okay|ok|hey|hi|so|and|then|now|um+|uh+|erm?|hmm+|"
    r"alright|all right|yes|yeah|can you|could you|would you|will you|can we|could we|"
    r"can i|could i|i want to|i wanna|i'd like to|i would like to|i need to|we need to|"
    r"i have to|we have to|let's|lets|let us|go ahead and|just|quickly"
)
_LEADING_FILLER = re.compile(rf"^(?:(?:{_FILLER_WORDS})(?:\s*[,:;.!]+\s*|\s+|$))+", re.I)
_TRAILING_FILLER = re.compile(
    r"(?:[\s,;:.!]+(?:please|pls|plz|thanks|thank you(?: very much)?|thx|cheers|okay|ok|"
    r"now|right now|for me|if you can|would you|will you|could you))+$", re.I)
_PLEASE_ANYWHERE = re.compile(r"\b(?:please|kindly)\b", re.I)
_EDGE_PUNCTUATION = " \t\n\"'`.,;:!?¡¿…-–—()[]{}"
_TYPOGRAPHIC = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "→": "->"})

_LABEL = re.compile(
    r"(?:^|[\s,;])(?P<key>name|what|product|item|where|location|loc|place|event|action)"
    r"\s*[:=]\s*", re.I)
_NAME_LABELS = frozenset("name what product item".split())
_LOCATION_LABELS = frozenset("where location loc place".split())
_EVENT_WORDS = {
    **dict.fromkeys("added add new register created create".split(), ADDED),
    **dict.fromkeys("moved move put".split(), MOVED),
    **dict.fromkeys("checked_out checked-out checkout out borrowed borrow".split(), CHECKED_OUT),
    **dict.fromkeys("checked_in checked-in checkin in returned return back".split(), CHECKED_IN),
    **dict.fromkeys("removed remove deleted delete discarded discard".split(), REMOVED),
}

_NAME = r"(?P<name>.+?)"
_LOCATION = r"(?P<location>.+)"
_BE = r"(?:\s+(?:is|are|was|were|has\s+been|have\s+been|had\s+been|got|gets|just\s+got)|'s)"
_MUST_BE = (r"(?:\s+(?:needs\s+to\s+be|need\s+to\s+be|should\s+be|can\s+be|has\s+to\s+be|"
            r"must\s+be|will\s+be|is\s+to\s+be))")
_NAME_FIRST_RULES: tuple[tuple[re.Pattern, str], ...] = tuple(
    (re.compile(pattern, re.I), event_type) for pattern, event_type in (
        (rf"^{_NAME}{_BE}?(?:\s+now)?\s+(?:checked|signed|booked|taken|handed)\s+out"
         rf"(?:\s+(?:to|by|for|at|in)\s+{_LOCATION})?$", CHECKED_OUT),
        (rf"^{_NAME}{_BE}?(?:\s+now)?\s+(?:borrowed|lent(?:\s+out)?|loaned(?:\s+out)?|on\s+loan)"
         rf"(?:\s+(?:to|by|for|at|in)\s+{_LOCATION})?$", CHECKED_OUT),
        (rf"^{_NAME}{_BE}?(?:\s+now)?\s+(?:checked\s+in|signed\s+in|booked\s+in|returned|back|"
         rf"brought\s+back|put\s+back|came\s+back|come\s+back|handed\s+(?:in|back))"
         rf"(?:\s+(?:to|in|into|at|on|onto|inside)\s+{_LOCATION})?$", CHECKED_IN),
        (rf"^{_NAME}(?:{_BE}|{_MUST_BE})?\s+(?:removed|deleted|discarded|thrown\s+(?:away|out)|"
         rf"scrapped|trashed|binned|junked|dumped|disposed\s+of|written\s+off|retired|"
         rf"decommissioned|destroyed|gone)(?:\s+from\s+.+)?$", REMOVED),
        (rf"^{_NAME}(?:\s+has)?\s+(?:arrived|been\s+delivered|was\s+delivered|got\s+delivered|"
         rf"came\s+in|is\s+new)\s+(?:at|in|to|on|into)\s+{_LOCATION}$", ADDED),
        (rf"^{_NAME}{_BE}(?:\s+now)?(?:\s+(?:moved|located|stored|kept|placed|put|sitting|"
         rf"standing|going|lying|hanging))?\s+(?:in|at|on|to|into|onto|inside)\s+{_LOCATION}$",
         MOVED),
        (rf"^{_NAME}{_BE}(?:\s+now)?\s+(?P<location>(?:under|underneath|beneath|behind|beside|"
         rf"near|above|below|outside|opposite|next\s+to|close\s+to|on\s+top\s+of|"
         rf"in\s+front\s+of)\s+.+)$", MOVED),
        (rf"^{_NAME}\s+now(?:\s+(?:is|lives|sits|stays))?\s+(?:in|at|on|inside)\s+{_LOCATION}$",
         MOVED),
        (rf"^{_NAME}(?:\s+now)?\s+(?:goes|go|belongs|lives|stays|sits|went|moved|moves|"
         rf"should\s+go|has\s+to\s+go|needs\s+to\s+go|must\s+go|will\s+go|can\s+go|is\s+going|"
         rf"gets\s+moved|got\s+moved)(?:\s+back)?(?:\s+(?:to|in|into|on|at|onto|inside|"
         rf"over\s+to))?\s+{_LOCATION}$", MOVED),
        (rf"^{_NAME}\s*(?:->|=>)\s*{_LOCATION}$", MOVED),
        (rf"^{_NAME}\s+(?:to|into|onto)\s+{_LOCATION}$", MOVED),
    )
)
# "we got a new hammer in the workshop", "there's a new ladder at the loading dock"
_NEW_ARRIVAL = re.compile(
    r"^(?:we(?:'ve|\s+have)?\s+(?:got|have|received)|there(?:'s|\s+is)|here(?:'s|\s+is)|"
    r"i(?:'ve|\s+have)?\s+got|got)\s+(?:(?:a|an|one|another)\s+)?new\s+(?P<rest>.+)$", re.I)


def command_parse(*, text: str) -> ParsedCommand:
    """Parse one sentence; raise CommandNotUnderstood saying what is missing."""
    if not isinstance(text, str):
        raise CommandNotUnderstood(["text"], "The command must be text.", EXAMPLES[MOVED])
    if len(text) > COMMAND_MAX_LENGTH:
        raise CommandNotUnderstood(
            ["text"],
            f"The sentence is too long ({len(text)} characters, at most {COMMAND_MAX_LENGTH}). "
            f"Say one thing at a time, for example “{EXAMPLES[MOVED]}”.",
            EXAMPLES[MOVED])
    sentence = _sentence_clean(text)
    if not sentence:
        raise CommandNotUnderstood(
            ["event_type", "name"],
            f"Nothing to record: say what happened and to which product, "
            f"for example “{EXAMPLES[MOVED]}”.",
            EXAMPLES[MOVED])
    if any(label.group("key").lower() in _NAME_LABELS | _LOCATION_LABELS
           for label in _LABEL.finditer(sentence)):
        return _labelled_parse(sentence)
    return _sentence_parse(sentence)


def _sentence_clean(text: str) -> str:
    sentence = product_name_clean(text.translate(_TYPOGRAPHIC))
    previous = None
    while previous != sentence:
        previous = sentence
        sentence = sentence.strip(_EDGE_PUNCTUATION)
        sentence = _LEADING_FILLER.sub("", sentence)
        sentence = _TRAILING_FILLER.sub("", sentence)
    return product_name_clean(_PLEASE_ANYWHERE.sub(" ", sentence)).strip(_EDGE_PUNCTUATION)


def _sentence_parse(sentence: str) -> ParsedCommand:
    # Commas are pauses when spoken ("move the drill, to shelf B"), not part of names.
    sentence = product_name_clean(re.sub(r"[,;]", " ", sentence))
    tokens = sentence.split()
    verb_length, verb = _verb_find(tokens)
    if verb is not None:
        return _verb_first_parse(tokens, verb_length, verb)
    arrival = _NEW_ARRIVAL.match(sentence)
    if arrival:
        return _verb_first_parse(arrival.group("rest").split(), 0, _VERBS[("add",)])
    for pattern, event_type in _NAME_FIRST_RULES:
        match = pattern.match(sentence)
        if match is None:
            continue
        name_words = match.group("name").split()
        if name_words[0].lower() in _QUESTION_WORDS:
            break
        location = match.groupdict().get("location")
        return _command_build(
            name_words, location.split() if location else None, event_type)
    raise CommandNotUnderstood(
        ["event_type"],
        f"Not understood: “{sentence}” has no action I know. Start with what happened "
        f"(add, move, put, check out, return, remove), then the product and the place, "
        f"for example “{EXAMPLES[MOVED]}”.",
        EXAMPLES[MOVED])


def _verb_find(tokens: list[str]) -> tuple[int, _Verb | None]:
    lowered = tuple(token.lower() for token in tokens)
    for phrase in _VERB_PHRASES:
        if lowered[: len(phrase)] == phrase:
            return len(phrase), _VERBS[phrase]
    return 0, None


def _verb_first_parse(tokens: list[str], verb_length: int, verb: _Verb) -> ParsedCommand:
    rest = tokens[verb_length:]
    event_type = verb.event_type
    # A particle straight after the verb: "check out the projector", "put away the drill".
    if rest and verb.particle_event(rest[0]):
        event_type = verb.particle_event(rest[0])
        rest = rest[1:]
    else:
        # A particle after the name: "check the projector in at AV cupboard".
        position = _particle_position(rest, verb, strict=verb.event_type is not None)
        if position is not None:
            after = _from_phrase_drop(rest[position + 1:], start=0)
            preposition = _preposition_at(after, 0)
            if preposition is not None and preposition[1] != "relative":
                after = after[preposition[0]:]
            return _command_build(
                rest[:position], after or None, verb.particle_event(rest[position]))
    if event_type is None:
        name = " ".join(_words_clean(rest)) or "projector"
        raise CommandNotUnderstood(
            ["event_type"],
            f"Missing the direction: is the {name} going out or coming back? "
            f"Say for example “check out the {name}” or “check the {name} in”.",
            f"check out the {name}")
    if event_type == REMOVED:
        return _command_build(_from_phrase_drop(rest), None, event_type)
    name_words, location_words = _name_location_split(rest)
    return _command_build(name_words, location_words, event_type)


def _particle_position(rest: list[str], verb: _Verb, *, strict: bool) -> int | None:
    """Where a particle ends the name: at the end or before a preposition (if strict)."""
    for position in range(1, len(rest)):
        if not verb.particle_event(rest[position]):
            continue
        if not strict or position == len(rest) - 1 or _preposition_at(rest, position + 1):
            return position
    return None


def _preposition_at(tokens: list[str], index: int) -> tuple[int, str] | None:
    """(length, kind) of the preposition starting at tokens[index], longest first."""
    lowered = [token.lower() for token in tokens[index:index + 3]]
    for kind, phrases in (("relative", _RELATIVE), ("toward", _TOWARD), ("at", _AT)):
        for phrase in sorted(phrases, key=len, reverse=True):
            if lowered[: len(phrase)] == phrase:
                return len(phrase), kind
    if lowered[:1] == [_FROM]:
        return 1, "from"
    return None


def _from_phrase_drop(tokens: list[str], *, start: int = 1) -> list[str]:
    """Where a product came from is not where it is: drop "from <place>" up to a "to"."""
    for index in range(start, len(tokens)):
        if tokens[index].lower() != _FROM:
            continue
        end = index + 1
        while end < len(tokens) and not _is_toward(tokens, end):
            end += 1
        return tokens[:index] + tokens[end:]
    return tokens


def _is_toward(tokens: list[str], index: int) -> bool:
    preposition = _preposition_at(tokens, index)
    return preposition is not None and preposition[1] == "toward"


def _name_location_split(tokens: list[str]) -> tuple[list[str], list[str] | None]:
    """Split at the first "to"-like preposition, else the first "in/at/on"-like one."""
    tokens = _from_phrase_drop(tokens)
    first: dict[str, tuple[int, int]] = {}
    index = 0
    while index < len(tokens):
        preposition = _preposition_at(tokens, index)
        if preposition is None:
            index += 1
            continue
        length, kind = preposition
        if kind != "from":
            first.setdefault(
                "toward" if kind == "toward" else "place",
                (index, 0 if kind == "relative" else length))
        index += length
    split = first.get("toward") or first.get("place")
    if split is None:
        return tokens, None
    index, length = split
    return tokens[:index], tokens[index + length:]


def _command_build(
    name_words: list[str], location_words: list[str] | None, event_type: str
) -> ParsedCommand:
    if event_type == ADDED:
        name_words = _added_name_clean(name_words)
    name = " ".join(_words_clean(name_words, trailing=_TRAILING_NAME_WORDS))
    location = " ".join(_words_clean(_from_phrase_drop(location_words or [])))
    missing = []
    if not _has_content(name):
        missing.append("name")
    if event_type in EVENT_TYPES_NEEDING_LOCATION and not _has_content(location):
        missing.append("location")
    if missing:
        raise _missing_parts(missing, name, event_type)
    return ParsedCommand(
        name=name, location=location if _has_content(location) else None,
        event_type=event_type)


def _added_name_clean(words: list[str]) -> list[str]:
    """"a new product called Ladder XL" -> "Ladder XL"."""
    words = _words_clean(words)
    if len(words) > 1 and words[0].lower() in _ADDED_NAME_PREFIXES:
        words = words[1:]
    if len(words) > 1 and words[0].lower() in _ADDED_NAME_NOUNS:
        words = words[1:]
    if len(words) > 1 and words[0].lower() in _ADDED_NAME_LINKS:
        words = words[1:]
    return words


def _words_clean(words: list[str], *, trailing: frozenset[str] = frozenset()) -> list[str]:
    words = [word for word in (w.strip("\"'`()[]{}") for w in words) if word]
    while words and words[-1].lower() in trailing:
        words = words[:-1]
    if words and words[0].lower() in _DETERMINERS:
        words = words[1:]
    elif len(words) > 1 and words[0].lower() in _POSSESSIVES:
        words = words[1:]
    return words


def _has_content(text: str) -> bool:
    return any(character.isalnum() for character in text)


def _missing_parts(missing: list[str], name: str, event_type: str) -> CommandNotUnderstood:
    if missing == ["location"]:
        verb = "add" if event_type == ADDED else "move"
        example = f"{verb} the {name} to shelf B"
        return CommandNotUnderstood(
            missing,
            f"Missing the location: where is the {name} now? "
            f"Say the place too, for example “{example}”.",
            example)
    example = EXAMPLES[event_type]
    parts = " and ".join("the product name" if part == "name" else "the location"
                         for part in missing)
    return CommandNotUnderstood(
        missing,
        f"Missing {parts}: say which product and where, for example “{example}”.",
        example)


def _labelled_parse(sentence: str) -> ParsedCommand:
    """"name: drill, where: shelf B, event: moved" or "add hammer where: workshop"."""
    labels = list(_LABEL.finditer(sentence))
    free_text = sentence[: labels[0].start()].strip(_EDGE_PUNCTUATION)
    values: dict[str, str] = {}
    for label, following in zip(labels, labels[1:] + [None]):
        end = following.start() if following else len(sentence)
        key = label.group("key").lower()
        kind = ("name" if key in _NAME_LABELS
                else "location" if key in _LOCATION_LABELS else "event")
        values[kind] = sentence[label.end():end].strip(_EDGE_PUNCTUATION)
    location = values.get("location", "")
    if "name" not in values and not free_text:
        return _command_build([], location.split() or None, MOVED)
    if "name" not in values:
        joined = f"{free_text} to {location}" if location else free_text
        return _sentence_parse(joined)
    event_word = values.get("event", "").lower().replace(" ", "_")
    event_type = _EVENT_WORDS.get(event_word) or _EVENT_WORDS.get(event_word.split("_")[0])
    if event_type is None and event_word:
        raise CommandNotUnderstood(
            ["event_type"],
            f"Unknown event “{values['event']}”: use one of {', '.join(EVENT_TYPES)}, "
            f"for example “name: drill, where: shelf B, event: moved”.",
            "name: drill, where: shelf B, event: moved")
    return _command_build(
        values["name"].split(), location.split() or None, event_type or MOVED)
