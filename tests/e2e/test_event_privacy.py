"""A signer's IP address and browser (recorded with `document_signed` and `signature_rejected`)
are shown to auditors and admins only; everyone else who sees the route sees who and when."""

from __future__ import annotations

from service.samples import VALID
from service.services.demo import PASSWORD

BROWSER = "Privacy-Test-Browser/1.0 (X11; Linux)"
ADDRESS = "198.51.100.23"
DEVICE_KEYS = {"ip", "user_agent"}


def _sign_and_fail_once(people, new_route) -> int:
    """A route whose plan the methodist first signs with a wrong password, then signs."""
    rid = new_route()
    people("tutor1").do(rid, "draft")
    methodist = people("methodist")
    task = methodist.task(rid, "plan_signatures_methodist")
    sha = methodist.view(task["id"])["signs"]["document"]["content_sha256"]
    env = {"environ_base": {"REMOTE_ADDR": ADDRESS}, "headers": {"User-Agent": BROWSER}}
    url = f"/api/tasks/{task['id']}/complete"
    r = methodist.client.post(url, json={"data": VALID["sign"], "signature": {"password": "не тот",
                                                                               "document_sha256": sha}}, **env)
    assert r.status_code == 403
    r = methodist.client.post(url, json={"data": VALID["sign"], "signature": {"password": PASSWORD,
                                                                               "document_sha256": sha}}, **env)
    assert r.status_code == 200, r.get_json()
    return rid


def _device_events(person, rid) -> list[dict]:
    r = person.get(f"/api/routes/{rid}/events")
    assert r.status_code == 200
    events = [e for e in r.get_json()["events"] if e["kind"] in ("document_signed", "signature_rejected")]
    assert {e["kind"] for e in events} == {"document_signed", "signature_rejected"}
    return events


def test_participants_see_who_signed_and_when_but_not_the_device(people, new_route):
    rid = _sign_and_fail_once(people, new_route)
    for login in ("teacher1", "tutor1", "methodist", "head_cnppm", "head_gym", "deputy_gym"):
        for event in _device_events(people(login), rid):
            assert not DEVICE_KEYS & event["data"].keys(), (login, event)
            assert event["actor"]["name"] == "Методистова Ирина Львовна" and event["at"], (login, event)
        page = people(login).get(f"/routes/{rid}").get_data(as_text=True)
        assert BROWSER not in page and ADDRESS not in page, login


def test_the_signed_event_keeps_what_was_signed_for_everyone(people, new_route):
    rid = _sign_and_fail_once(people, new_route)
    signed = [e for e in _device_events(people("teacher1"), rid) if e["kind"] == "document_signed"][0]
    assert signed["data"]["sha256"] and signed["data"]["signer_name"] == "Методистова Ирина Львовна"
    rejected = [e for e in _device_events(people("teacher1"), rid) if e["kind"] == "signature_rejected"][0]
    assert rejected["data"]["reason"] == "wrong_password"


def test_auditors_and_admins_see_the_device(people, new_route):
    rid = _sign_and_fail_once(people, new_route)
    for login in ("auditor", "admin"):
        for event in _device_events(people(login), rid):
            assert event["data"]["ip"] == ADDRESS and event["data"]["user_agent"] == BROWSER, (login, event)
    export = people("auditor").get(f"/api/routes/{rid}/export.json").get_data(as_text=True)
    assert BROWSER in export and ADDRESS in export
