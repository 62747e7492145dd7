"""Notices link to the request's page in the reviewer inbox when the notification worker knows it."""

from activities.notify.render import plain_text, with_inbox_link
from activities.notify.slack import slack_message
from hitl.contracts import Notice, NoticeKind


def notice(kind: NoticeKind = NoticeKind.NEW_REQUEST) -> Notice:
    return Notice(
        notice_key="k",
        kind=kind,
        task_id="refund 7/x",
        request_id="approval-1",
        groups=["support-leads"],
        title="Refund 250",
        summary="card",
        ui_url="http://ui.test/namespaces/default/workflows/refund-7",
    )


def test_a_request_notice_links_to_its_page_in_the_inbox() -> None:
    linked = with_inbox_link(notice(), "https://inbox.test/")
    assert linked.inbox_url == "https://inbox.test/r/refund%207%2Fx/approval-1"
    assert "Decide in the reviewer inbox: https://inbox.test/r/refund%207%2Fx/approval-1" in plain_text(
        linked
    )
    buttons = slack_message(linked)["blocks"][-1]["elements"]
    assert [(b["text"]["text"], b["url"]) for b in buttons] == [
        ("Decide in the inbox", linked.inbox_url),
        ("Open in the Temporal UI", linked.ui_url),
    ]


def test_no_inbox_or_an_outcome_notice_gets_no_link() -> None:
    assert with_inbox_link(notice(), None) == notice()
    assert with_inbox_link(notice(NoticeKind.OUTCOME), "https://inbox.test") == notice(NoticeKind.OUTCOME)
    assert "reviewer inbox" not in plain_text(notice())
