"""The words the sentence parser knows: verbs and their particles, prepositions, filler,
labels, and the name-first sentence shapes. Data only; products/parser.py holds the rules.
This module must stay free of Django, like the parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ADDED = "added"
MOVED = "moved"
CHECKED_OUT = "checked_out"
CHECKED_IN = "checked_in"
REMOVED = "removed"
EVENT_TYPES = (ADDED, MOVED, CHECKED_OUT, CHECKED_IN, REMOVED)

# Events that say where the product now is; the others may name a place but need not.
EVENT_TYPES_NEEDING_LOCATION = frozenset({ADDED, MOVED})


@dataclass(frozen=True)
class Verb:
    # None when only a particle decides: "check the projector out" / "... in".
    event_type: str | None
    particles: tuple[tuple[str, str], ...] = ()

    def particle_event(self, word: str) -> str | None:
        return dict(self.particles).get(word.lower())


BACK_IS_RETURN = (("back", CHECKED_IN),)
BACK_IS_MOVE = (("back", MOVED), ("over", MOVED))
IN_OR_OUT = (("out", CHECKED_OUT), ("in", CHECKED_IN))
AWAY_OR_OUT = (("away", REMOVED), ("out", REMOVED))


def verbs_of(event_type: str | None, words: str, particles: tuple = ()) -> dict:
    return {tuple(phrase.split()): Verb(event_type, particles) for phrase in words.split(",")}


VERBS: dict[tuple[str, ...], Verb] = {
    **verbs_of(ADDED, "add,added,register,registered,create,created,enter,entered,record,"
                    "recorded,stock,stocked,receive,received,new,log,logged"),
    **verbs_of(MOVED, "move,moved,shift,shifted,relocate,relocated,transfer,transferred,"
                    "move over", BACK_IS_MOVE),
    **verbs_of(MOVED, "place,placed,store,stored,stash,stashed,stow,stowed,park,parked,"
                    "hang,hung,leave,drop,dropped,drop off,dropped off", BACK_IS_RETURN),
    **verbs_of(MOVED, "put", (("away", MOVED), ("back", CHECKED_IN))),
    **verbs_of(MOVED, "take,took", (("out", CHECKED_OUT), ("back", CHECKED_IN))),
    **verbs_of(MOVED, "bring,brought,carry,carried,send,sent", BACK_IS_RETURN),
    **verbs_of(None, "check,checked,sign,signed,book,booked", IN_OR_OUT),
    **verbs_of(CHECKED_OUT, "checkout,check-out,borrow,borrowed,lend,lent,loan,loaned,"
                          "lend out,loan out,hire out,give,gave", BACK_IS_RETURN),
    **verbs_of(CHECKED_OUT, "hand,handed", (("in", CHECKED_IN), ("back", CHECKED_IN),
                                          ("out", CHECKED_OUT), ("over", CHECKED_OUT))),
    **verbs_of(CHECKED_IN, "checkin,check-in,return,returned,turn in,turned in,restock,"
                         "restocked"),
    **verbs_of(REMOVED, "remove,removed,delete,deleted,discard,discarded,trash,trashed,bin,"
                      "binned,scrap,scrapped,junk,junked,dump,dumped,destroy,destroyed,"
                      "retire,retired,decommission,decommissioned,dispose of,disposed of,"
                      "get rid of,got rid of,write off,wrote off,toss,tossed", AWAY_OR_OUT),
    **verbs_of(None, "throw,threw,chuck,chucked", AWAY_OR_OUT),
}
VERB_PHRASES = sorted(VERBS, key=len, reverse=True)

# Prepositions that end the name and start the place. "Toward" ones win over "at" ones,
# so that "move the stand on wheels to room 3" keeps "stand on wheels" whole.
TOWARD = tuple(p.split() for p in (
    "to,into,onto,in to,on to,over to,back to,up to,down to,across to,out to,->,=>".split(",")))
AT = tuple(p.split() for p in "in,at,on,inside,within".split(","))
# These stay part of the location: "put the ladder under the stairs".
RELATIVE = tuple(p.split() for p in (
    "next to,close to,in front of,on top of,under,underneath,beneath,behind,beside,near,"
    "above,below,outside,opposite,between,against".split(",")))
FROM = "from"

DETERMINERS = frozenset("a an the".split())
# Dropped only when something follows: "lend the drill to her" keeps "her".
POSSESSIVES = frozenset("my our your his her their its this that these those some".split())
ADDED_NAME_PREFIXES = ("new", "another")
ADDED_NAME_NOUNS = frozenset("product item thing".split())
ADDED_NAME_LINKS = frozenset("called named".split())
TRAILING_NAME_WORDS = frozenset("is are was now".split())
QUESTION_WORDS = frozenset(
    "where what who how why when which is are do does did can could should would will"
    .split())

FILLER_WORDS = (
    r"please|pls|plz|kindly|okay|ok|hey|hi|so|and|then|now|um+|uh+|erm?|hmm+|"
    r"alright|all right|yes|yeah|can you|could you|would you|will you|can we|could we|"
    r"can i|could i|i want to|i wanna|i'd like to|i would like to|i need to|we need to|"
    r"i have to|we have to|let's|lets|let us|go ahead and|just|quickly"
)
LEADING_FILLER = re.compile(rf"^(?:(?:{FILLER_WORDS})(?:\s*[,:;.!]+\s*|\s+|$))+", re.I)
TRAILING_FILLER = re.compile(
    r"(?:[\s,;:.!]+(?:please|pls|plz|thanks|thank you(?: very much)?|thx|cheers|okay|ok|"
    r"now|right now|for me|if you can|would you|will you|could you))+$", re.I)
PLEASE_ANYWHERE = re.compile(r"\b(?:please|kindly)\b", re.I)
EDGE_PUNCTUATION = " \t\n\"'`.,;:!?¡¿…-–—()[]{}"
TYPOGRAPHIC = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "→": "->"})

LABEL = re.compile(
    r"(?:^|[\s,;])(?P<key>name|what|product|item|where|location|loc|place|destination|dest|to|at|"
    r"event[\s_-]?type|event|action|type|status)\s*[:=]\s*", re.I)
NAME_LABELS = frozenset("name what product item".split())
LOCATION_LABELS = frozenset("where location loc place destination dest to at".split())
# Words that may follow a verb before a label: "add a new product: goggles at station 3".
LABEL_LEAD_WORDS = frozenset("a an the one another new".split())
EVENT_WORDS = {
    **dict.fromkeys("added add new register created create".split(), ADDED),
    **dict.fromkeys("moved move put".split(), MOVED),
    **dict.fromkeys("checked_out checked-out checkout out borrowed borrow".split(), CHECKED_OUT),
    **dict.fromkeys("checked_in checked-in checkin in returned return back".split(), CHECKED_IN),
    **dict.fromkeys("removed remove deleted delete discarded discard".split(), REMOVED),
}

NAME = r"(?P<name>.+?)"
LOCATION = r"(?P<location>.+)"
BE = r"(?:\s+(?:is|are|was|were|has\s+been|have\s+been|had\s+been|got|gets|just\s+got)|'s)"
MUST_BE = (r"(?:\s+(?:needs\s+to\s+be|need\s+to\s+be|should\s+be|can\s+be|has\s+to\s+be|"
            r"must\s+be|will\s+be|is\s+to\s+be))")
NAME_FIRST_RULES: tuple[tuple[re.Pattern, str], ...] = tuple(
    (re.compile(pattern, re.I), event_type) for pattern, event_type in (
        (rf"^{NAME}{BE}?(?:\s+now)?\s+(?:checked|signed|booked|taken|handed)\s+out"
         rf"(?:\s+(?:to|by|for|at|in)\s+{LOCATION})?$", CHECKED_OUT),
        (rf"^{NAME}{BE}?(?:\s+now)?\s+(?:borrowed|lent(?:\s+out)?|loaned(?:\s+out)?|on\s+loan)"
         rf"(?:\s+(?:to|by|for|at|in)\s+{LOCATION})?$", CHECKED_OUT),
        (rf"^{NAME}{BE}?(?:\s+now)?\s+(?:checked\s+in|signed\s+in|booked\s+in|returned|back|"
         rf"brought\s+back|put\s+back|came\s+back|come\s+back|handed\s+(?:in|back))"
         rf"(?:\s+(?:to|in|into|at|on|onto|inside)\s+{LOCATION})?$", CHECKED_IN),
        (rf"^{NAME}(?:{BE}|{MUST_BE})?\s+(?:removed|deleted|discarded|thrown\s+(?:away|out)|"
         rf"scrapped|trashed|binned|junked|dumped|disposed\s+of|written\s+off|retired|"
         rf"decommissioned|destroyed|gone)(?:\s+from\s+.+)?$", REMOVED),
        (rf"^{NAME}(?:\s+has)?\s+(?:arrived|been\s+delivered|was\s+delivered|got\s+delivered|"
         rf"came\s+in|is\s+new)\s+(?:at|in|to|on|into)\s+{LOCATION}$", ADDED),
        (rf"^{NAME}{BE}(?:\s+now)?(?:\s+(?:moved|located|stored|kept|placed|put|sitting|"
         rf"standing|going|lying|hanging))?\s+(?:in|at|on|to|into|onto|inside)\s+{LOCATION}$",
         MOVED),
        (rf"^{NAME}{BE}(?:\s+now)?\s+(?P<location>(?:under|underneath|beneath|behind|beside|"
         rf"near|above|below|outside|opposite|next\s+to|close\s+to|on\s+top\s+of|"
         rf"in\s+front\s+of)\s+.+)$", MOVED),
        (rf"^{NAME}\s+now(?:\s+(?:is|lives|sits|stays))?\s+(?:in|at|on|inside)\s+{LOCATION}$",
         MOVED),
        (rf"^{NAME}(?:\s+now)?\s+(?:goes|go|belongs|lives|stays|sits|went|moved|moves|"
         rf"should\s+go|has\s+to\s+go|needs\s+to\s+go|must\s+go|will\s+go|can\s+go|is\s+going|"
         rf"gets\s+moved|got\s+moved)(?:\s+back)?(?:\s+(?:to|in|into|on|at|onto|inside|"
         rf"over\s+to))?\s+{LOCATION}$", MOVED),
        (rf"^{NAME}\s*(?:->|=>)\s*{LOCATION}$", MOVED),
        (rf"^{NAME}\s+(?:to|into|onto)\s+{LOCATION}$", MOVED),
    )
)
# "we got a new hammer in the workshop", "there's a new ladder at the loading dock"
NEW_ARRIVAL = re.compile(
    r"^(?:we(?:'ve|\s+have)?\s+(?:got|have|received)|there(?:'s|\s+is)|here(?:'s|\s+is)|"
    r"i(?:'ve|\s+have)?\s+got|got)\s+(?:(?:a|an|one|another)\s+)?new\s+(?P<rest>.+)$", re.I)
