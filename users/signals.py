from django.db.models.signals import post_save
from django.dispatch import receiver

from users.models import Profile, User


@receiver(post_save, sender=User)
def profile_create_for_new_user(sender, instance: User, created: bool, **kwargs) -> None:
    # A signal rather than a service: users made by createsuperuser and the admin need one too.
    if created:
        Profile.objects.get_or_create(user=instance, defaults={"display_name": instance.get_full_name()})
