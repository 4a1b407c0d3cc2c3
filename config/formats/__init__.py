"""Date and number formats per language (FORMAT_MODULE_PATH), over Django's own for each locale.

Templates and code name a format ("DATE_FORMAT", "SHORT_DATETIME_FORMAT", "DATETIME_FORMAT") rather than
spell a pattern, so that each language shows dates its own way: "28 Nov 2026" and "28 novembre 2026",
"28 Nov 2026, 14:05" and "28/11/2026 14:05".

Every date and datetime input of the app is the browser's own picker (type="date", "datetime-local"),
which reads and writes ISO 8601 whatever the language: so ISO comes first among the input formats,
the one Django uses to fill a field in again.
"""
