from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from users.forms import AdminSignInForm
from users.models import Profile, User

admin.site.login_form = AdminSignInForm


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    fields = ["display_name", "timezone", "preferences"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [ProfileInline]
    list_display = ["username", "email", "display_name", "is_staff", "is_active", "last_login"]

    @admin.display(description="Display name")
    def display_name(self, user: User) -> str:
        return user.profile.display_name if hasattr(user, "profile") else ""

    def get_inline_instances(self, request, obj=None):
        # A new user gets its profile from the post_save signal; an inline on the add
        # form would try to create a second one.
        return super().get_inline_instances(request, obj) if obj is not None else []
