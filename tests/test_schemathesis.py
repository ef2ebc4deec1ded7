"""Schemathesis over the published OpenAPI document: every operation, with bodies, queries and path
parameters generated from its schema (valid, and invalid in negative mode; NUL allowed, any code point
the JSON encoder carries), never answers a 500, and every JSON refusal has the shared error shape.

Bounded in examples (``MAX_EXAMPLES`` per operation and mode, derandomized, no example database, no
shrinking) and so in time. Driven operation by operation with Hypothesis rather than through
schemathesis' pytest plugin, whose lazy-fixture runner renames pytest's private ``Function._nodeid``,
gone in pytest 9."""
from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from test_hostile_input import _scene

MAX_EXAMPLES = 6  # per operation and mode; about 120 operations


def test_no_operation_answers_500_and_every_refusal_has_the_error_shape(app, owner, make_sharer, make_link):
    _scene(app, owner, make_sharer, make_link)  # ids 1.. exist, so generated ids reach real objects too
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    schema.config.generation.update(allow_x00=True, database="none")
    headers = {"Authorization": f"Bearer {owner.key}"}
    failures, skipped, tried = [], [], 0

    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            def run(case):
                nonlocal tried
                tried += 1
                response = case.call(headers=headers)
                where = (case.method, case.formatted_path, case.query, case.body)
                if response.status_code >= 500:
                    failures.append((*where, response.status_code, response.text[:200]))
                elif response.status_code >= 400 and "json" in response.headers.get("Content-Type", [""])[0]:
                    error = response.json().get("error") if isinstance(response.json(), dict) else None
                    if not isinstance(error, dict) or not {"code", "message"} <= set(error):
                        failures.append((*where, response.status_code, response.text[:200]))

            try:
                run()
            except Unsatisfiable:  # nothing in this operation can be made invalid (no body, no parameters)
                assert mode is GenerationMode.NEGATIVE, operation.label
                skipped.append(operation.label)
    print(f"{tried} calls; no invalid input possible for {len(skipped)} operations")
    assert tried > 500, tried
    assert not failures, "\n".join(map(repr, failures[:20]))
