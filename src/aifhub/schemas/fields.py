"""Field types reused by every domain's request bodies (pure pydantic, no server code)."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")


def _slug(value: str) -> str:
    if not _SLUG.match(value):
        raise ValueError(
            f"'{value}' is not a valid slug: use lowercase letters a-z, digits and inner "
            "dashes, e.g. 'my-lab-2'"
        )
    return value


Slug = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=2, max_length=64),
    AfterValidator(_slug),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(max_length=20_000)]

# ISO 3166-1 alpha-2 codes as CLDR lists its territories, without those that are not
# countries (EU, UN, ZZ "Unknown Region", pseudo-locales...), plus Kosovo's XK, which
# registries use. Written out so that a client validates without loading CLDR data; a test
# compares it with Babel's CLDR on every run.
COUNTRY_CODES = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN
    BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ
    DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL
    GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM
    JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME
    MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP
    NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD
    SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO
    TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW
    """.split()
)


def _country(value: str) -> str:
    code = value.strip().upper()
    if code not in COUNTRY_CODES:
        raise ValueError(f"'{value}' is not an ISO 3166-1 alpha-2 country code (e.g. FR, DE)")
    return code


Country = Annotated[str, AfterValidator(_country)]

_WEB_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$")


def _web_url(value: str) -> str:
    if not _WEB_URL.match(value):
        raise ValueError(f"'{value[:80]}' is not a web address: write it as https://example.eu")
    return value


# An http(s) address with no spaces: refuses javascript:, data: and the like before a
# page renders it as a link.
WebUrl = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=300), AfterValidator(_web_url)
]
