"""IAM's (and STS's and SNS's) error document and status codes: ``<ErrorResponse><Error><Type>...``."""

from __future__ import annotations

from lxml import etree

from gateway.wire import xml

IAM_NS = "https://iam.amazonaws.com/doc/2010-05-08/"
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"

STATUS = {
    "NoSuchEntity": 404,
    "EntityAlreadyExists": 409,
    "DeleteConflict": 409,
    "LimitExceeded": 409,
    "MalformedPolicyDocument": 400,
    "ValidationError": 400,
    "InvalidParameter": 400,  # SNS's
    "NotFound": 404,  # SNS's
    "AuthorizationError": 403,  # SNS's
    "InvalidInput": 400,
    "InvalidAction": 400,
    "MissingAction": 400,
    "MissingParameter": 400,
    "UnmodifiableEntity": 400,
    "IncompleteSignature": 400,
    "AccessDenied": 403,
    "MissingAuthenticationToken": 403,
    "InvalidClientTokenId": 403,
    "SignatureDoesNotMatch": 403,
    "ServiceFailure": 500,
    "ServiceUnavailable": 503,  # the common error for a temporary failure: here, a full disk
}


class IamError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def status(self) -> int:
        return STATUS.get(self.code, 400)


def no_such_user(name: str) -> IamError:
    return IamError("NoSuchEntity", f"The user with name {name} cannot be found.")


def no_such_group(name: str) -> IamError:
    return IamError("NoSuchEntity", f"The group with name {name} cannot be found.")


def render_error(err: IamError, namespace: str, request_id: str) -> bytes:
    root = etree.Element("ErrorResponse", nsmap={None: namespace})
    error = xml.sub(root, "Error")
    xml.sub(error, "Type", "Receiver" if err.status >= 500 else "Sender")
    xml.sub(error, "Code", err.code)
    xml.sub(error, "Message", err.message)
    xml.sub(root, "RequestId", request_id)
    return xml.render(root)
