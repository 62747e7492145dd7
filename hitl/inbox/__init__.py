"""The reviewer inbox: a small server-rendered web app where a good decision takes seconds.

Reviewers log in (local accounts or OIDC), see the requests their groups may decide (the same
visibility query and `pending` query as `hitl inbox`), read the card, and decide with one key;
each decision is sent as the validated `decide` update, signed by the inbox as a trusted issuer
for the logged-in reviewer, and the gate's answer is shown at once. Run it with
`python -m hitl.inbox`; `make run` starts it beside the Temporal Web UI. See docs/inbox.md.
"""
