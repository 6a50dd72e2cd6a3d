from django import forms
from django.contrib import admin

from products.models import Product, ProductEvent, ProductEventSource, ProductEventType
from products.selectors import product_find
from products.services import product_event_record


class ProductAdminForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = ["name", "location"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "location" in self.fields:
            self.fields["location"].required = True

    def clean_name(self):
        name = self.cleaned_data["name"]
        existing = product_find(name=name)
        if existing is not None and existing.pk != self.instance.pk:
            raise forms.ValidationError("A product with this name already exists.")
        return name


class ProductEventInline(admin.TabularInline):
    model = ProductEvent
    fields = ["created_at", "event_type", "location", "note", "source", "created_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    """Location and status change only through events, so that the history stays true."""

    list_display = ["name", "location", "status", "updated_at"]
    list_filter = ["status"]
    search_fields = ["name", "location"]
    readonly_fields = ["location", "status", "created_at", "updated_at"]
    inlines = [ProductEventInline]
    form = ProductAdminForm

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def get_fields(self, request, obj=None):
        return ["name", "location"] if obj is None else ["name", *self.readonly_fields]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        # A product added here gets its "added" event like any other.
        recorded = product_event_record(
            name=obj.name, location=obj.location, event_type=ProductEventType.ADDED,
            source=ProductEventSource.FORM, user=request.user)
        obj.pk = recorded.product.pk
        obj._state.adding = False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ProductEvent)
class ProductEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "product", "event_type", "location", "source", "created_by"]
    list_filter = ["event_type", "source"]
    search_fields = ["product__name", "location", "note"]
    list_select_related = ["product", "created_by"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
