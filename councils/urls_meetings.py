"""/councils/meetings/…: scheduling, minutes, approval; drafting and opening motions."""

urlpatterns: list = []
