"""The console's campaign forms (Flask-WTF: each carries and checks its CSRF token).

The forms check only what a person can get wrong while typing (a missing
title, a date that is no date); the rules of a campaign or a schedule stay in
the services, whose errors the pages show next to these fields.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    ColorField,
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from channels import REGISTRY
from channels.spec import ChannelSpec
from web.forms import image_file_field
from web.i18n import current_language

LOCAL_TIME = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends
RULE_TYPES = [SelectChoice("percent", _l("Percent of the price")), SelectChoice("fixed", _l("Fixed amount"))]
LANGUAGES = [SelectChoice("zh-CN", _l("Chinese (simplified)")), SelectChoice("en", _l("English"))]
LOOK_CHOICES = [SelectChoice("clean", _l("Clean")), SelectChoice("bold_price", _l("Bold price")),
                SelectChoice("festive", _l("Festive promotion"))]


def channel_name(spec: ChannelSpec) -> str:
    """What the channel is called in the page's language."""
    return spec.name_zh if current_language() == "zh_CN" else spec.name


def channel_label(channel_id: str) -> str:
    """A channel id's name in the page's language (the id itself for a channel no longer registered)."""
    return channel_name(REGISTRY[channel_id].spec) if channel_id in REGISTRY else channel_id


def channel_choices() -> list[tuple[str, str]]:
    return [SelectChoice(channel_id, channel_name(channel.spec)) for channel_id, channel in REGISTRY.items()]


class CampaignForm(FlaskForm):
    """The master content and rules of a campaign: one form for new and edit."""

    name = StringField(_l("Campaign name"), validators=[DataRequired(), Length(max=200)])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=500)])
    body = TextAreaField(_l("Text"), validators=[DataRequired(), Length(max=20_000)])
    hashtags = StringField(_l("Hashtags"), validators=[Length(max=3000)])
    price = StringField(_l("Price"), validators=[DataRequired(), Length(max=20)],
                        render_kw={"inputmode": "decimal", "autocomplete": "off"})
    original_price = StringField(_l("Original price"), validators=[Optional(), Length(max=20)],
                                 render_kw={"inputmode": "decimal", "autocomplete": "off"})
    currency = StringField(_l("Currency"), validators=[DataRequired(), Length(min=3, max=3)],
                           render_kw={"autocapitalize": "characters", "autocomplete": "off", "maxlength": 3})
    landing_url = URLField(_l("Product page"), validators=[DataRequired(), Length(max=2000)],
                           render_kw={"placeholder": "https://"})
    call_to_action = StringField(_l("Call to action"), validators=[Length(max=200)])
    channels = SelectMultipleField(_l("Channels"), choices=channel_choices, widget=ListWidget(prefix_label=False),
                                   option_widget=CheckboxInput(),
                                   validators=[DataRequired(_l("Choose at least one channel."))])
    commission_type = SelectField(_l("Commission"), choices=RULE_TYPES)
    commission_value = StringField(_l("Commission value"), validators=[DataRequired(), Length(max=20)],
                                   render_kw={"inputmode": "decimal", "autocomplete": "off"})
    invite_type = SelectField(_l("Invite bonus"), choices=[SelectChoice("", _l("No invite bonus")), *RULE_TYPES])
    invite_value = StringField(_l("Invite bonus value"), validators=[Length(max=20)],
                               render_kw={"inputmode": "decimal", "autocomplete": "off"})
    attribution_window_days = IntegerField(_l("Attribution window (days)"), default=30,
                                           validators=[InputRequired(), NumberRange(1, 365)],
                                           render_kw={"inputmode": "numeric", "min": 1, "max": 365})
    starts_at = DateTimeLocalField(_l("Starts"), format=LOCAL_TIME, validators=[Optional()])
    ends_at = DateTimeLocalField(_l("Ends"), format=LOCAL_TIME, validators=[Optional()])
    brand_name = StringField(_l("Brand name"), validators=[Length(max=100)])
    brand_color = ColorField(_l("Brand colour"), default="#C8102E", validators=[DataRequired(), Length(max=7)])
    language = SelectField(_l("Language of the posts"), choices=LANGUAGES, default="zh-CN")
    look = SelectField(_l("Poster look"), choices=LOOK_CHOICES, default="clean")
    # Choices are the workspace's templates (web/console/campaigns.py); the service checks the id.
    template_id = SelectField(_l("Poster template"), choices=[], default="", validate_choice=False)
    badges = StringField(_l("Badges"), validators=[Length(max=60)], render_kw={"autocomplete": "off"})
    seller_opener = StringField(_l("Sellers' opening line"), validators=[Length(max=200)])

    def validate_invite_value(self, field) -> None:
        if self.invite_type.data and not (field.data or "").strip():
            raise ValidationError(_l("Give the invite bonus's value, or choose no invite bonus."))


class ImageForm(FlaskForm):
    file = image_file_field(_l("Image file"))
    role = SelectField(_l("Use it as"), choices=[SelectChoice("product", _l("Product photo")),
                                                  SelectChoice("logo", _l("Brand logo"))])


class ScheduleForm(FlaskForm):
    """Publish the chosen channels at one time, or each at its next free posting time."""

    channels = SelectMultipleField(_l("Channels"), widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
                                   validators=[DataRequired(_l("Choose at least one channel."))])
    when = RadioField(_l("When"), default="time", choices=[SelectChoice("time", _l("At a date and time")),
                                                           SelectChoice("slot", _l("At the next free posting time"))])
    publish_at = DateTimeLocalField(_l("Date and time"), format=LOCAL_TIME, validators=[Optional()])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.when.data == "time" and self.publish_at.data is None and not self.publish_at.errors:
            self.publish_at.errors = [*self.publish_at.errors, _l("Give the date and time to publish at.")]
            return False
        return valid


class SlotsForm(FlaskForm):
    slots = StringField(_l("Posting times"), validators=[Length(max=48 * 6)],
                        render_kw={"placeholder": "09:00, 12:30, 20:00", "autocomplete": "off"})


class SalesImportForm(FlaskForm):
    """A CSV file of past sales and refunds (the columns of ``POST /api/v1/conversions/import``)."""

    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose a CSV file."))],
                     render_kw={"accept": ".csv,text/csv"})
    dry_run = BooleanField(_l("Dry run: show what would be credited, keep nothing"), default=True)


class SharerImportForm(FlaskForm):
    """A CSV file of sharers (the columns of ``POST /api/v1/sharers/import``)."""

    file = SalesImportForm.file
    dry_run = BooleanField(_l("Dry run: show who would be added, keep nothing"), default=True)
    invite = BooleanField(_l("Email each new sharer with an email address an invitation link (7 days)"),
                          default=True)
