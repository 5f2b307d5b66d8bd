/**
 * Typed errors named after Rucio's exception classes. The HTTP layer turns each into
 * `{ExceptionClass, ExceptionMessage}` with the status Rucio uses, so Rucio clients map them back.
 */

/** Base of every error the catalog raises on purpose; `status` is the HTTP status Rucio answers with. */
export class RucioError extends Error {
  readonly status: number;
  constructor(name: string, status: number, message: string) {
    super(message);
    this.name = name;
    this.status = status;
  }
}

const kind =
  (name: string, status: number) =>
  (message: string): RucioError =>
    new RucioError(name, status, message);

// Rucio answers AccessDenied with 401 (not 403); clients rely on that.
export const accessDenied = kind('AccessDenied', 401);
export const cannotAuthenticate = kind('CannotAuthenticate', 401);
export const identityNotFound = kind('IdentityNotFound', 401);
export const invalidObject = kind('InvalidObject', 400);
export const invalidValue = kind('ValueError', 400);
export const typeError = kind('TypeError', 400);
export const keyError = kind('KeyError', 400);
export const invalidType = kind('InvalidType', 400);
export const invalidAccountType = kind('InvalidAccountType', 400);
export const invalidRseExpression = kind('InvalidRSEExpression', 400);
export const invalidPath = kind('InvalidPath', 400);
export const unsupportedOperation = kind('UnsupportedOperation', 409);
export const duplicate = kind('Duplicate', 409);
export const dataIdentifierAlreadyExists = kind('DataIdentifierAlreadyExists', 409);
export const fileAlreadyExists = kind('FileAlreadyExists', 409);
export const fileConsistencyMismatch = kind('FileConsistencyMismatch', 409);
export const replicaAlreadyExists = kind('Duplicate', 409);
export const accountNotFound = kind('AccountNotFound', 404);
export const scopeNotFound = kind('ScopeNotFound', 404);
export const didNotFound = kind('DataIdentifierNotFound', 404);
export const rseNotFound = kind('RSENotFound', 404);
export const rseProtocolNotSupported = kind('RSEProtocolNotSupported', 404);
export const replicaNotFound = kind('ReplicaNotFound', 404);
export const keyNotFound = kind('KeyNotFound', 404);
export const counterNotFound = kind('CounterNotFound', 404);
export const identityError = kind('IdentityError', 400);
export const unsupportedContentType = kind('UnsupportedRequestedContentType', 406);
export const routeNotFound = kind('MethodNotAllowed', 404);
export const requestTooLarge = kind('InputValidationError', 413);
export const inputValidationError = kind('InputValidationError', 400);
export const databaseError = kind('DatabaseException', 500);
// DIDs (Rucio's dids.py statuses for each).
export const duplicateContent = kind('DuplicateContent', 409);
export const unsupportedStatus = kind('UnsupportedStatus', 409);
export const invalidMetadata = kind('InvalidMetadata', 400);
export const invalidValueForKey = kind('InvalidValueForKey', 400);
export const unsupportedMetadataPlugin = kind('UnsupportedMetadataPlugin', 400);
export const didFilterSyntaxError = kind('DIDFilterSyntaxError', 400);
// POST /dids/attachments answers a checksum/size mismatch with 412, not the 409 of replicas.
export const attachConsistencyMismatch = kind('FileConsistencyMismatch', 412);
// RSEs and replicas (Rucio's rses.py / replicas.py statuses).
export const rseAttributeNotFound = kind('RSEAttributeNotFound', 404);
export const rseOperationNotSupported = kind('RSEOperationNotSupported', 404);
export const rseProtocolDomainNotSupported = kind('RSEProtocolDomainNotSupported', 404);
export const rseProtocolPriorityError = kind('RSEProtocolPriorityError', 409);
export const rseFileNameNotSupported = kind('RSEFileNameNotSupported', 400);
export const resourceTemporaryUnavailable = kind('ResourceTemporaryUnavailable', 503);
export const sortingAlgorithmNotSupported = kind('SortingAlgorithmNotSupported', 400);
export const replicaIsLocked = kind('ReplicaIsLocked', 423);
export const inputValidation422 = kind('InputValidationError', 422);
