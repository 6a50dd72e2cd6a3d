"""The sentence parser: what a person says to a phone in a warehouse, and what we record."""

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from products.names import product_name_normalise
from products.parser import (
    ADDED,
    CHECKED_IN,
    CHECKED_OUT,
    COMMAND_MAX_LENGTH,
    EVENT_TYPES,
    MOVED,
    REMOVED,
    CommandNotUnderstood,
    ParsedCommand,
    command_parse,
)

UNDERSTOOD = [
    # The sentences the issue names.
    ("add a cordless drill to garage shelf B", "cordless drill", "garage shelf B", ADDED),
    ("new product ladder at loading dock", "ladder", "loading dock", ADDED),
    ("move the drill to shelf B", "drill", "shelf B", MOVED),
    ("put the ladder in the van", "ladder", "van", MOVED),
    ("the drill is now in room 12", "drill", "room 12", MOVED),
    ("check out the projector", "projector", None, CHECKED_OUT),
    ("return the projector to the AV cupboard", "projector", "AV cupboard", CHECKED_IN),
    ("remove the broken chair", "broken chair", None, REMOVED),
    # Case, articles, punctuation and filler do not matter; names keep their case.
    ("Move The Drill To Shelf B.", "Drill", "Shelf B", MOVED),
    ("please move the drill to shelf B", "drill", "shelf B", MOVED),
    ("Okay, move the drill to shelf B!", "drill", "shelf B", MOVED),
    ("ok move the drill to shelf B please", "drill", "shelf B", MOVED),
    ("hey, can you put the ladder in the van?", "ladder", "van", MOVED),
    ("could you please check out the projector", "projector", None, CHECKED_OUT),
    ("  move   the Cordless   Drill to   shelf  B  ", "Cordless Drill", "shelf B", MOVED),
    ("move the drill, to shelf B, thanks", "drill", "shelf B", MOVED),
    ("“move the drill to shelf B”", "drill", "shelf B", MOVED),
    # Adding.
    ("register a new hammer in the workshop", "hammer", "workshop", ADDED),
    ("add new product called Ladder XL to dock 4", "Ladder XL", "dock 4", ADDED),
    ("added an angle grinder to the workshop", "angle grinder", "workshop", ADDED),
    ("new item pallet jack at bay 3", "pallet jack", "bay 3", ADDED),
    ("we got a new hammer in the workshop", "hammer", "workshop", ADDED),
    ("there's a new ladder at the loading dock", "ladder", "loading dock", ADDED),
    ("the label printer arrived at reception", "label printer", "reception", ADDED),
    # Moving.
    ("move drill to B", "drill", "B", MOVED),
    ("drill to shelf B", "drill", "shelf B", MOVED),
    ("drill -> shelf B", "drill", "shelf B", MOVED),
    ("the ladder goes in the van", "ladder", "van", MOVED),
    ("put away the drill in shelf A", "drill", "shelf A", MOVED),
    ("put the drill away in shelf A", "drill", "shelf A", MOVED),
    ("the drill's now in room 12", "drill", "room 12", MOVED),
    ("drill now in room 12", "drill", "room 12", MOVED),
    ("the drill has been moved to shelf B", "drill", "shelf B", MOVED),
    ("the drill belongs on shelf A", "drill", "shelf A", MOVED),
    ("move the drill from the garage to shelf B", "drill", "shelf B", MOVED),
    ("move the stand on wheels to room 3", "stand on wheels", "room 3", MOVED),
    ("put the ladder under the stairs", "ladder", "under the stairs", MOVED),
    ("the ladder is next to the door", "ladder", "next to the door", MOVED),
    ("place the box of screws on shelf C", "box of screws", "shelf C", MOVED),
    ("store the tent in the loft", "tent", "loft", MOVED),
    ("take the ladder to the van", "ladder", "van", MOVED),
    ("move the drill back to the garage", "drill", "garage", MOVED),
    ("Transfer Anna's toolbox into bay 7", "Anna's toolbox", "bay 7", MOVED),
    # Checking out and in.
    ("take the projector out", "projector", None, CHECKED_OUT),
    ("take out the projector", "projector", None, CHECKED_OUT),
    ("check the projector out", "projector", None, CHECKED_OUT),
    ("checkout the projector", "projector", None, CHECKED_OUT),
    ("sign out the van keys to Anna", "van keys", "Anna", CHECKED_OUT),
    ("lend the drill to Bob", "drill", "Bob", CHECKED_OUT),
    ("borrow the projector", "projector", None, CHECKED_OUT),
    ("the projector is checked out to room 5", "projector", "room 5", CHECKED_OUT),
    ("check the projector in at AV cupboard", "projector", "AV cupboard", CHECKED_IN),
    ("check in the projector at the AV cupboard", "projector", "AV cupboard", CHECKED_IN),
    ("bring the drill back to the garage", "drill", "garage", CHECKED_IN),
    ("bring back the drill", "drill", None, CHECKED_IN),
    ("put the drill back", "drill", None, CHECKED_IN),
    ("return the projector", "projector", None, CHECKED_IN),
    ("the drill is back in the garage", "drill", "garage", CHECKED_IN),
    ("the projector has been returned", "projector", None, CHECKED_IN),
    ("hand the projector in", "projector", None, CHECKED_IN),
    # Removing.
    ("delete the chair", "chair", None, REMOVED),
    ("discard the broken chair", "broken chair", None, REMOVED),
    ("throw away the chair", "chair", None, REMOVED),
    ("throw the chair away", "chair", None, REMOVED),
    ("get rid of the old monitor", "old monitor", None, REMOVED),
    ("remove the chair from room 5", "chair", None, REMOVED),
    ("the chair needs to be thrown away", "chair", None, REMOVED),
    ("scrap the printer", "printer", None, REMOVED),
    # Labelled parts.
    ("drill where: shelf B", "drill", "shelf B", MOVED),
    ("add hammer, where: workshop", "hammer", "workshop", ADDED),
    ("name: Drill, where: shelf B, event: checked out", "Drill", "shelf B", CHECKED_OUT),
    ("product: ladder; location: van", "ladder", "van", MOVED),
]


