"""Dashboards, ledgers (台账), charts, the Party-and-people map and print views: the figures that
district and community leaders report every year, for any area and period, computed in the database."""
