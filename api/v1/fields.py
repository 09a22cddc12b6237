"""Serializer building blocks shared by the v1 resources."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from b2cportal.validators import validate_xml_text


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know, so a typo in an ERP's field name is an error, not lost."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(set(data) - writable)
            if unknown:
                raise serializers.ValidationError(
                    {name: [_("Unknown field.")] for name in unknown}, code="unknown_field"
                )
        return super().to_internal_value(data)


def text(max_length: int, **kwargs) -> serializers.CharField:
    """A text input that must fit in an e-invoice (no XML-illegal characters)."""
    kwargs.setdefault("required", False)
    kwargs.setdefault("allow_blank", not kwargs["required"])
    return serializers.CharField(max_length=max_length, validators=[validate_xml_text], **kwargs)


class LabelledChoiceField(serializers.ChoiceField):
    """Accepts the code; documents the choices with their labels."""
