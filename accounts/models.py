from typing import ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac

from macaron.models import TimeStampedModel
from macaron.sealed import SealedText
from macaron.timezones import AVAILABLE_TIME_ZONES

TIME_ZONE_CHOICES = [(tz, tz) for tz in AVAILABLE_TIME_ZONES]


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        display_name = fields.pop("display_name", "")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        if display_name:  # encrypted under the person's key, which needs their id
            user.display_name = display_name
            user.save(using=self._db, update_fields=["display_name_ct"])
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields):
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Logs in with their e-mail; the profile lives on the same row."""

    email = models.EmailField(unique=True)
    display_name_ct = models.BinaryField(null=True, editable=False)
    display_name = SealedText("display_name_ct", owner="pk")
    time_zone = models.CharField(max_length=64, default="UTC", choices=TIME_ZONE_CHOICES)
    preferred_language = models.CharField(max_length=8, default="en", choices=settings.LANGUAGES)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # Part of the session auth hash: raising it ends every session ("log out everywhere").
    session_epoch = models.PositiveIntegerField(default=0, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.email

    @property
    def name(self) -> str:
        return self.display_name or self.email.split("@")[0]

    def _get_session_auth_hash(self, secret=None):
        """Django's hash of the password, plus the session epoch: a session stays valid only
        while both are unchanged (checked on every request by django.contrib.auth). At epoch 0
        it is Django's own hash, so sessions from before the epoch existed stay valid."""
        if not self.session_epoch:
            return super()._get_session_auth_hash(secret=secret)  # type: ignore[misc]
        key_salt = "accounts.User.get_session_auth_hash"
        value = f"{self.password}:{self.session_epoch}"
        return salted_hmac(key_salt, value, secret=secret, algorithm="sha256").hexdigest()


class ApiToken(models.Model):
    """An API token. Only a SHA-256 digest of the secret is stored; the secret is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name_ct = models.BinaryField(null=True, editable=False)
    name = SealedText("name_ct")
    digest = models.CharField(max_length=64, unique=True)  # hex SHA-256 of the whole secret
    prefix = models.CharField(max_length=12)  # the secret's first characters, to tell tokens apart
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    step_up_at = models.DateTimeField(null=True, blank=True)  # last password re-entry

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"], name="apitoken_user_created")]

    def __str__(self) -> str:  # never the secret, its digest or its prefix (admin pages show this)
        return f"API token #{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class Companion(TimeStampedModel):
    """The person's companion: born from the personality test, renamed at will."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="companion"
    )
    name_ct = models.BinaryField(null=True, editable=False)
    name = SealedText("name_ct")
    colour = models.CharField(max_length=7)  # "#rrggbb"
    traits = ArrayField(models.CharField(max_length=24), default=list)
    personality_code = models.CharField(max_length=80)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(colour__regex=r"^#[0-9a-f]{6}$"), name="companion_colour_hex"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Onboarding(TimeStampedModel):
    """Where a person is in onboarding. Answers hold option ids only, never free text."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="onboarding"
    )
    answers = models.JSONField(default=dict, blank=True)  # question id -> option id
    interests = ArrayField(models.CharField(max_length=24), default=list, blank=True)
    welcome_gift = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    skipped_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # memory.Conversation's id; a plain integer so accounts never depends on memory's models.
    first_conversation_id = models.BigIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"onboarding of user {self.user_id}"


class ErasureRequest(TimeStampedModel):
    """A request to erase a person: made by the person (deleting their account, carried out
    by the beat job once `due_at` passes) or by staff with a reason (carried out when staff
    execute it). The row outlives the account, keeping only ids, the reason and the outcome."""

    class Origin(models.TextChoices):
        PERSON = "person", "the person"
        STAFF = "staff", "staff"

    class State(models.TextChoices):
        PENDING = "pending"
        CANCELLED = "cancelled"
        DONE = "done"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="erasure_requests",
    )
    subject_id = models.BigIntegerField(editable=False)  # the person's id, kept after erasure
    origin = models.CharField(max_length=8, choices=Origin.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=120)
    keep_published = models.BooleanField(default=False)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    due_at = models.DateTimeField(null=True, blank=True)  # person's requests: end of grace
    executed_at = models.DateTimeField(null=True, blank=True)
    executed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict, blank=True)  # rows each eraser removed: numbers only

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subject_id"],
                condition=Q(state="pending"),
                name="one_pending_erasure_per_person",
            )
        ]
        indexes = [models.Index(fields=["state", "due_at"], name="erasure_state_due")]

    def __str__(self) -> str:
        return f"erasure request #{self.pk} ({self.state})"
