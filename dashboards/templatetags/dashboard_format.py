import json

from django import template

register = template.Library()


@register.filter
def compact_json(value) -> str:
    """A command's params or reply as one line of JSON; an empty one as a dash."""
    if value in (None, {}, []):
        return "—"
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
