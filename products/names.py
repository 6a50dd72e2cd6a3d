"""Product names as people type and say them, and the key that makes them unique."""


def product_name_clean(name: str) -> str:
    """The name as spoken or typed, with runs of whitespace collapsed to one space."""
    return " ".join(name.split())


def product_name_normalise(name: str) -> str:
    """The uniqueness key: "Cordless  Drill" and "cordless drill" are the same product."""
    return product_name_clean(name).casefold()
