"""The pet shop's handlers, named by the Lambda ARNs of petshop.openapi.yaml (and one trigger).

listPets and getPet are Lambda proxy integrations in the document; createPet is a non-proxy one,
whose event is the JSON body and whose error message selects the document's 400 response.
"""

from __future__ import annotations

import json
from typing import Any

PETS: dict[str, dict[str, str]] = {"1": {"id": "1", "name": "Rex", "species": "dog"}}


def _reply(status: int, body: Any) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}


def list_pets(event: dict[str, Any], context: Any) -> dict[str, Any]:
    species = (event["queryStringParameters"] or {}).get("species")
    return _reply(200, [pet for pet in PETS.values() if species in (None, pet["species"])])


def get_pet(event: dict[str, Any], context: Any) -> dict[str, Any]:
    pet = PETS.get(event["pathParameters"]["petId"])
    return _reply(200, pet) if pet else _reply(404, {"message": "no such pet"})


def create_pet(event: dict[str, Any], context: Any) -> dict[str, str]:
    if not event.get("name") or not event.get("species"):
        raise ValueError(f"Invalid pet: {event!r}")
    pet = {"id": str(len(PETS) + 1), "name": event["name"], "species": event["species"]}
    PETS[pet["id"]] = pet
    return pet


def pet_photo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Not in the document: a trigger of config/petshop.yaml adds GET /pets/{petId}/photo."""
    return _reply(200, {"photo": f"https://photos.example.com/{event['pathParameters']['petId']}.jpg"})
