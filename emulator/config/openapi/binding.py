"""Joining the documents' apis to the rest of the definitions, through the builder like every loader.

In order: each bound api is read from its document before the triggers need it; once the functions
are known, each operation's Lambda ARNs are checked against them and the operations are added; a
trigger on an operation that has no integration gives it one; what is left without one is refused,
as API Gateway refuses to deploy a method without an integration.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from emulator.config import rules
from emulator.config.builder import DefinitionsBuilder, MockAnswer, answered_by_mock
from emulator.config.errors import HINT, ConfigError
from emulator.config.nodes import did_you_mean
from emulator.config.openapi.imported import FunctionReference, ImportedApi, Operation
from emulator.config.openapi.importer import import_openapi
from emulator.config.schema import DocumentDecls
from emulator.model import Method


class Documents:
    """The apis bound to OpenAPI documents in one load, on their way into the builder."""

    def __init__(
        self,
        builder: DefinitionsBuilder,
        documents: Sequence[DocumentDecls],
        mocks: Mapping[str, MockAnswer],
    ) -> None:
        self.builder = builder
        self.mocks = mocks
        self.imported: dict[str, ImportedApi] = {}
        apis = {api.name: api for document in documents for api in document.apis}
        for document in documents:
            for binding in document.openapi:
                api = apis.get(binding.api)
                if api is not None and binding.api not in self.imported:
                    imported = import_openapi(binding, api)
                    if binding.endpoint_type is not None:
                        imported.api = replace(imported.api, endpoint_type=binding.endpoint_type)
                    self.imported[binding.api] = imported
                    # A source like the YAML files: hot reload redeploys when the document changes.
                    builder.add_source(binding.path)
        #: (api, path, verb) -> an operation still waiting for a trigger to integrate it.
        self.pending: dict[tuple[str, str, str], Operation] = {}

    def api(self, name: str) -> ImportedApi | None:
        return self.imported.get(name)

    def add_operations(self) -> None:
        """Every document's operations, once the functions they name are known."""
        builder = self.builder
        for name, imported in self.imported.items():
            builder.errors.extend(imported.errors)
            builder.warnings.extend(imported.warnings)
            for reference in imported.functions:
                self._check(reference)
            for operation in imported.operations:
                if not operation.integrated:
                    self.pending[(name, operation.path, operation.method.http_method)] = operation
                    continue
                if all(self._check(reference) for reference in operation.functions):
                    builder.add_method(
                        name, operation.path, self._mocked(operation), path_location=operation.path_location
                    )

    def declares(self, api: str, path: str, verb: str) -> bool:
        """Whether a document's operation without an integration waits there for a trigger's."""
        return (api, path, verb) in self.pending

    def integrate(self, api: str, path: str, method: Method) -> Method:
        """A trigger's method; on an operation without an integration, that operation given the trigger's."""
        operation = self.pending.pop((api, path, method.http_method), None)
        if operation is None:
            return method
        declared = operation.method
        return replace(
            declared,
            integration=method.integration,
            method_responses={**method.method_responses, **declared.method_responses},
            location=method.location,
        )

    def finish(self) -> None:
        """Refuse the operations no trigger integrated; give an api that has no stage the default one."""
        for (api, path, verb), operation in self.pending.items():
            self.builder.errors.append(
                ConfigError(
                    operation.method.location,
                    f"{operation.name} has no x-amazon-apigateway-integration and no trigger integrates it; "
                    "API Gateway would refuse to deploy it (No integration defined for method)",
                    (
                        f"{HINT}add an x-amazon-apigateway-integration, or a trigger (of a function or of a mock) "
                        f"with api: {api}, resource: {path}, method: {verb}",
                    ),
                )
            )
        for name in self.imported:
            if self.builder.has_api(name) and not self.builder.stage_names(name):
                # Triggers default to this stage too: a document alone is served as a trigger would be.
                self.builder.add_stage(name, rules.DEFAULT_STAGE)

    def _check(self, reference: FunctionReference) -> bool:
        """Whether the function an ARN names is defined (or mocked); an error naming the ARN if not."""
        if self.builder.has_function(reference.function) or reference.function in self.mocks:
            return True
        known = self.builder.function_names()
        self.builder.error(
            reference.location,
            f"{reference.user} names the Lambda function '{reference.function}' ({reference.arn}), which is not "
            f"defined under functions:{did_you_mean(reference.function, known)}; add it there with its handler",
        )
        return False

    def _mocked(self, operation: Operation) -> Method:
        """The operation's method, answered by a mock if ``serve --mock`` replaced its function."""
        method = operation.method
        return answered_by_mock(method, self.mocks.get(method.integration.function or ""))
