"""Every change to volunteers' data: one function per step, one transaction, the rules checked.

One module per part — `reporting` (reports and pledges), `wishes`, `orders`, `activities` — sharing
`common` (who is acting, photos, paying points through the outbox). Something the actor may not see
answers 404 (`NotFound`); something they see but may not do, 403; a step the state does not allow,
409; bad input, 400. Nothing changes when refused. Pages, the API, the admin and the Celery jobs
call these functions and nothing else to change state.
"""
