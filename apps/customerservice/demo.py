"""Demo data for customer service: customers across tiers, six knowledge-base
categories with realistic articles, a few inquiries and tickets, and the
"support" group (with the demo operator in it). Idempotent and fast."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from apps.customerservice import services
from apps.customerservice.models import Article, Customer, KnowledgeCategory
from apps.customerservice.selectors import SUPPORT_GROUP

CUSTOMERS = [
    ("CUST-1001", "Minji Kim", "minji.kim@example.com", "platinum"),
    ("CUST-1002", "Joon Park", "joon.park@example.com", "gold"),
    ("CUST-1003", "Sara Lee", "sara.lee@example.com", "silver"),
    ("CUST-1004", "Daniel Choi", "daniel.choi@example.com", "bronze"),
    ("CUST-1005", "Hana Jung", "hana.jung@example.com", "gold"),
    ("CUST-1006", "Tom Becker", "tom.becker@example.com", "bronze"),
    ("CUST-1007", "Yuna Han", "yuna.han@example.com", "silver"),
    ("CUST-1008", "Alex Moreno", "alex.moreno@example.com", "platinum"),
    ("CUST-1009", "Priya Nair", "priya.nair@example.com", "bronze"),
    ("CUST-1010", "Chris Yoon", "chris.yoon@example.com", "silver"),
]

CATEGORIES = [
    ("billing", "Billing & payments"),
    ("shipping", "Shipping & delivery"),
    ("returns", "Returns & exchanges"),
    ("technical", "Technical support"),
    ("account", "Account & security"),
    ("product", "Products & warranty"),
]

# category, title, tags, body
ARTICLES = [
    (
        "billing",
        "Refund policy",
        "refund, money back, policy",
        "We refund the full price of an unused item returned within 30 days of delivery. "
        "Refunds go back to the original payment method within 5-7 business days "
        "after the return is "
        "inspected. Shipping fees are refunded only when the item arrived damaged or wrong.",
    ),
    (
        "billing",
        "I was charged twice for one order",
        "double charge, duplicate, refund",
        "A duplicate charge is usually a temporary authorisation that your bank releases within "
        "3 business days. If both charges are still settled after that, send us the last four "
        "digits of the card and we will refund the duplicate immediately.",
    ),
    (
        "billing",
        "Accepted payment methods",
        "payment, credit card, bank transfer",
        "We accept Visa, Mastercard, American Express, bank transfer and invoices for business "
        "accounts. Cards are charged when the order ships, not when it is placed.",
    ),
    (
        "billing",
        "Downloading invoices and receipts",
        "invoice, receipt, vat",
        "Every order has a PDF invoice under Orders in your account. Business customers can add a "
        "VAT number in Billing settings; invoices issued after that show it.",
    ),
    (
        "billing",
        "Changing or cancelling a subscription",
        "subscription, cancel, plan",
        "Subscriptions can be changed or cancelled at any time from Billing settings. "
        "A cancellation takes effect at the end of the current billing period; "
        "no partial refunds are made.",
    ),
    (
        "shipping",
        "Shipping times and carriers",
        "delivery time, courier, shipping",
        "Orders placed before 2 pm ship the same business day. "
        "Standard delivery takes 2-4 business days, express delivery 1-2. "
        "We ship with CJ Logistics, Hanjin and DHL for international "
        "orders.",
    ),
    (
        "shipping",
        "My order never arrived",
        "lost package, missing, delivery",
        "If tracking shows delivered but the package never arrived, check with neighbours and the "
        "building office first. After 48 hours we open a trace with the carrier and send a "
        "replacement or a refund when the trace confirms the parcel is lost.",
    ),
    (
        "shipping",
        "Tracking your order",
        "tracking number, order status",
        "The tracking number is in the shipping confirmation email and under Orders in your "
        "account. Tracking updates can take up to 24 hours to appear after the parcel ships.",
    ),
    (
        "shipping",
        "International shipping and customs",
        "customs, duties, international",
        "We ship to 40 countries. Duties and import taxes are collected by the carrier on delivery "
        "unless the checkout says they are prepaid.",
    ),
    (
        "shipping",
        "Changing the delivery address",
        "address, redirect, delivery",
        "You can change the address until the order ships. After that, ask the carrier to redirect "
        "the package with the tracking number.",
    ),
    (
        "returns",
        "How to return an item",
        "return label, rma, send back",
        "Start a return under Orders, choose the item and the reason, and print the prepaid return "
        "label. Pack the item in its original box; drop it at any carrier point within 14 days.",
    ),
    (
        "returns",
        "Exchanging for a different size or colour",
        "exchange, size, colour",
        "Choose Exchange instead of Return when starting the return. We ship the new item as soon "
        "as the carrier scans the returned one.",
    ),
    (
        "returns",
        "Damaged or wrong item received",
        "damaged, wrong item, broken",
        "Send us a photo of the damaged or wrong item within 7 days of delivery. We send a "
        "replacement straight away and a prepaid label for the original; you keep nothing you did "
        "not order.",
    ),
    (
        "returns",
        "Items that cannot be returned",
        "non returnable, hygiene, final sale",
        "Opened consumables, custom-printed labels and final-sale items cannot be returned unless "
        "they are faulty.",
    ),
    (
        "technical",
        "The scanner app does not sync",
        "sync, app, error",
        "If the scanner app stops syncing, check the Wi-Fi connection, sign out and back in, and "
        "update to the latest app version. Error code E42 means the device clock is wrong.",
    ),
    (
        "technical",
        "Updating printer firmware",
        "firmware, printer, update",
        "Download the firmware from the Support page, connect the printer by USB and run the "
        "updater. Do not switch the printer off during the update; it takes about five minutes.",
    ),
    (
        "technical",
        "Service status and outages",
        "outage, down, status page",
        "Current incidents and planned maintenance are on status.example.com. During an outage "
        "orders are queued and processed automatically once the service is back.",
    ),
    (
        "technical",
        "Pairing a Bluetooth barcode scanner",
        "bluetooth, pairing, scanner",
        "Hold the trigger for 5 seconds until the LED blinks blue, then choose the scanner in your "
        "device's Bluetooth settings. Scan the HID barcode in the manual for keyboard mode.",
    ),
    (
        "account",
        "Resetting your password",
        "password reset, login, forgot password",
        "Click Forgot password on the sign-in page and enter your email address. The reset link is "
        "valid for 1 hour. If no email arrives, check the spam folder or contact us.",
    ),
    (
        "account",
        "Setting up two-factor authentication",
        "2fa, two-factor, security",
        "Turn on two-factor authentication under Security settings and scan the QR code with an "
        "authenticator app. Keep the recovery codes somewhere safe.",
    ),
    (
        "account",
        "Locked out of your account",
        "locked out, login, security",
        "After 5 failed sign-in attempts an account is locked for 15 minutes. "
        "Reset the password to unlock it immediately.",
    ),
    (
        "account",
        "Deleting your account and data",
        "delete account, privacy, gdpr",
        "You can request deletion under Privacy settings. We delete personal data within 30 days, "
        "keeping invoices as the law requires.",
    ),
    (
        "product",
        "Warranty coverage",
        "warranty, repair, guarantee",
        "Hardware carries a 2-year warranty against manufacturing defects. Batteries are covered "
        "for 1 year. The warranty does not cover drops, water damage or unauthorised repairs.",
    ),
    (
        "product",
        "Making a warranty claim",
        "warranty claim, repair, rma",
        "Open a warranty claim under Orders with the serial number and a description of the fault. "
        "We repair or replace the device within 10 business days.",
    ),
    (
        "product",
        "Choosing compatible label rolls",
        "labels, compatible, printer",
        "Our thermal printers take rolls up to 108 mm wide with a 25 mm core. "
        "Direct-thermal labels need no ribbon; thermal-transfer labels need a wax ribbon.",
    ),
    (
        "product",
        "Battery life of handheld computers",
        "battery, handheld, charging",
        "A full charge lasts a 10-hour shift of scanning. Replace the battery when it holds less "
        "than 80% of its original capacity; spare batteries are sold separately.",
    ),
]

# customer, text (classified by the real classifier), escalation reason or None
INQUIRIES = [
    (
        "CUST-1001",
        "My order #5521 never arrived and I need it urgently for a trade show!",
        "Platinum customer, shipment lost before an event",
    ),
    ("CUST-1004", "How do I reset my password? The reset email never came.", None),
    (
        "CUST-1002",
        "I was charged twice for invoice 8812, please refund the duplicate charge.",
        "Duplicate charge needs a manual refund",
    ),
    (
        "CUST-1006",
        "This is the worst service ever, unacceptable. I will contact my lawyer.",
        "Customer threatens legal action",
    ),
    ("CUST-1007", "Is the thermal printer compatible with 100mm label rolls?", None),
]


@transaction.atomic
def seed_customer_service() -> dict[str, Any]:
    group, _ = Group.objects.get_or_create(name=SUPPORT_GROUP)
    operator = get_user_model().objects.filter(username="operator").first()
    if operator is not None:
        operator.groups.add(group)
    if KnowledgeCategory.objects.exists():
        return {"created": False, "articles": Article.objects.count()}
    Customer.objects.bulk_create(
        Customer(external_id=cid, name=name, email=email, tier=tier)
        for cid, name, email, tier in CUSTOMERS
    )
    categories = {
        c.slug: c
        for c in KnowledgeCategory.objects.bulk_create(
            KnowledgeCategory(slug=slug, name=name) for slug, name in CATEGORIES
        )
    }
    Article.objects.bulk_create(
        Article(category=categories[cat], title=title, tags=tags, body=body)
        for cat, title, tags, body in ARTICLES
    )
    return {
        "created": True,
        "customers": len(CUSTOMERS),
        "categories": len(CATEGORIES),
        "articles": len(ARTICLES),
        **_inquiries_and_tickets(),
    }


def _inquiries_and_tickets() -> dict[str, list[str]]:
    customers = {c.external_id: c for c in Customer.objects.all()}
    inquiries, tickets = [], []
    for cid, text, reason in INQUIRIES:
        inquiry, _ = services.inquiry_record(text=text, customer=customers[cid], channel="email")
        inquiries.append(inquiry.code)
        if reason:
            ticket, _ = services.ticket_escalate(inquiry=inquiry, reason=reason)
            tickets.append(ticket.code)
    return {"inquiries": inquiries, "tickets": tickets}


def seed() -> dict[str, Any]:
    """The demo data command's entry point."""
    return seed_customer_service()
