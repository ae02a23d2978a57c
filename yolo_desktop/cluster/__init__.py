"""Batches on many machines: rq queue workers on Redis driving the one pipeline (see README "Many machines").

``connection`` (Redis URLs), ``protocol`` (what a job carries, as JSON), ``wire`` (results as JSON),
``worker`` (the non-forking model worker and its pool), ``jobs`` (the functions workers run), ``coordinator``
(``detect --cluster``), ``merge`` (parts → the outputs a local run writes), ``status`` (``cluster status``),
``async_jobs`` (the HTTP service's asynchronous mode). Only ``worker`` and ``jobs`` load a model.
"""
