from django import forms

from products.models import (
    LOCATION_MAX_LENGTH,
    NAME_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    ProductEventSource,
    ProductEventType,
)


class ProductEventForm(forms.Form):
    name = forms.CharField(
        max_length=NAME_MAX_LENGTH,
        widget=forms.TextInput(attrs={"list": "product-names", "autocomplete": "off"}))
    location = forms.CharField(
        max_length=LOCATION_MAX_LENGTH, required=False,
        help_text="Needed when a product is added or moved.",
        widget=forms.TextInput(attrs={"list": "product-locations", "autocomplete": "off"}))
    event_type = forms.ChoiceField(label="What happened", choices=ProductEventType.choices,
                                   initial=ProductEventType.MOVED)
    note = forms.CharField(max_length=NOTE_MAX_LENGTH, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))
    # Set by the page's script when the fields were filled from a typed or spoken sentence.
    source = forms.ChoiceField(
        choices=[(value, label) for value, label in ProductEventSource.choices
                 if value != ProductEventSource.API],
        initial=ProductEventSource.FORM, widget=forms.HiddenInput)
