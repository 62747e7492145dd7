"""The modify form is generated from the tool's argument model and refuses what the model refuses."""

from activities.tools.config import ApplyConfigArgs
from activities.tools.refund import EmailCustomerArgs, IssueRefundArgs
from hitl.inbox.forms import FormField, check_patch, diff, form_fields, read_patch

PROPOSED = {"order_id": "A-1", "amount": 250.0, "currency": "USD", "reason": "customer request"}


def test_the_form_has_the_models_fields_types_and_constraints() -> None:
    fields = {f.name: f for f in form_fields(IssueRefundArgs, PROPOSED)}
    assert fields["amount"] == FormField(
        name="amount",
        label="Amount",
        kind="number",
        value="250.0",
        required=True,
        attrs={"min": "0", "max": "1000000", "step": "any"},
    )
    assert fields["currency"] == FormField(
        name="currency",
        label="Currency",
        kind="text",
        value="USD",
        required=False,
        attrs={"minlength": "3", "maxlength": "3"},
    )
    assert list(fields) == ["order_id", "amount", "currency", "reason"]


def test_a_pattern_and_an_untyped_value_become_a_pattern_and_a_json_field() -> None:
    email = {f.name: f for f in form_fields(EmailCustomerArgs, {})}
    assert email["to"].attrs == {"pattern": r"^[^@\s]+@[^@\s]+$"}
    config = {f.name: f for f in form_fields(ApplyConfigArgs, {"value": {"ms": 300}})}
    assert (config["value"].kind, config["value"].value) == ("json", '{\n  "ms": 300\n}')


def test_a_valid_change_is_the_patch_of_the_changed_arguments_only() -> None:
    form = {"order_id": "A-1", "amount": "120", "currency": "USD", "reason": "customer request"}
    result = read_patch(IssueRefundArgs, PROPOSED, form)
    assert (result.patch, result.errors) == ({"amount": 120.0}, {})
    assert diff(PROPOSED, result.patch) == [("amount", "250.0", "120.0")]


def test_what_the_model_refuses_is_refused_with_its_message() -> None:
    form = {"order_id": "A-1", "amount": "0", "currency": "US", "reason": ""}
    result = read_patch(IssueRefundArgs, PROPOSED, form)
    assert result.patch == {}
    assert result.errors == {
        "amount": "Input should be greater than 0",
        "currency": "String should have at least 3 characters",
    }


def test_text_in_a_number_field_and_bad_json_are_refused_before_the_model() -> None:
    refund = read_patch(
        IssueRefundArgs, PROPOSED, {k: str(v) for k, v in PROPOSED.items()} | {"amount": "lots"}
    )
    assert refund.errors == {"amount": "'lots' is not a number"}
    config = read_patch(
        ApplyConfigArgs, {"service": "s", "key": "k", "value": 1}, {"service": "s", "key": "k", "value": "{"}
    )
    assert list(config.errors) == ["value"]
    assert config.errors["value"].startswith("not valid JSON")


def test_an_unchanged_form_is_not_a_modification() -> None:
    form = {k: str(v) for k, v in PROPOSED.items()}
    assert read_patch(IssueRefundArgs, PROPOSED, form).errors == {
        "_": "nothing was changed: change an argument, or approve as proposed"
    }


def test_a_sent_patch_is_checked_again_by_the_model() -> None:
    assert check_patch(IssueRefundArgs, PROPOSED, {"amount": 90}) == ""
    assert check_patch(IssueRefundArgs, PROPOSED, {"amount": -5}) == "amount: Input should be greater than 0"
