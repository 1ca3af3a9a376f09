"""S3 errors: one table of codes, one exception type.

Every failure a client can see is an :class:`S3Error` carrying a :class:`Code` from the table
below (HTTP status + AWS's default message). Handlers and storage backends raise it; the
application renders it in exactly one place (``gateway.responses.error_response``). Anything
else that escapes a handler becomes ``InternalError`` there, with a log line and no traceback
sent to the client.

This module is pure data on purpose: storage backends import it without pulling in HTTP code.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum


class Code(Enum):
    """AWS S3 error codes: name -> (HTTP status, default message)."""

    AccessControlListNotSupported = (400, "The bucket does not allow ACLs")
    AccessDenied = (403, "Access Denied")
    AccessForbidden = (403, "CORSResponse: This CORS request is not allowed.")
    AuthorizationHeaderMalformed = (400, "The authorization header is malformed.")
    AuthorizationQueryParametersError = (400, "Error parsing the X-Amz-Credential parameter.")
    BadRequest = (400, "Bad Request")
    BadDigest = (400, "The Content-MD5 you specified did not match what we received.")
    BucketAlreadyExists = (
        409,
        "The requested bucket name is not available. The bucket namespace is shared by all users "
        "of the system. Please select a different name and try again.",
    )
    BucketAlreadyOwnedByYou = (
        409,
        "Your previous request to create the named bucket succeeded and you already own it.",
    )
    BucketNotEmpty = (409, "The bucket you tried to delete is not empty")
    ConditionalRequestConflict = (
        409,
        "A conflicting operation occurred. If using PutObject you can retry the request.",
    )
    EntityTooLarge = (400, "Your proposed upload exceeds the maximum allowed size")
    EntityTooSmall = (400, "Your proposed upload is smaller than the minimum allowed object size.")
    IllegalLocationConstraintException = (
        400,
        "The location constraint is incompatible for the region specific endpoint this request was sent to.",
    )
    CrossLocationLoggingProhibited = (403, "Cross-location logging not allowed. Buckets in one geographic location "
                                      "cannot log information to a bucket in another location.")
    IncompleteBody = (400, "You did not provide the number of bytes specified by the Content-Length HTTP header")
    InternalError = (500, "We encountered an internal error. Please try again.")
    InvalidAccessKeyId = (403, "The AWS Access Key Id you provided does not exist in our records.")
    InvalidArgument = (400, "Invalid Argument")
    InvalidBucketAclWithBlockPublicAccessError = (400, "Bucket cannot have public ACLs set with BlockPublicAccess "
                                                  "enabled")
    InvalidBucketAclWithObjectOwnership = (400, "Bucket cannot have ACLs set with ObjectOwnership's "
                                           "BucketOwnerEnforced setting")
    InvalidBucketName = (400, "The specified bucket is not valid.")
    InvalidBucketState = (409, "The request is not valid with the current state of the bucket.")
    InvalidDigest = (400, "The Content-MD5 you specified was invalid.")
    InvalidEncryptionAlgorithmError = (400, "The encryption request you specified is not valid. The valid value is "
                                       "AES256.")
    InvalidLocationConstraint = (400, "The specified location-constraint is not valid")
    InvalidObjectState = (403, "The operation is not valid for the object's storage class")
    InvalidPolicyDocument = (400, "The content of the form does not meet the conditions specified in the policy "
                             "document.")
    InvalidPart = (
        400,
        "One or more of the specified parts could not be found.  The part may not have been uploaded, "
        "or the specified entity tag may not match the part's entity tag.",
    )
    InvalidPartOrder = (400, "The list of parts was not in ascending order. Parts must be ordered by part number.")
    InvalidPartNumber = (416, "The requested partnumber is not satisfiable")
    InvalidRange = (416, "The requested range is not satisfiable")
    InvalidRedirectLocation = (400, "The website redirect location must have a prefix of 'http://' or 'https://' "
                                    "or '/'.")
    InvalidRequest = (400, "Invalid Request")
    InvalidStorageClass = (400, "The storage class you specified is not valid")
    InvalidTag = (400, "The TagSet provided is not valid.")
    InvalidTargetBucketForLogging = (400, "The target bucket for logging does not exist, is not owned by you, or "
                                     "does not have the appropriate grants for the log-delivery group.")
    InvalidURI = (400, "Couldn't parse the specified URI.")
    KeyTooLongError = (400, "Your key is too long")
    MalformedACLError = (400, "The XML you provided was not well-formed or did not validate against our "
                         "published schema.")  # a distinct value: an equal one would make it an alias
    MalformedPolicy = (400, "Policies must be valid JSON and the first byte must be '{'")
    MalformedXML = (
        400,
        "The XML you provided was not well-formed or did not validate against our published schema",
    )
    MalformedPOSTRequest = (400, "The body of your POST request is not well-formed multipart/form-data.")
    MaxMessageLengthExceeded = (400, "Your request was too big.")
    MetadataTooLarge = (400, "Your metadata headers exceed the maximum allowed metadata size.")
    MethodNotAllowed = (405, "The specified method is not allowed against this resource.")
    MissingContentLength = (411, "You must provide the Content-Length HTTP header.")
    MissingSecurityHeader = (400, "Your request is missing a required header.")
    NoSuchBucket = (404, "The specified bucket does not exist")
    NoSuchBucketPolicy = (404, "The bucket policy does not exist")
    NoSuchCORSConfiguration = (404, "The CORS configuration does not exist")
    NoSuchKey = (404, "The specified key does not exist.")
    NoSuchLifecycleConfiguration = (404, "The lifecycle configuration does not exist")
    NoSuchObjectLockConfiguration = (404, "The specified object does not have a ObjectLock configuration")
    NoSuchPublicAccessBlockConfiguration = (404, "The public access block configuration was not found")
    NoSuchTagSet = (404, "The TagSet does not exist")
    NoSuchUpload = (
        404,
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have "
        "been aborted or completed.",
    )
    NoSuchVersion = (404, "The specified version does not exist.")
    NoSuchWebsiteConfiguration = (404, "The specified bucket does not have a website configuration")
    NotImplemented = (501, "A header you provided implies functionality that is not implemented.")
    NotModified = (304, "Not Modified")
    ObjectLockConfigurationNotFoundError = (404, "Object Lock configuration does not exist for this bucket")
    OwnershipControlsNotFoundError = (404, "The bucket ownership controls were not found")
    PreconditionFailed = (412, "At least one of the pre-conditions you specified did not hold")
    ReplicationConfigurationNotFoundError = (404, "The replication configuration was not found")
    RestoreAlreadyInProgress = (409, "Object restore is already in progress")
    RequestHeaderSectionTooLarge = (400, "Your request header section exceeds the maximum allowed size.")
    RequestTimeout = (
        400,
        "Your socket connection to the server was not read from or written to within the timeout period.",
    )
    RequestTimeTooSkewed = (403, "The difference between the request time and the current time is too large.")
    ServerSideEncryptionConfigurationNotFoundError = (
        404,
        "The server side encryption configuration was not found",
    )
    UnexpectedContent = (400, "This request does not support content")
    UnresolvableGrantByEmailAddress = (400, "The e-mail address you provided does not match any account on record.")
    ServiceUnavailable = (503, "Service is unable to handle request.")
    SlowDown = (503, "Please reduce your request rate.")
    SignatureDoesNotMatch = (
        403,
        "The request signature we calculated does not match the signature you provided. "
        "Check your key and signing method.",
    )
    XAmzContentSHA256Mismatch = (
        400,
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
    )

    @property
    def status(self) -> int:
        return self.value[0]

    @property
    def message(self) -> str:
        return self.value[1]


class S3Error(Exception):
    """The one exception type for S3-visible failures.

    Keyword arguments (and ``fields``, for names that are not identifiers, such as
    ``Content-MD5``) become extra child elements of ``<Error>`` in order (``Key``, ``BucketName``,
    ``Condition``, ...); ``headers`` are added to the HTTP response.
    Upstream errors with codes outside our table keep their own code and status.
    """

    def __init__(
        self,
        code: Code | str,
        message: str | None = None,
        *,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        fields: Mapping[str, str] | None = None,
        **named: str,
    ) -> None:
        if isinstance(code, Code):
            self.code = code.name
            self.status = status or code.status
            self.message = message or code.message
        else:
            known = Code.__members__.get(code)
            self.code = code
            self.status = status or (known.status if known else 500)
            self.message = message or (known.message if known else code)
        self.headers = headers or {}
        self.fields = {**(fields or {}), **named}
        super().__init__(f"{self.code}: {self.message}")

    def __repr__(self) -> str:
        return f"S3Error({self.code!r}, {self.message!r}, status={self.status})"
