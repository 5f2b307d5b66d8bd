/** Rule errors named after Rucio's exception classes, with the statuses rules.py answers them with. */
import { RucioError } from '../errors.js';

const kind =
  (name: string, status: number) =>
  (message: string): RucioError =>
    new RucioError(name, status, message);

export const ruleNotFound = kind('RuleNotFound', 404);
export const invalidReplicationRule = kind('InvalidReplicationRule', 409);
export const duplicateRule = kind('DuplicateRule', 409);
export const insufficientTargetRses = kind('InsufficientTargetRSEs', 409);
export const insufficientAccountLimit = kind('InsufficientAccountLimit', 409);
export const invalidRuleWeight = kind('InvalidRuleWeight', 409);
export const ruleInvalidObject = kind('InvalidObject', 409);
// Rucio answers a locked rule's deletion with UnsupportedOperation under 401.
export const ruleLocked = kind('UnsupportedOperation', 401);
export const ruleUpdateUnsupported = kind('UnsupportedOperation', 409);
