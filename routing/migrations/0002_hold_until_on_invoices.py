"""Held invoices carried English text in `delivery_status_detail`; move to structured data."""

from django.db import migrations


def forwards(apps, schema_editor):
    Delivery = apps.get_model("routing", "Delivery")
    Invoice = apps.get_model("invoices", "Invoice")
    for invoice_id, hold_until in Delivery.objects.filter(status="held").values_list(
        "invoice_id", "hold_until"
    ):
        Invoice.objects.filter(pk=invoice_id).update(delivery_status_until=hold_until)
    Invoice.objects.filter(delivery_status="awaiting_agreement").update(delivery_status_detail="")


class Migration(migrations.Migration):
    dependencies = [
        ("routing", "0001_initial"),
        ("invoices", "0004_delivery_status_until_and_actions"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
