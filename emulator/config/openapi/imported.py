"""What reading one OpenAPI document produces, before it joins the other definitions in the builder."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from emulator.config.errors import ConfigError
from emulator.model import Location, Method, RestApi


@dataclass(frozen=True)
class FunctionReference:
    """A Lambda function the document names by ARN: it must be an entry of ``functions:``."""

    function: str
    arn: str
    #: Who names it, as messages say: ``GET /pets/{petId}``, ``authorizer 'CognitoAuth'``.
    user: str
    location: Location


@dataclass(frozen=True)
class Operation:
    """One operation of the document as a method of its resource."""

    path: str
    method: Method
    #: The path's key in ``paths``, for errors about the resource tree.
    path_location: Location
    #: ``False`` for an operation without ``x-amazon-apigateway-integration``: a trigger gives it one,
    #: as PutIntegration would on AWS; until then ``method.integration`` is a stand-in.
    integrated: bool = True
    functions: tuple[FunctionReference, ...] = ()

    @property
    def name(self) -> str:
        """``GET /pets/{petId}``, as messages name an operation."""
        return f"{self.method.http_method} {self.path}"


@dataclass
class ImportedApi:
    """An api with its document's settings (resources still to be added), its operations and what was found."""

    api: RestApi
    operations: list[Operation] = dataclasses.field(default_factory=list)
    #: The Lambda authorizers' functions.
    functions: list[FunctionReference] = dataclasses.field(default_factory=list)
    errors: list[ConfigError] = dataclasses.field(default_factory=list)
    warnings: list[ConfigError] = dataclasses.field(default_factory=list)
