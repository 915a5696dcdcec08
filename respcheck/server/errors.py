"""OpenAI-shaped errors: ``{"error": {"message", "type", "param", "code"}}`` with the status OpenAI uses.

Every way the server refuses a request goes through ``APIError``, so the body shape is
built in one place, ``error_body`` (the fault layer builds its own refusals with it too).
"""

from __future__ import annotations

from typing import Any

from respcheck.jsontypes import json_type


class APIError(Exception):
    """A refusal the client should see as an OpenAI error object."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = headers or {}


def error_body(err: APIError) -> dict[str, Any]:
    return {"error": {"message": err.message, "type": err.type, "param": err.param, "code": err.code}}


def invalid_value(param: str | None, message: str, code: str = "invalid_value") -> APIError:
    return APIError(400, message, param=param, code=code)


def missing_parameter(param: str) -> APIError:
    return APIError(
        400, f"Missing required parameter: '{param}'.", param=param, code="missing_required_parameter"
    )


def unknown_parameter(param: str) -> APIError:
    return APIError(400, f"Unknown parameter: '{param}'.", param=param, code="unknown_parameter")


_TYPE_NAMES = {
    "null": "null",
    "string": "a string",
    "integer": "an integer",
    "number": "a decimal",
    "boolean": "a boolean",
    "object": "an object",
    "array": "an array",
}


def json_type_name(value: Any) -> str:
    return _TYPE_NAMES[json_type(value)]


def invalid_type(param: str, expected: str, value: Any) -> APIError:
    return APIError(
        400,
        f"Invalid type for '{param}': expected {_TYPE_NAMES.get(expected, expected)}, "
        f"but got {json_type_name(value)} instead.",
        param=param,
        code="invalid_type",
    )


def response_not_found(response_id: str) -> APIError:
    return APIError(404, f"Response with id '{response_id}' not found.", param=None, code=None)


def missing_api_key(header: str = "authorization") -> APIError:
    how = ("in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)"
           if header.lower() == "authorization" else f"in the {header} header (i.e. {header}: YOUR_KEY)")
    return APIError(401, f"You didn't provide an API key. You need to provide your API key {how}.",
                    param=None, code=None)


def invalid_api_key() -> APIError:
    # OpenAI echoes a masked key; we echo none of it, so a key never lands in a report.
    return APIError(
        401,
        "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.",
        param=None,
        code="invalid_api_key",
    )


def invalid_url(method: str, path: str) -> APIError:
    return APIError(404, f"Invalid URL ({method} {path})", param=None, code=None)


def unparseable_json() -> APIError:
    return APIError(
        400,
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using "
        "your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was "
        "not valid JSON.)",
        param=None,
        code=None,
    )


def nested_too_deeply(param: str | None, limit: int) -> APIError:
    return APIError(
        400,
        f"The JSON body of your request nests deeper than {limit} levels"
        + (f" (at '{param}')" if param else "")
        + "; no parameter takes values that deep.",
        param=param,
        code="invalid_value",
    )


def lone_surrogate(param: str) -> APIError:
    return APIError(
        400,
        f"Invalid '{param}': the string contains a lone surrogate (a \\ud800-\\udfff escape without its "
        "pair), which is not valid Unicode text.",
        param=param,
        code="invalid_value",
    )


def number_out_of_range(param: str, shown: str) -> APIError:
    return APIError(
        400,
        f"Invalid '{param}': {shown} is out of range (integers must fit in 64 bits, "
        "decimals must be finite).",
        param=param,
        code="invalid_value",
    )


def request_too_large(limit: int) -> APIError:
    return APIError(
        413,
        f"The request body is larger than the {limit // (1024 * 1024)} MB this server accepts. "
        "Send less input per request.",
        param=None,
        code="request_too_large",
    )


def model_not_found(model: str) -> APIError:
    return APIError(
        400, f"The requested model '{model}' does not exist.", param="model", code="model_not_found"
    )
