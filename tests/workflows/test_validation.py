"""workflow_validate: every error names the step it is about."""

from __future__ import annotations

from apps.workflows.validation import StepError, topological_order, workflow_validate


def step(step_id, action="check_stock_levels", parameters=None, depends_on=(), **extra):  # type: ignore[no-untyped-def]
    return {
        "step_id": step_id,
        "action": action,
        "parameters": parameters or {},
        "depends_on": list(depends_on),
        **extra,
    }


def fields(errors: list[StepError]) -> set[tuple[str, str]]:
    return {(e.step_id, e.field) for e in errors}


def test_a_valid_dag_has_no_errors():
    steps = [
        step("stock"),
        step(
            "demand", "predict_demand", {"product_id": "SKU-1001", "forecast_period": 30}, ["stock"]
        ),
        step(
            "check",
            "evaluate_condition",
            {"condition": "x > 1", "context": {"x": "{{ steps.demand.total_forecast }}"}},
            ["demand"],
        ),
    ]
    assert workflow_validate(steps, "parallel") == []


def test_a_cycle_is_reported_on_each_step_in_it():
    steps = [
        step("a", depends_on=["c"]),
        step("b", depends_on=["a"]),
        step("c", depends_on=["b"]),
        step("free"),
    ]
    errors = workflow_validate(steps, "sequential")
    assert fields(errors) == {("a", "depends_on"), ("b", "depends_on"), ("c", "depends_on")}
    assert all("cycle" in e.message for e in errors)


def test_unknown_tool_points_at_the_step():
    errors = workflow_validate([step("a"), step("b", action="launch_rockets")], "sequential")
    assert [(e.step_id, e.field) for e in errors] == [("b", "action")]
    assert "launch_rockets" in errors[0].message


def test_unknown_dependency_and_reference_point_at_the_step():
    steps = [
        step("a"),
        step(
            "b",
            "predict_demand",
            {"product_id": "{{ steps.ghost.sku }}", "forecast_period": 7},
            depends_on=["nobody"],
        ),
    ]
    errors = workflow_validate(steps, "sequential")
    assert ("b", "depends_on") in fields(errors)
    steps[1]["depends_on"] = ["a"]
    errors = workflow_validate(steps, "sequential")
    assert fields(errors) == {("b", "parameters")}
    assert "ghost" in errors[0].message


def test_a_reference_to_a_step_that_is_not_upstream_is_an_error():
    steps = [
        step("a"),
        step(
            "b",
            "predict_demand",
            {"product_id": "{{ steps.a.rows.0.product_id }}", "forecast_period": 7},
        ),
    ]
    errors = workflow_validate(steps, "parallel")
    assert fields(errors) == {("b", "parameters")}
    assert "not upstream" in errors[0].message


def test_a_bad_literal_parameter_is_a_schema_error_on_its_field():
    steps = [step("a", "predict_demand", {"product_id": "SKU-1001", "forecast_period": "soon"})]
    errors = workflow_validate(steps, "sequential")
    assert fields(errors) == {("a", "parameters.forecast_period")}


def test_missing_required_parameters_are_reported_even_with_references():
    steps = [
        step("a"),
        step("b", "predict_demand", {"product_id": "{{ steps.a.rows.0.product_id }}"}, ["a"]),
    ]
    errors = workflow_validate(steps, "sequential")
    assert fields(errors) == {("b", "parameters")}
    assert "forecast_period" in errors[0].message


def test_referenced_values_are_not_type_checked_before_run_time():
    steps = [
        step("a"),
        step(
            "b",
            "predict_demand",
            {"product_id": "SKU-1001", "forecast_period": "{{ steps.a.totals.rows }}"},
            ["a"],
        ),
    ]
    assert workflow_validate(steps, "sequential") == []


def test_duplicate_step_ids_and_bad_mode_are_rejected():
    assert fields(workflow_validate([step("a"), step("a")], "sequential")) == {("a", "step_id")}
    assert fields(workflow_validate([step("a")], "whenever")) == {("", "execution_mode")}
    assert fields(workflow_validate([], "sequential")) == {("", "steps")}


def test_condition_references_must_be_upstream():
    steps = [step("a"), step("b", condition="steps.c.result == True", depends_on=["a"]), step("c")]
    errors = workflow_validate(steps, "conditional")
    assert fields(errors) == {("b", "condition")}


def test_retry_policy_limits_are_checked():
    errors = workflow_validate([step("a", retry_policy={"max_retries": 99})], "sequential")
    assert fields(errors) == {("a", "retry_policy.max_retries")}


def test_topological_order_keeps_definition_order_for_ties():
    steps = [step("z"), step("y", depends_on=["x"]), step("x")]
    assert topological_order(steps) == ["z", "x", "y"]
