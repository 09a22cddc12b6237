"""English formats for a Nordic back-office: day-month-year and ISO dates, never US month-first.

Django's `en` formats write 11/02/2026 for 2 November; readers in Norway and Sweden take that as
11 February. Dates are day-month-year with the month as a word (2 Nov 2026), which nobody reads
the wrong way round, and typed dates are read as ISO 8601 or day/month/year only. Numbers stay
as Django's `en` has them.
"""

DATE_FORMAT = "j M Y"  # 2 Nov 2026
TIME_FORMAT = "H:i"  # 14:30
DATETIME_FORMAT = "j M Y, H:i"  # 2 Nov 2026, 14:30
YEAR_MONTH_FORMAT = "F Y"  # November 2026
MONTH_DAY_FORMAT = "j F"  # 2 November
SHORT_DATE_FORMAT = "j M Y"  # 2 Nov 2026
SHORT_DATETIME_FORMAT = "j M Y H:i"  # 2 Nov 2026 14:30
FIRST_DAY_OF_WEEK = 1  # Monday

DATE_INPUT_FORMATS = [
    "%Y-%m-%d",  # 2026-11-02
    "%d/%m/%Y",  # 02/11/2026
    "%d.%m.%Y",  # 02.11.2026
    "%d %b %Y",  # 2 Nov 2026
    "%d %B %Y",  # 2 November 2026
]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
]
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
