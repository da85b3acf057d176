"""Segments, the flow, CSV of every table, cohorts and saved views over the REST API, on the
hand-made world of conftest.py (a: pro, converted; b: free, in progress at Click; c: free,
dropped at Visit; a and b entered on channel ads, c on seo)."""

from __future__ import annotations

import csv
import io
from typing import Any

from tests.web.api.conftest import AS_OF, B, error_of
from tests.web.conftest import Client

TRIAL = "/api/v1/journeys/Trial"


def get(client: Client, suffix: str, **params: Any) -> Any:
    response = client.get(TRIAL + suffix, params={"as_of": AS_OF, **params})
    assert response.status_code == 200, response.text
    return response.json()


def test_segment_parameter_reaches_every_report(client: Client) -> None:
    free = get(client, "/funnel", segment="attributes.plan=free")
    assert [s["reached"] for s in free["stages"]] == [2, 1, 0]  # b and c
    seo = get(client, "/funnel", segment=["entry.channel=seo"])
    assert (seo["entered"], seo["converted"]) == (1, 0)  # c
    both = get(client, "/funnel", segment=["attributes.plan=free", "entry.channel=ads"])
    assert both["entered"] == 1  # b
    trends = get(client, "/trends", by="month", segment="attributes.plan=free")
    assert sum(p["entered"] for p in trends["periods"]) == 2
    split = get(client, "/breakdown", by="channel", segment="attributes.plan=free")
    assert {v["value"]: v["entered"] for v in split["values"]} == {"ads": 1, "seo": 1}
    listed = get(client, "/contacts", stage="Visit", segment="attributes.plan=pro")
    assert [c["contact"] for c in listed["contacts"]] == ["a"]
    for suffix in ("/drivers", "/stalls", "/attribution"):
        get(client, suffix, segment="attributes.plan=pro")


def test_bad_segments_are_422_naming_the_parameter(client: Client) -> None:
    error = error_of(client.get(TRIAL + "/funnel", params={"segment": "plan=pro"}), 422)
    assert error["details"][0]["field"] == "segment"
    assert "attributes.PATH" in error["message"]
    error = error_of(client.get(TRIAL + "/funnel", params={"segment": "cohort=Nope"}), 422)
    assert "no cohort named 'Nope'" in error["message"]


def test_flow_from_visit(client: Client) -> None:
    body = get(client, "/flow", stage="Visit")
    assert (body["contacts"], body["moved_on"], body["dropped"], body["in_progress"]) == (
        3,
        2,
        1,
        0,
    )
    labels = [(n["step"], n["label"]) for n in body["nodes"]]
    links = {(labels[lk["source"]], labels[lk["target"]]): lk["contacts"] for lk in body["links"]}
    assert links == {
        ((0, "Reached Visit"), (1, "email_open · welcome-1")): 1,  # a opened before clicking
        ((1, "email_open · welcome-1"), (5, "Reached Click")): 1,
        ((0, "Reached Visit"), (5, "Reached Click")): 1,  # b: nothing in between
        ((0, "Reached Visit"), (5, "Dropped")): 1,  # c: only a send (left out) and a bounce later
    }
    error = error_of(client.get(TRIAL + "/flow", params={"stage": "Buy"}), 422)
    assert "last stage" in error["message"]


def read_csv(client: Client, **params: Any) -> list[dict[str, str]]:
    response = client.get(TRIAL + "/csv", params={"as_of": AS_OF, **params})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    return list(csv.DictReader(io.StringIO(response.text)))


def test_every_table_as_csv(client: Client) -> None:
    funnel = read_csv(client, table="funnel")
    json_funnel = get(client, "/funnel")
    assert [int(r["reached"]) for r in funnel] == [s["reached"] for s in json_funnel["stages"]]
    flow = read_csv(client, table="flow", stage="Visit", segment="attributes.plan=free")
    assert sum(int(r["contacts"]) for r in flow if r["from_step"] == "0") == 2
    contacts = read_csv(client, table="contacts", stage="Click", status="in_progress")
    assert [r["contact"] for r in contacts] == [B]
    for table in ("trends", "drivers", "stalls", "attribution"):
        read_csv(client, table=table)
    assert read_csv(client, table="breakdown", by="channel")[0]["value"] == "ads"
    error = error_of(client.get(TRIAL + "/csv", params={"table": "breakdown"}), 422)
    assert "by" in error["message"]


def test_cohort_saved_from_a_step_and_used_as_a_filter(client: Client) -> None:
    body = {"name": "Stuck", "journey": "Trial", "stage": "Click", "status": "in_progress"}
    saved = client.post("/api/v1/cohorts", json={**body, "as_of": AS_OF})
    assert saved.status_code == 201, saved.text
    assert (saved.json()["size"], saved.json()["stage"]) == (1, "Click")
    assert [c["name"] for c in client.get("/api/v1/cohorts").json()] == ["Stuck"]
    assert get(client, "/funnel", segment="cohort=Stuck")["entered"] == 1
    error_of(client.post("/api/v1/cohorts", json={**body, "as_of": AS_OF}), 409)
    segmented = {**body, "name": "Pro", "status": "reached", "segment": ["attributes.plan=pro"]}
    assert client.post("/api/v1/cohorts", json={**segmented, "as_of": AS_OF}).json()["size"] == 1
    assert client.delete("/api/v1/cohorts/Stuck").status_code == 204
    error_of(client.delete("/api/v1/cohorts/Stuck"), 404)


def test_saved_views(client: Client) -> None:
    view = {"name": "Free on ads", "journey": "Trial", "query": "segment=attributes.plan%3Dfree"}
    saved = client.post("/api/v1/views", json=view)
    assert saved.status_code == 201, saved.text
    assert saved.json()["url"] == "/journeys/Trial?segment=attributes.plan%3Dfree"
    listed = client.get("/api/v1/views", params={"journey": "Trial"}).json()
    assert [v["name"] for v in listed] == ["Free on ads"]
    error_of(client.post("/api/v1/views", json={**view, "journey": "Nope"}), 404)
    assert client.delete("/api/v1/views/Free on ads").status_code == 204
    assert client.get("/api/v1/views").json() == []
