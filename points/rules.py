"""Who may do what with points: one module per side, loaded here by django-rules' autodiscovery.

- `points.earning_permissions`: accounts, transfers, earning rules, earnings, manual awards, allocation;
- the livelihood market's permissions live in their own module (`points.market_rules`).
"""

from . import earning_permissions, market_rules  # noqa: F401
