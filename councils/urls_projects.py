"""/councils/…: an issue's discussion, satisfaction rating, crowdfunding campaign and tasks."""

urlpatterns: list = []
