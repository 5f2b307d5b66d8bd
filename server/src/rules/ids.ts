/** Identifiers of rules and requests: 32 hex digits, as Rucio's uuid().hex. */
import { randomUUID } from 'node:crypto';

/** A new random id (Rucio's generate_uuid). */
export function newId(): string {
  return randomUUID().replace(/-/g, '');
}
