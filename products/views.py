from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from products.forms import ProductEventForm
from products.selectors import (
    product_get,
    product_list,
    product_location_list,
    product_name_suggestions,
)
from products.services import product_event_record

PAGE_SIZE = 50


@login_required
def product_list_page(request):
    search = request.GET.get("q", "")
    location = request.GET.get("location", "")
    products = product_list(search=search, location=location)
    return render(request, "products/list.html", {
        "page": Paginator(products, PAGE_SIZE).get_page(request.GET.get("page")),
        "search": search,
        "location": location,
        "locations": product_location_list(),
    })


@login_required
def product_detail_page(request, product_id: int):
    return render(request, "products/detail.html",
                  {"product": product_get(product_id=product_id)})


@login_required
def product_event_page(request):
    """A form, plus a sentence box whose parse (by the commands API) fills the form."""
    if request.method == "POST":
        form = ProductEventForm(request.POST)
        if form.is_valid():
            try:
                recorded = product_event_record(user=request.user, **form.cleaned_data)
            except ValidationError as error:
                for field, field_messages in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, field_messages)
            else:
                messages.success(request, recorded.message)
                return redirect("products:detail", product_id=recorded.product.pk)
        messages.error(request, "Nothing was recorded: " + _first_error(form))
    else:
        form = ProductEventForm(initial={
            key: request.GET[key] for key in ("name", "location", "event_type")
            if key in request.GET})
    return render(request, "products/new_event.html", {
        "form": form,
        "names": product_name_suggestions(),
        "locations": product_location_list(),
    })


def _first_error(form: ProductEventForm) -> str:
    field, errors = next(iter(form.errors.items()))
    if field not in form.fields:
        return errors[0]
    label = form.fields[field].label or field.replace("_", " ").capitalize()
    return f"{label}: {errors[0]}"