@pytest.mark.parametrize(("text", "name", "location", "event_type"), UNDERSTOOD)
def test_sentence_is_understood(text, name, location, event_type):
    assert command_parse(text=text) == ParsedCommand(
        name=name, location=location, event_type=event_type)


LABELLED_AND_COLON_FORMS = [
    # The sentence, and what operators write on a phone or a scanner's keypad.
    ("new product: safety goggles at station 3", "safety goggles", "station 3", ADDED),
    ("new product: safety goggles, location: station 3", "safety goggles", "station 3", ADDED),
    ("add a new product: safety goggles to station 3", "safety goggles", "station 3", ADDED),
    ("new item: pallet jack, where: bay 3", "pallet jack", "bay 3", ADDED),
    ("product: safety goggles, location: station 3", "safety goggles", "station 3", MOVED),
    ("Product: Safety Goggles - Location: Station 3", "Safety Goggles", "Station 3", MOVED),
    ("product: goggles at station 3", "goggles", "station 3", MOVED),
    ("product: drill, to: shelf B", "drill", "shelf B", MOVED),
    ("item: drill; at: shelf B", "drill", "shelf B", MOVED),
    ("product: drill, destination: bay 7", "drill", "bay 7", MOVED),
    ("move product: drill to shelf B", "drill", "shelf B", MOVED),
    ("remove product: broken chair", "broken chair", None, REMOVED),
    ("check out product: projector", "projector", None, CHECKED_OUT),
    ("product: drill, location: shelf B, type: added", "drill", "shelf B", ADDED),
    ("product: drill, location: shelf B, status: checked out", "drill", "shelf B", CHECKED_OUT),
    ("product: drill, location: shelf B, event type: returned", "drill", "shelf B", CHECKED_IN),
    # A colon after the verb.
    ("add: safety goggles at station 3", "safety goggles", "station 3", ADDED),
    ("new: pallet jack at bay 3", "pallet jack", "bay 3", ADDED),
    ("move: drill to shelf B", "drill", "shelf B", MOVED),
    ("moved: drill -> shelf B", "drill", "shelf B", MOVED),
    ("move: drill, to: shelf B", "drill", "shelf B", MOVED),
    ("remove: broken chair", "broken chair", None, REMOVED),
    ("check out: projector", "projector", None, CHECKED_OUT),
    ("return: projector to AV cupboard", "projector", "AV cupboard", CHECKED_IN),
    # A trailing "please" (or thanks) after any of them.
    ("new product: safety goggles at station 3 please", "safety goggles", "station 3", ADDED),
    ("product: safety goggles, location: station 3, please.", "safety goggles", "station 3", MOVED),
    ("add: safety goggles to station 3 please", "safety goggles", "station 3", ADDED),
    ("please add product: goggles at station 3, thanks", "goggles", "station 3", ADDED),
]


