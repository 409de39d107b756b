"""DRF's messages that its own Russian and Ukrainian catalogues leave untranslated.

Listed here only so `make messages` keeps them in the kit's catalogue, where they are translated;
Django looks a text up in every installed app's catalogue, so DRF's validators find these. The
kit's test checks every message in DRF's source against the catalogues, so a DRF upgrade that adds
one shows up.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop

FILLED_IN = (
    gettext_noop("A valid biginteger is required."),
    gettext_noop("Datetime value out of range."),
    gettext_noop("Ensure this field has at least {min_length} elements."),
    gettext_noop("Ensure this field has no more than {max_length} elements."),
    gettext_noop(
        'Enter a valid "slug" consisting of Unicode letters, numbers, underscores, or hyphens.'
    ),
    gettext_noop("Expected available in {wait} second."),
    gettext_noop("Expected available in {wait} seconds."),
    gettext_noop("Integer value too large to convert to float"),
    gettext_noop('Invalid datetime for the timezone "{timezone}".'),
    gettext_noop("Invalid input."),
    gettext_noop("Must be a valid UUID."),
    gettext_noop("Must be a valid boolean."),
    gettext_noop("Not a valid string."),
    gettext_noop("Surrogate characters are not allowed: U+{code_point:X}."),
    gettext_noop("The number of days must be between {min_days} and {max_days}."),
    gettext_noop("This dictionary may not be empty."),
)

# Texts of the OpenAPI documents only (the docs may stay English).
DOCS_ONLY = frozenset(
    {
        "A page number within the paginated result set.",
        "A search term.",
        "A {value_type} identifying this {name}.",
        "Number of results to return per page.",
        "The initial index from which to return the results.",
        "The pagination cursor value.",
        "UUID string",
        "Which field to use when ordering the results.",
        "unique integer value",
        "unique value",
    }
)
