"""System checks of the contracts' settings."""

from django.conf import settings
from django.core.checks import Error, register

from .models import Criterion


@register()
def evaluation_criteria(app_configs, **kwargs):
    configured = getattr(settings, "CONTRACT_EVALUATION_CRITERIA", {})
    unknown = sorted(set(configured) - set(Criterion.values))
    errors = []
    if unknown:
        errors.append(
            Error(
                f"CONTRACT_EVALUATION_CRITERIA names unknown criteria: {', '.join(unknown)}.",
                hint=f"Use some of: {', '.join(Criterion.values)}.",
                id="contracts.E001",
            )
        )
    if not any(code in Criterion.values and int(weight) > 0 for code, weight in configured.items()):
        errors.append(
            Error(
                "CONTRACT_EVALUATION_CRITERIA needs at least one known criterion with a weight above 0.",
                id="contracts.E002",
            )
        )
    return errors