@pytest.mark.parametrize(("text", "name", "location", "event_type"), LABELLED_AND_COLON_FORMS)
def test_labelled_and_colon_forms_are_understood(text, name, location, event_type):
    assert command_parse(text=text) == ParsedCommand(
        name=name, location=location, event_type=event_type)


def test_the_table_covers_every_event_type_with_enough_phrasings():
    assert len(UNDERSTOOD) >= 40
    assert {row[3] for row in UNDERSTOOD} == set(EVENT_TYPES)


NOT_UNDERSTOOD = [
    ("move the drill", ["location"], "move the drill to shelf B"),
    ("add a hammer", ["location"], "add the hammer to shelf B"),
    ("put away the drill", ["location"], "move the drill to shelf B"),
    ("move to shelf B", ["name"], "move the drill to shelf B"),
    ("move the to shelf B", ["name"], "move the drill to shelf B"),
    ("move", ["name", "location"], "move the drill to shelf B"),
    ("remove", ["name"], "remove the broken chair"),
    ("check out", ["name"], "check out the projector"),
    ("where: shelf B", ["name"], "move the drill to shelf B"),
    ("check the projector", ["event_type"], "check out the projector"),
    ("hello", ["event_type"], "move the drill to shelf B"),
    ("where is the drill", ["event_type"], "move the drill to shelf B"),
    ("", ["event_type", "name"], "move the drill to shelf B"),
    ("please, okay.", ["event_type", "name"], "move the drill to shelf B"),
    ("name: drill, where: shelf B, event: sold", ["event_type"],
     "name: drill, where: shelf B, event: moved"),
]


@pytest.mark.parametrize(("text", "missing", "example"), NOT_UNDERSTOOD)
def test_sentence_not_understood_says_what_is_missing_with_an_example(text, missing, example):
    with pytest.raises(CommandNotUnderstood) as raised:
        command_parse(text=text)
    assert raised.value.missing == missing
    assert raised.value.example == example
    assert example in raised.value.message


def test_missing_location_message_names_the_product_and_the_missing_part():
    with pytest.raises(CommandNotUnderstood) as raised:
        command_parse(text="move the Cordless Drill")
    assert str(raised.value) == (
        "Missing the location: where is the Cordless Drill now? "
        "Say the place too, for example “move the Cordless Drill to shelf B”.")


def test_an_overlong_sentence_is_refused_before_parsing():
    with pytest.raises(CommandNotUnderstood) as raised:
        command_parse(text="move the drill to shelf B " * 30)
    assert raised.value.missing == ["text"]
    assert str(COMMAND_MAX_LENGTH) in raised.value.message


def test_phrasings_of_one_product_name_normalise_to_the_same_key():
    spoken = command_parse(text="move the Cordless   Drill to shelf B").name
    typed = command_parse(text="add a cordless drill to garage shelf B").name
    assert spoken != typed
    assert product_name_normalise(spoken) == product_name_normalise(typed) == "cordless drill"


