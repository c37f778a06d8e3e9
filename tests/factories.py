import factory

from accounts.models import User

PASSWORD = "correct-horse-battery-9"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def display_name(obj, create, extracted, **kwargs):
        # Encrypted under the person's key, so set once the row has its id.
        if create:
            obj.display_name = f"Person {obj.pk}" if extracted is None else extracted

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()
