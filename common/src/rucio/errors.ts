// Error classes named after Rucio's exception classes (rucio.common.exception), so that the server can
// answer with the same `ExceptionClass` a Rucio client expects and map each name to an HTTP status.

/** Base class of every Rucio-named error; `name` is the Rucio exception class name. */
export class RucioError extends Error {
  override name = 'RucioException';
}

/** An object (name, scope, account, DID dict, ...) does not match Rucio's schema. */
export class InvalidObject extends RucioError {
  override name = 'InvalidObject';
}

/** An RSE expression is malformed or resolves to no RSE. */
export class InvalidRSEExpression extends RucioError {
  override name = 'InvalidRSEExpression';
}

/** Every RSE an expression selected is blocked for writing. */
export class RSEWriteBlocked extends RucioError {
  override name = 'RSEWriteBlocked';
}

/** A DID filter cannot be parsed. */
export class DIDFilterSyntaxError extends RucioError {
  override name = 'DIDFilterSyntaxError';
}

/** The same key+operator appears twice in one AND group of a DID filter. */
export class DuplicateCriteriaInDIDFilter extends RucioError {
  override name = 'DuplicateCriteriaInDIDFilter';
}

/** A DID type (or search type) is not one Rucio knows. */
export class InvalidType extends RucioError {
  override name = 'InvalidType';
}

/** A requested operation is not supported (e.g. an unknown search type on /dids/{scope}/dids/search). */
export class UnsupportedOperation extends RucioError {
  override name = 'UnsupportedOperation';
}

/** A DID does not exist. */
export class DataIdentifierNotFound extends RucioError {
  override name = 'DataIdentifierNotFound';
}

/** A scope does not exist. */
export class ScopeNotFound extends RucioError {
  override name = 'ScopeNotFound';
}

/** Generic failure of Rucio's base class (used where Rucio raises a bare RucioException). */
export class RucioException extends RucioError {}