@settings(max_examples=500, deadline=None)
@given(st.text())
@example("")
@example("to")
@example("move ' to '")
@example("check 'out")
@example("name: , where: ")
@example("the 's now in x")
def test_any_text_is_parsed_or_refused_with_a_reason(text):
    _assert_parsed_or_refused_with_a_reason(text)


_WORDS = st.sampled_from(
    "move put the a to in at on check out in back away remove add new drill shelf B "
    "is now goes from where: name: please , . 's returned van".split())


@settings(max_examples=500, deadline=None)
@given(st.lists(_WORDS, max_size=10).map(" ".join))
def test_sentences_of_grammar_words_are_parsed_or_refused_with_a_reason(text):
    _assert_parsed_or_refused_with_a_reason(text)


def _assert_parsed_or_refused_with_a_reason(text):
    try:
        parsed = command_parse(text=text)
    except CommandNotUnderstood as refused:
        assert refused.missing and refused.message and refused.example
        return
    assert parsed.name.strip() and parsed.name == " ".join(parsed.name.split())
    assert parsed.event_type in EVENT_TYPES
    assert parsed.location is None or parsed.location.strip()



_NAME_WORDS = st.lists(st.sampled_from(
    "safety goggles drill Ladder XL box of screws cordless pallet jack 2000 A4 hi-vis vest".split()),
    min_size=1, max_size=4).map(" ".join)
_PLACE_WORDS = st.lists(st.sampled_from("station 3 shelf B bay 7 garage dock room 12 AV cupboard".split()),
                        min_size=1, max_size=3).map(" ".join)
_SEPARATORS = st.sampled_from([", ", "; ", " - ", " ", ",  "])
_TRAILERS = st.sampled_from(["", " please", ", please", " please.", ", thanks", "!"])


@settings(max_examples=300, deadline=None)
@given(_NAME_WORDS, _PLACE_WORDS, _SEPARATORS, _TRAILERS,
       st.sampled_from(["product", "Product", "item", "name"]),
       st.sampled_from(["location", "Location", "where", "to", "at", "place"]))
def test_any_labelled_product_and_location_are_read_back(name, place, separator, trailer, name_label, place_label):
    text = f"{name_label}: {name}{separator}{place_label}: {place}{trailer}"
    assert command_parse(text=text) == ParsedCommand(name=name, location=place, event_type=MOVED)
    swapped = f"{place_label}: {place}{separator}{name_label}: {name}{trailer}"
    assert command_parse(text=swapped) == ParsedCommand(name=name, location=place, event_type=MOVED)


@settings(max_examples=300, deadline=None)
@given(_NAME_WORDS, _PLACE_WORDS, _TRAILERS,
       st.sampled_from([("new", ADDED), ("add", ADDED), ("add a new", ADDED), ("move", MOVED),
                        ("put", MOVED), ("return", CHECKED_IN)]),
       st.sampled_from(["to", "at", "in", "into"]))
def test_a_verb_before_a_label_or_a_colon_reads_like_the_sentence(name, place, trailer, verb, preposition):
    word, event_type = verb
    sentence = command_parse(text=f"{word} the {name} {preposition} {place}")
    assert sentence == ParsedCommand(name=name, location=place, event_type=event_type)
    assert command_parse(text=f"{word} product: {name} {preposition} {place}{trailer}") == sentence
    assert command_parse(text=f"{word}: {name} {preposition} {place}{trailer}") == sentence


@settings(max_examples=500, deadline=None)
@given(st.lists(_WORDS, max_size=10).map(" ".join), st.sampled_from([" please", ", please", " please.", " pls"]))
def test_a_trailing_please_changes_nothing(text, please):
    assert _outcome(text + please) == _outcome(text)


def _outcome(text):
    try:
        return command_parse(text=text)
    except CommandNotUnderstood as refused:
        return refused.missing
