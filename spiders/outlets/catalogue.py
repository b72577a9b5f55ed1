"""The named outlets' readings: where each puts what its structured data leaves out.

Each entry was written from the outlets' real markup (../shared/fixtures/real/publications/:
theatre reviews of 2026, whose article templates the outlets use for film too; see
docs/outlets.md for what is verified and what is not). An outlet absent here, or a field left
out, is read by the generic reader alone, which is enough for Variety, The Hollywood Reporter,
Deadline, Vulture, TheWrap, The Washington Post, Observer and the Chicago Tribune: their
JSON-LD names critic, date and headline, and they publish no rating.

XPaths match on attributes the outlets keep stable (data-gu-name, data-testid, the Dotdash
`mntl-*` and Gannett `gnt_*` classes, SVG path shapes), never on build-generated class
hashes (the Guardian's `dcr-*`, Time Out's `_rating_1oe3w_44`).
"""

from __future__ import annotations

from .reading import OutletReading, StarRow

PATH = "*[local-name()='path']"

READINGS: tuple[OutletReading, ...] = (
    OutletReading(
        key="guardian",
        # The star row is the element right after the headline's h1; related-story cards in
        # the body carry star rows of the same markup, which this never reaches.
        star_row=StarRow(
            row=(f"//*[@data-gu-name='headline']//h1/following-sibling::*[1][.//{PATH}]",
                 f"(//h1)[1]/following-sibling::*[1][.//{PATH}]"),
            star=f"./*[.//{PATH}]",
            filled=f".//{PATH}[starts-with(@d, 'm19.151')]",
            empty=f".//{PATH}[starts-with(@d, 'm14.381')]",
            size=5,
        ),
        byline=("//address[@data-gu-name='byline']//a[@rel='author']",),
        date=("//details[@data-gu-name='dateline']/summary",),
        article="//address[@data-gu-name='byline']",
        notes="5 SVG stars right after the headline's h1, filled and empty told "
              "apart by their path shapes; byline and dateline in data-gu-name elements",
    ),
    OutletReading(
        key="nytimes",
        label=("//header//p",),
        label_in_script=("kicker",),
        notes="Critic’s Pick: a kicker paragraph in the header before the h1, and "
              "__preloadedData's \"kicker\"",
    ),
    OutletReading(
        key="timeout",
        rating_text=("//*[@data-testid='star-rating_testID']//*[contains(@class, 'sr-only')]",),
        rating_in_title=True,
        label=("//*[@data-testid='recommended_testID']",),
        byline=("//*[@data-testid='guidebyline_testID']//a[contains(@href, '/profile/')]",),
        date_in_script=("publishDate",),
        notes="\"N out of 5 stars\" (sr-only) in [data-testid=star-rating_testID], else the "
              "(★★★) closing og:title; the Recommended badge; digitalData's publishDate",
    ),
    OutletReading(
        key="nypost",
        star_row=StarRow(
            row=("//*[contains(@class, 'inline-module--review')]"
                 "//*[contains(concat(' ', normalize-space(@class), ' '), ' rating__stars ')]",),
            star="./*[contains(@class, 'rating__star')]",
            filled="self::*[contains(@class, 'rating__star--filled')]",
            half="self::*[contains(@class, 'rating__star--half')]",
            empty="self::*[contains(@class, 'rating__star--empty')]",
            size=4,
        ),
        notes="the inline review module's 4 stars (rating__star--filled / --half / --empty)",
    ),
    OutletReading(
        key="ew",
        byline=("//a[contains(@class, 'mntl-attribution__item-name')]",),
        date=("//*[contains(@class, 'mntl-attribution__item-date')]",),
        notes="byline and date in the Dotdash mntl-attribution block; the \"Grade: B\" closing "
              "the body is read by aggregator.verdicts.stated_in_text",
    ),
    OutletReading(
        key="usatoday",
        byline=("//a[contains(@class, 'gnt_ar_by_a')]",),
        date=("//*[contains(@class, 'gnt_ar_dt')]/text()[normalize-space()][1]",),
        notes="byline link and the date's first text node (the span after it is the update)",
    ),
    OutletReading(
        key="wsj",
        date_meta=("article.published",),
        notes="the publication date in meta article.published",
    ),
)
