"""The size caps of mail intake, in one place (docs/mail.md and docs/operations.md, "Size caps").

Every step of intake is linear in the mail's size; these caps bound what a
stranger's mail may ask of it. Beyond a *quarantine* cap the mail is kept in
quarantine/ with the cap named as the reason; beyond a *cut* cap the excess
is left out and the ticket's journal says what was left out.
"""

from __future__ import annotations

from supportctl.domain.attachments import NAME_BYTES as ATTACHMENT_NAME_BYTES  # noqa: F401 - listed here too

# quarantine: the mail is kept aside with the reason
MAX_HEADER_BYTES = 256 * 1024      # the mail's header block (Postfix keeps 100 KB per header)
MAX_FIELD_BYTES = 16 * 1024        # one header field of any part; the stdlib parses some in quadratic time
LONG_FIELDS = ("subject", "from", "to", "cc", "references", "in-reply-to")  # of the mail itself: read linearly
MAX_MIME_PARAMS = 2000             # parameters (";") of all Content-Type and Content-Disposition fields
MAX_MULTIPARTS = 50                # multipart containers (boundary declarations): bounds the nesting depth
MAX_DELIMITER_WORK = 1_000_000     # lines starting with "--" × multipart containers (what the MIME parser checks)
MAX_PARTS = 1000                   # MIME parts of one mail, attached mails included
MAX_DEPTH = 20                     # nesting of parts (multipart in multipart, forwarded mails)

# cut: the excess is left out, with a journal line
MAX_SUBJECT_CHARS = 1000           # the subject as decoded; longer ones end with "…"
MAX_HTML_CHARS = 1024 * 1024       # of an HTML-only body converted to text; the rest is left out
MAX_ATTACHMENTS = 100              # attachments kept from one mail; the others are refused with a notice
