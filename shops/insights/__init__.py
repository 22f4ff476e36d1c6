"""Insights: cookieless shop analytics (docs/insights.md).

Raw events go to an append-only table partitioned by day (``insights_event``, created by
SQL in the migrations, written only by ``shops.insights.services``); the worker rolls them
up per hour and dimension (``HourlyRollup``) and per day for unique visitors
(``DailyVisitors``); ``shops.insights.selectors`` reads only the rollups.
"""
