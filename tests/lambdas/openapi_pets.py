"""Handlers behind the imported OpenAPI documents of tests/fixtures/openapi: the pets and the orders APIs."""

import json

PETS = {"1": {"id": "1", "name": "Rex", "species": "dog"}, "2": {"id": "2", "name": "Tom", "species": "cat"}}


def _json(status, body, headers=None):
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", **(headers or {})},
        "body": json.dumps(body),
    }


def list_pets(event, context):
    """Proxy: the query string selects; the Cognito authorizer's claims arrive with the event."""
    query = event["queryStringParameters"] or {}
    species = query.get("species")
    pets = [pet for pet in PETS.values() if species in (None, pet["species"])]
    return _json(
        200,
        {
            "pets": pets[: int(query.get("limit", "10"))],
            "authorizer": event["requestContext"].get("authorizer"),
        },
    )


def create_pet(event, context):
    """Non-proxy: the event is the JSON body; an error's message selects the 400 integration response."""
    if event.get("species") not in ("dog", "cat"):
        raise ValueError(f"Invalid species: {event.get('species')!r}")
    return {"id": "3", "name": event["name"], "species": event["species"]}


def get_pet(event, context):
    pet = PETS.get(event["pathParameters"]["petId"])
    return _json(200, pet) if pet else _json(404, {"message": "no such pet"})


def get_pet_beta(event, context):
    """The beta stage's function, named by its stageVariables.petFunction."""
    return _json(
        200, {"beta": True, "id": event["pathParameters"]["petId"], "stage": event["requestContext"]["stage"]}
    )


def pet_photo(event, context):
    return _json(200, {"method": event["httpMethod"], "resource": event["resource"]})


def adopt_pet(event, context):
    """Added by a trigger of the YAML under the document's /pets/{petId}."""
    return _json(200, {"adopted": event["pathParameters"]["petId"]})
