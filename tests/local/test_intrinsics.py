"""CloudFormation intrinsic functions and conditions, as the CloudFormation User Guide has them."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bedrock_stream.local.intrinsics import NO_VALUE, IntrinsicError, Intrinsics

VALUES = {
    "AWS::Region": "eu-west-1",
    "AWS::AccountId": "123456789012",
    "Env": "prod",
    "Zones": ["a", "b", "c"],
}
CONDITIONS = {
    "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
    "IsDev": {"Fn::Equals": ["dev", {"Ref": "Env"}]},
    "NotProd": {"Fn::Not": [{"Condition": "IsProd"}]},
    "ProdOrDev": {"Fn::Or": [{"Condition": "IsDev"}, {"Condition": "IsProd"}]},
    "ProdAndDev": {"Fn::And": [{"Condition": "IsProd"}, {"Condition": "IsDev"}]},
    "InEurope": {
        "Fn::Equals": [{"Fn::Select": [0, {"Fn::Split": ["-", {"Ref": "AWS::Region"}]}]}, "eu"]
    },
}
MAPPINGS = {"Sizes": {"prod": {"Memory": 1024}, "dev": {"Memory": 128}}}


def intrinsics(**kwargs: Any) -> Intrinsics:
    return Intrinsics(VALUES, CONDITIONS, mappings=MAPPINGS, **kwargs)


# -- conditions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "env", "holds"),
    [
        ("IsProd", "prod", True),
        ("IsProd", "dev", False),
        ("IsDev", "dev", True),
        ("NotProd", "prod", False),
        ("NotProd", "dev", True),
        ("ProdOrDev", "dev", True),
        ("ProdOrDev", "test", False),
        ("ProdAndDev", "prod", False),
        ("InEurope", "test", True),
    ],
)
def test_conditions(name: str, env: str, holds: bool) -> None:
    assert Intrinsics({**VALUES, "Env": env}, CONDITIONS).condition(name) is holds


@given(st.lists(st.booleans(), min_size=1, max_size=6))
def test_and_or_not_are_boolean_algebra(truths: list[bool]) -> None:
    conditions = {f"C{i}": {"Fn::Equals": [{"Ref": f"P{i}"}, "yes"]} for i in range(len(truths))}
    refs = [{"Condition": f"C{i}"} for i in range(len(truths))]
    conditions |= {
        "All": {"Fn::And": refs},
        "Any": {"Fn::Or": refs},
        "None": {"Fn::Not": [{"Fn::Or": refs}]},
    }
    values = {f"P{i}": "yes" if truth else "no" for i, truth in enumerate(truths)}
    evaluated = Intrinsics(values, conditions)
    assert evaluated.condition("All") is all(truths)
    assert evaluated.condition("Any") is any(truths)
    assert evaluated.condition("None") is not any(truths)


def test_an_undefined_condition_is_an_error() -> None:
    with pytest.raises(IntrinsicError, match="Missing"):
        intrinsics().condition("Missing")
    with pytest.raises(IntrinsicError):
        intrinsics().evaluate({"Fn::If": ["Missing", 1, 2]})


@pytest.mark.parametrize(
    "conditions",
    [
        {"Loop": {"Condition": "Loop"}},
        {"Loop": {"Fn::Not": [{"Condition": "Loop"}]}},
        {"Loop": {"Fn::And": [{"Condition": "Other"}, {"Fn::Equals": ["a", "a"]}]},
         "Other": {"Fn::Or": [{"Condition": "Loop"}]}},
    ],
)  # fmt: skip
def test_self_referencing_conditions_are_errors(conditions: dict[str, Any]) -> None:
    evaluated = Intrinsics({}, conditions)
    with pytest.raises(IntrinsicError, match="refers to itself"):
        evaluated.condition("Loop")
    with pytest.raises(IntrinsicError):  # and still, on a second look
        evaluated.condition("Loop")


def test_a_condition_must_be_boolean() -> None:
    with pytest.raises(IntrinsicError):
        Intrinsics(VALUES, {"Bad": {"Ref": "Env"}}).condition("Bad")
    with pytest.raises(IntrinsicError):
        Intrinsics(VALUES, {"Bad": {"Fn::And": [{"Ref": "Env"}, True]}}).condition("Bad")


# -- evaluate --------------------------------------------------------------------------


def test_refs_to_parameters_and_pseudo_parameters() -> None:
    evaluated = intrinsics().evaluate(
        {"Region": {"Ref": "AWS::Region"}, "Env": {"Ref": "Env"}, "Zones": {"Ref": "Zones"}}
    )
    assert evaluated == {"Region": "eu-west-1", "Env": "prod", "Zones": ["a", "b", "c"]}


def test_refs_and_getatts_to_resources_go_to_the_unresolved_callback() -> None:
    seen: list[tuple[str, Any]] = []

    def unresolved(name: str, argument: Any) -> Any:
        seen.append((name, argument))
        return f"<{name}>"

    evaluated = intrinsics(unresolved=unresolved).evaluate(
        [{"Ref": "MyBucket"}, {"Fn::GetAtt": ["MyFunction", "Arn"]}]
    )
    assert evaluated == ["<Ref>", "<Fn::GetAtt>"]
    assert seen == [("Ref", "MyBucket"), ("Fn::GetAtt", ["MyFunction", "Arn"])]


def test_by_default_a_resource_ref_or_getatt_is_an_error() -> None:
    with pytest.raises(IntrinsicError, match="MyBucket"):
        intrinsics().evaluate({"Ref": "MyBucket"})
    with pytest.raises(IntrinsicError):
        intrinsics().evaluate({"Fn::GetAtt": ["MyFunction", "Arn"]})


def test_sub_replaces_parameters_and_resource_attributes() -> None:
    seen: list[tuple[str, Any]] = []

    def unresolved(name: str, argument: Any) -> Any:
        seen.append((name, argument))
        return "ARN" if name == "Fn::GetAtt" else "ID"

    text = "arn:aws:s3:${AWS::Region}:${AWS::AccountId}:${Env}/${Bucket}/${Fn.Arn}"
    evaluated = intrinsics(unresolved=unresolved).evaluate({"Fn::Sub": text})
    assert evaluated == "arn:aws:s3:eu-west-1:123456789012:prod/ID/ARN"
    assert seen == [("Ref", "Bucket"), ("Fn::GetAtt", ["Fn", "Arn"])]


def test_sub_variable_maps_are_evaluated_and_shadow_parameters() -> None:
    evaluated = intrinsics().evaluate(
        {
            "Fn::Sub": [
                "${Env}-${Size}-${AWS::Region}",
                {"Env": "staging", "Size": {"Fn::FindInMap": ["Sizes", {"Ref": "Env"}, "Memory"]}},
            ]
        }
    )
    assert evaluated == "staging-1024-eu-west-1"


def test_sub_without_variables_is_the_text() -> None:
    assert intrinsics().evaluate({"Fn::Sub": "no variables, $ and {} alone"}) == (
        "no variables, $ and {} alone"
    )


def test_sub_writes_an_escaped_variable_literally() -> None:
    # CFN User Guide, Fn::Sub: "To write a dollar sign and curly braces (${}) literally,
    # add an exclamation point (!) after the open curly brace, such as ${!Literal}.
    # CloudFormation resolves this text as ${Literal}."
    assert intrinsics().evaluate({"Fn::Sub": "${!Env}=${Env}"}) == "${Env}=prod"


def test_join_select_and_split() -> None:
    evaluated = intrinsics().evaluate(
        {
            "Join": {
                "Fn::Join": ["-", ["a", {"Ref": "Env"}, {"Fn::Select": ["1", {"Ref": "Zones"}]}]]
            },
            "Split": {"Fn::Split": [",", "x,,y"]},
            "Last": {"Fn::Select": [2, {"Fn::Split": [":", "arn:aws:lambda"]}]},
            "Empty": {"Fn::Join": ["", []]},
        }
    )
    assert evaluated == {"Join": "a-prod-b", "Split": ["x", "", "y"], "Last": "lambda", "Empty": ""}


@pytest.mark.parametrize("index", [3, -1, "7"])
def test_select_out_of_range_is_an_error(index: Any) -> None:
    with pytest.raises(IntrinsicError):
        intrinsics().evaluate({"Fn::Select": [index, {"Ref": "Zones"}]})


@given(st.text("ab,-: ", max_size=20), st.sampled_from([",", "-", ": ", "ab"]))
def test_join_undoes_split(text: str, separator: str) -> None:
    split = {"Fn::Split": [separator, text]}
    assert intrinsics().evaluate({"Fn::Join": [separator, split]}) == text
    parts = intrinsics().evaluate(split)
    assert len(parts) == text.count(separator) + 1
    for index, part in enumerate(parts):
        assert intrinsics().evaluate({"Fn::Select": [index, split]}) == part


def test_if_evaluates_the_chosen_branch_only() -> None:
    unused = {"Fn::Base64": {"Ref": "NoSuchResource"}}  # would be an error if evaluated
    assert intrinsics().evaluate({"Fn::If": ["IsProd", {"Ref": "Env"}, unused]}) == "prod"
    assert intrinsics().evaluate({"Fn::If": ["NotProd", unused, ["x", {"Ref": "Env"}]]}) == [
        "x",
        "prod",
    ]


def test_find_in_map() -> None:
    assert intrinsics().evaluate({"Fn::FindInMap": ["Sizes", {"Ref": "Env"}, "Memory"]}) == 1024
    for missing in (["Sizes", "test", "Memory"], ["Sizes", "prod", "Cpu"], ["Nope", "a", "b"]):
        with pytest.raises(IntrinsicError):
            intrinsics().evaluate({"Fn::FindInMap": missing})


def test_condition_functions_evaluate_to_booleans_in_properties() -> None:
    evaluated = intrinsics().evaluate(
        {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
    )
    assert evaluated is True
    assert intrinsics().evaluate({"Fn::Not": [{"Condition": "IsProd"}]}) is False


def test_no_value_is_removed_from_mappings_and_lists() -> None:
    template = {
        "Memory": {"Fn::If": ["IsProd", {"Ref": "AWS::NoValue"}, 128]},
        "Layers": [
            "a",
            {"Ref": "AWS::NoValue"},
            {"Fn::If": ["IsDev", "dev", {"Ref": "AWS::NoValue"}]},
        ],
        "Nested": {"Deep": [{"Ref": "AWS::NoValue"}], "Keep": {"Ref": "Env"}},
    }
    assert intrinsics().evaluate(template) == {
        "Layers": ["a"],
        "Nested": {"Deep": [], "Keep": "prod"},
    }
    assert intrinsics().evaluate({"Ref": "AWS::NoValue"}) is NO_VALUE


@pytest.mark.parametrize(
    "node",
    [
        {"Fn::Base64": "x"},
        {"Fn::ImportValue": "Shared"},
        {"Fn::Cidr": ["10.0.0.0/16", 2, 8]},
        {"Outer": [{"Fn::Transform": {"Name": "AWS::Include"}}]},
        {"Fn::Join": ["-", [{"Fn::GetAZs": ""}]]},
    ],
)
def test_unknown_functions_are_errors(node: Any) -> None:
    with pytest.raises(IntrinsicError, match=r"Fn::\w+"):
        intrinsics(unresolved=lambda name, argument: "resolved").evaluate(node)


@pytest.mark.parametrize(
    "node",
    [
        {"Fn::If": ["IsProd", "only one branch"]},
        {"Fn::Not": {"Condition": "IsProd"}},
        {"Fn::Select": ["first", ["a"]]},
        {"Fn::Sub": ["${Env}"]},
    ],
)
def test_malformed_arguments_are_intrinsic_errors(node: Any) -> None:
    # Arguments of the wrong shape are an IntrinsicError (a TemplateError to the loader),
    # never a ValueError or KeyError from unpacking them.
    with pytest.raises(IntrinsicError):
        intrinsics().evaluate(node)


# -- prune -----------------------------------------------------------------------------


def test_prune_resolves_if_and_no_value_and_leaves_every_other_function() -> None:
    resource = {
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "CodeUri": {"Fn::Sub": "${AWS::Region}/code"},
            "Role": {"Fn::GetAtt": ["Role", "Arn"]},
            "Env": {"Ref": "Env"},
            "Memory": {"Fn::If": ["IsProd", {"Fn::FindInMap": ["Sizes", "prod", "Memory"]}, 128]},
            "Layers": [{"Fn::If": ["IsDev", "dev-layer", {"Ref": "AWS::NoValue"}]}, {"Ref": "L"}],
            "Tracing": {"Fn::If": ["NotProd", "Active", {"Ref": "AWS::NoValue"}]},
            "Unknown": {"Fn::Base64": {"Fn::If": ["IsProd", "yes", "no"]}},
        },
    }
    assert intrinsics().prune(resource) == {
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "CodeUri": {"Fn::Sub": "${AWS::Region}/code"},
            "Role": {"Fn::GetAtt": ["Role", "Arn"]},
            "Env": {"Ref": "Env"},
            "Memory": {"Fn::FindInMap": ["Sizes", "prod", "Memory"]},
            "Layers": [{"Ref": "L"}],
            "Unknown": {"Fn::Base64": "yes"},
        },
    }


def test_prune_does_not_evaluate_the_branch_it_drops() -> None:
    dropped = {"Fn::If": ["Missing", 1, 2]}  # an undefined condition, never looked at
    assert intrinsics().prune({"Fn::If": ["IsProd", "kept", dropped]}) == "kept"


LEAF = st.one_of(
    st.integers(-5, 5),
    st.text("xyz", max_size=3),
    st.booleans(),
    st.just({"Ref": "Env"}),
    st.just({"Ref": "AWS::NoValue"}),
    st.just({"Fn::Sub": "${Env}"}),
)


def tree(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), children, max_size=4),
        st.tuples(st.sampled_from(["IsProd", "NotProd", "ProdOrDev"]), children, children).map(
            lambda t: {"Fn::If": list(t)}
        ),
        children.map(lambda child: {"Fn::Join": ["-", [child]]}),
    )


TREES = st.recursive(LEAF, tree, max_leaves=25)


def walk(node: Any) -> list[Any]:
    """Every node of a tree, the root included."""
    found = [node]
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
    for child in children:
        found += walk(child)
    return found


@given(TREES)
def test_prune_removes_every_if_and_no_value_at_any_depth(node: Any) -> None:
    pruned = intrinsics().prune(node)
    nodes = walk(pruned)
    if pruned is NO_VALUE:
        return  # the whole tree was AWS::NoValue: the caller drops it
    assert all(n is not NO_VALUE for n in nodes)
    assert all(not (isinstance(n, dict) and "Fn::If" in n) for n in nodes)
    assert {"Ref": "AWS::NoValue"} not in nodes
    assert intrinsics().prune(pruned) == pruned  # nothing left to prune


@given(TREES)
def test_prune_keeps_what_holds_no_if_or_no_value_and_evaluate_agrees_after_it(node: Any) -> None:
    nodes = walk(node)
    has_if_or_no_value = any(
        isinstance(n, dict) and ("Fn::If" in n or n == {"Ref": "AWS::NoValue"}) for n in nodes
    )
    pruned = intrinsics().prune(node)
    if not has_if_or_no_value:
        assert pruned == node
    # Pruning first changes nothing of what a full evaluation yields.
    if pruned is not NO_VALUE:
        assert intrinsics().evaluate(pruned) == intrinsics().evaluate(node)
