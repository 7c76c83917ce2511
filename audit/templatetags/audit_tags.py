"""`{% record_link entry %}`: the hash of a record entry, linked to its public verification page."""

from django import template

register = template.Library()


@register.inclusion_tag("audit/includes/record_link.html")
def record_link(entry):
    """Published pages show this next to the fact they publish (a signature, a tally); empty for None."""
    return {"entry": entry}
