"""Turns what a person says or types ("move the drill to shelf B") into a product event.

A small deterministic grammar, no external service. A sentence is understood in one of
three shapes, tried in this order:

1. labelled parts: "name: drill, where: shelf B", "product: X, location: Y", "drill where:
   shelf B"; a verb before them sets the event ("new product: safety goggles at station 3"),
   and a place said inside the name part is split off as in a sentence;
2. verb first: "<verb> [particle] <name> [particle] [<preposition> <location>]",
   e.g. "put away the drill in shelf A", "check the projector in at AV cupboard";
3. name first: "<name> is now in <location>", "<name> goes in <location>",
   "<name> is checked out", "<name> to <location>".

Case, articles, trailing punctuation and filler ("please", "okay", "can you") do not
matter, nor does a colon after the verb ("add: goggles at station 3"). Names and
locations keep their case as spoken, with whitespace collapsed. This module must stay free of Django so that it can be tested and reused on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from products.names import product_name_clean
from products.vocabulary import (
    ADDED, ADDED_NAME_LINKS, ADDED_NAME_NOUNS, ADDED_NAME_PREFIXES, AT, CHECKED_IN, CHECKED_OUT,
    DETERMINERS, EDGE_PUNCTUATION, EVENT_TYPES, EVENT_TYPES_NEEDING_LOCATION, EVENT_WORDS, FROM,
    LABEL, LABEL_LEAD_WORDS, LEADING_FILLER, LOCATION_LABELS, MOVED, NAME_FIRST_RULES, NAME_LABELS, NEW_ARRIVAL,
    PLEASE_ANYWHERE, POSSESSIVES, QUESTION_WORDS, RELATIVE, REMOVED, TOWARD, TRAILING_FILLER,
    TRAILING_NAME_WORDS, TYPOGRAPHIC, VERBS, VERB_PHRASES, Verb,
)


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
    if any(label.group("key").lower() in NAME_LABELS | LOCATION_LABELS
           for label in LABEL.finditer(sentence)):
        return _labelled_parse(sentence)
    return _sentence_parse(sentence)


def _sentence_clean(text: str) -> str:
    sentence = product_name_clean(text.translate(TYPOGRAPHIC))
    previous = None
    while previous != sentence:
        previous = sentence
        sentence = sentence.strip(EDGE_PUNCTUATION)
        sentence = LEADING_FILLER.sub("", sentence)
        sentence = TRAILING_FILLER.sub("", sentence)
    return product_name_clean(PLEASE_ANYWHERE.sub(" ", sentence)).strip(EDGE_PUNCTUATION)


def _sentence_parse(sentence: str) -> ParsedCommand:
    # Commas are pauses when spoken ("move the drill, to shelf B"), not part of names; so is
    # a colon after a word ("add: goggles at station 3").
    sentence = product_name_clean(re.sub(r"[,;]|:(?=\s)", " ", sentence))
    tokens = sentence.split()
    verb_length, verb = _verb_find(tokens)
    if verb is not None:
        return _verb_first_parse(tokens, verb_length, verb)
    arrival = NEW_ARRIVAL.match(sentence)
    if arrival:
        return _verb_first_parse(arrival.group("rest").split(), 0, VERBS[("add",)])
    for pattern, event_type in NAME_FIRST_RULES:
        match = pattern.match(sentence)
        if match is None:
            continue
        name_words = match.group("name").split()
        if name_words[0].lower() in QUESTION_WORDS:
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


def _verb_find(tokens: list[str]) -> tuple[int, Verb | None]:
    lowered = tuple(token.lower() for token in tokens)
    for phrase in VERB_PHRASES:
        if lowered[: len(phrase)] == phrase:
            return len(phrase), VERBS[phrase]
    return 0, None


def _verb_first_parse(tokens: list[str], verb_length: int, verb: Verb) -> ParsedCommand:
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


def _particle_position(rest: list[str], verb: Verb, *, strict: bool) -> int | None:
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
    for kind, phrases in (("relative", RELATIVE), ("toward", TOWARD), ("at", AT)):
        for phrase in sorted(phrases, key=len, reverse=True):
            if lowered[: len(phrase)] == phrase:
                return len(phrase), kind
    if lowered[:1] == [FROM]:
        return 1, "from"
    return None


def _from_phrase_drop(tokens: list[str], *, start: int = 1) -> list[str]:
    """Where a product came from is not where it is: drop "from <place>" up to a "to"."""
    for index in range(start, len(tokens)):
        if tokens[index].lower() != FROM:
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
    name = " ".join(_words_clean(name_words, trailing=TRAILING_NAME_WORDS))
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
    if len(words) > 1 and words[0].lower() in ADDED_NAME_PREFIXES:
        words = words[1:]
    if len(words) > 1 and words[0].lower() in ADDED_NAME_NOUNS:
        words = words[1:]
    if len(words) > 1 and words[0].lower() in ADDED_NAME_LINKS:
        words = words[1:]
    return words


def _words_clean(words: list[str], *, trailing: frozenset[str] = frozenset()) -> list[str]:
    words = [word for word in (w.strip("\"'`()[]{}") for w in words) if word]
    while words and words[-1].lower() in trailing:
        words = words[:-1]
    if words and words[0].lower() in DETERMINERS:
        words = words[1:]
    elif len(words) > 1 and words[0].lower() in POSSESSIVES:
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
    """"name: drill, where: shelf B, event: moved", "add hammer where: workshop" or
    "new product: safety goggles at station 3" (a verb before the labels sets the event)."""
    labels = list(LABEL.finditer(sentence))
    free_text = sentence[: labels[0].start()].strip(EDGE_PUNCTUATION)
    values: dict[str, str] = {}
    for label, following in zip(labels, labels[1:] + [None]):
        end = following.start() if following else len(sentence)
        key = label.group("key").lower()
        kind = ("name" if key in NAME_LABELS
                else "location" if key in LOCATION_LABELS else "event")
        value = re.sub(r"[,;]", " ", sentence[label.end():end])
        values[kind] = product_name_clean(value).strip(EDGE_PUNCTUATION)
    location = values.get("location", "")
    spoken_event = _lead_verb_event(free_text)
    if spoken_event is not None:
        free_text = ""
    if "name" not in values and not free_text:
        return _command_build([], location.split() or None, spoken_event or MOVED)
    if "name" not in values:
        joined = f"{free_text} to {location}" if location else free_text
        return _sentence_parse(joined)
    event_type = _event_word_parse(values.get("event", "")) or spoken_event or MOVED
    name_words, location_words = values["name"].split(), location.split() or None
    # "product: goggles at station 3": the place said inside the name, as in a sentence.
    # Only where the old reading was refused for want of a place or was never given.
    if location_words is None and (spoken_event is not None or event_type in EVENT_TYPES_NEEDING_LOCATION):
        if event_type == REMOVED:
            name_words = _from_phrase_drop(name_words)
        else:
            name_words, location_words = _name_location_split(name_words)
    return _command_build(name_words, location_words, event_type)


def _lead_verb_event(free_text: str) -> str | None:
    """The event of a verb standing alone before the labels ("new", "add a new", "check out")."""
    tokens = re.sub(r"[,;:]", " ", free_text).split()
    length, verb = _verb_find(tokens)
    if verb is None:
        return None
    rest, event_type = tokens[length:], verb.event_type
    if rest and verb.particle_event(rest[0]):
        rest, event_type = rest[1:], verb.particle_event(rest[0])
    if any(word.lower() not in LABEL_LEAD_WORDS for word in rest):
        return None
    return event_type


def _event_word_parse(text: str) -> str | None:
    """EVENT_WORDS' event for an "event:" label's value; None when there is none."""
    event_word = text.lower().replace(" ", "_")
    event_type = EVENT_WORDS.get(event_word) or EVENT_WORDS.get(event_word.split("_")[0])
    if event_type is None and event_word:
        raise CommandNotUnderstood(
            ["event_type"],
            f"Unknown event “{text}”: use one of {', '.join(EVENT_TYPES)}, "
            f"for example “name: drill, where: shelf B, event: moved”.",
            "name: drill, where: shelf B, event: moved")
    return event_type
