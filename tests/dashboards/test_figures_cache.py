"""The dashboards' figures and charts are computed once per area and period for everyone (core.pagecache.cached),
per language where they hold words, and afresh after a committed change."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from core import pagecache
from dashboards import charts
from dashboards.figures import compute
from dashboards.periods import Period

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def cache_on(settings):
    settings.FIGURES_CACHE_SECONDS = 60
    pagecache.bump()


def queries(work) -> tuple[object, int]:
    with CaptureQueriesContext(connection) as ctx:
        result = work()
    return result, len(ctx)


def test_figures_are_computed_once_and_afresh_after_a_committed_change(district):
    from community.models import Area

    period = Period.this_year()
    keys = ["councils.issues_raised", "points.issued"]
    first, counted = queries(lambda: compute(keys, district.district, period))
    assert counted > 0
    again, counted = queries(lambda: compute(list(reversed(keys)), district.district, period))
    assert (again, counted) == (first, 0)
    # Another area or period is another computation.
    assert queries(lambda: compute(keys, district.street1, period))[1] > 0
    with transaction.atomic():
        Area.objects.get(pk=district.community1.pk).save()
    assert queries(lambda: compute(keys, district.district, period))[1] > 0


def test_charts_are_kept_per_language(district):
    period = Period.this_year()
    with translation.override("zh-hans"):
        chinese, _n = queries(lambda: charts.trends(area=district.district, period=period))
    with translation.override("en"):
        english, counted = queries(lambda: charts.trends(area=district.district, period=period))
        assert counted > 0
        assert queries(lambda: charts.trends(area=district.district, period=period)) == (english, 0)
    assert chinese["series"][0]["label"] != english["series"][0]["label"]
    assert chinese["series"][0]["data"] == english["series"][0]["data"]
