import t from 'tap';
import { InvalidObject, InvalidType, RucioException } from '../src/rucio/errors.js';
import {
  accountProblem,
  assertAccount,
  assertDidName,
  assertRseName,
  assertScope,
  didNameProblem,
  formatDid,
  isValidAccount,
  isValidDidName,
  isValidRseName,
  isValidScope,
  parseDid,
  parseDidType,
  parseReplicaState,
  replicaStateCode,
  rseNameProblem,
  scopeProblem,
} from '../src/rucio/names.js';
import { codeOf, DID_TYPES, nameOfCode, REPLICA_STATES, RULE_STATES } from '../src/rucio/states.js';
import { reference } from './reference.js';

t.test('scope', async (t) => {
  for (const ok of ['tr', 'user.jdoe', 'data18_13TeV', 'A-b.C_9', 'x'.repeat(25), '.', '-'])
    t.ok(isValidScope(ok), ok);
  for (const bad of ['', 'a b', 'a:b', 'a/b', 'é', 'x'.repeat(26), 'tr\n'])
    t.notOk(isValidScope(bad), JSON.stringify(bad));
  t.match(
    scopeProblem('my scope'),
    /contains a space at position 2; a scope may contain only letters, digits/,
  );
  t.match(scopeProblem('x'.repeat(26)), /26 characters long; at most 25/);
  t.match(scopeProblem(''), /must not be empty/);
  t.match(scopeProblem(42), /must be a string, got number/);
  t.match(scopeProblem('tr\n'), /control character U\+000a at position 2/);
  t.throws(() => assertScope('a:b'), InvalidObject);
  t.doesNotThrow(() => assertScope('tr'));
});

t.test('DID name', async (t) => {
  for (const ok of ['file.root', '/abs/path/file', 'dir/sub/file', 'a', '0-_.x', 'x'.repeat(250)])
    t.ok(isValidDidName(ok), ok);
  for (const bad of ['', '.hidden', '-x', '_x', 'a b', 'a:b', 'a*b', 'x'.repeat(251), 'a+b'])
    t.notOk(isValidDidName(bad), JSON.stringify(bad));
  t.match(didNameProblem('.hidden'), /starts with '\.'; it must start with a letter, a digit or '\/'/);
  t.match(didNameProblem('a*b'), /contains '\*' at position 1/);
  t.match(didNameProblem('x'.repeat(251)), /251 characters long; at most 250/);
  t.throws(() => assertDidName('a b'), { name: 'InvalidObject', message: /a space at position 1/ });
});

t.test('account', async (t) => {
  for (const ok of ['root', 'jdoe', 'a-b_c9', 'x'.repeat(25)]) t.ok(isValidAccount(ok), ok);
  for (const bad of ['', 'Root', 'a.b', 'a b', 'x'.repeat(26)]) t.notOk(isValidAccount(bad), bad);
  t.match(accountProblem('Root'), /'R' at position 0 \(upper-case letters are not allowed\)/);
  t.throws(() => assertAccount('a.b'), InvalidObject);
});

t.test('RSE name', async (t) => {
  for (const ok of ['DISK1', 'CERN-PROD_DATADISK', 'A', '9', 'A-B-C', 'X_Y']) t.ok(isValidRseName(ok), ok);
  for (const bad of ['', 'disk1', 'A__B', '_A', 'A_', 'A.B', 'A B', 'A-_B'])
    t.notOk(isValidRseName(bad), bad);
  t.match(rseNameProblem('disk1'), /'d' at position 0 \(did you mean 'DISK1'\?\)/);
  t.match(rseNameProblem('A__B'), /consecutive separators '__' at position 1/);
  t.match(rseNameProblem('_A'), /starts with '_'/);
  t.match(rseNameProblem('A-'), /ends with '-'/);
  t.throws(() => assertRseName('x'), InvalidObject);
});

t.test('parseDid matches Rucio extract_scope (reference cases)', async (t) => {
  for (const c of reference.extractScope) {
    if (c.error) {
      t.throws(() => parseDid(c.did), RucioException, `${c.did} -> ${c.error}`);
    } else {
      t.same(parseDid(c.did), { scope: c.scope, name: c.name }, c.did);
    }
  }
  t.throws(() => parseDid('a:b:c'), { message: /exactly one colon but found 2 colons/ });
  t.throws(() => parseDid('tr:a b', { validate: true }), InvalidObject);
  t.same(parseDid('user.jdoe:data.root', { validate: true }), { scope: 'user.jdoe', name: 'data.root' });
  t.equal(formatDid({ scope: 'tr', name: 'x' }), 'tr:x');
});

t.test('states and types', async (t) => {
  t.equal(parseReplicaState('A'), 'AVAILABLE');
  t.equal(parseReplicaState('BAD'), 'BAD');
  t.equal(parseReplicaState('D'), 'BAD', "'D' is BAD, not deleted");
  t.equal(parseReplicaState('B'), 'BEING_DELETED');
  t.equal(replicaStateCode('TEMPORARY_UNAVAILABLE'), 'T');
  t.throws(() => parseReplicaState('X'), { name: 'InvalidObject', message: /AVAILABLE \(A\)/ });
  t.equal(parseDidType('file'), 'FILE');
  t.equal(parseDidType('F'), 'FILE');
  t.equal(parseDidType('D'), 'DATASET');
  t.equal(parseDidType('Container'), 'CONTAINER');
  t.throws(() => parseDidType('blob'), InvalidType);
  t.equal(codeOf(RULE_STATES, 'STUCK'), 'S');
  t.equal(codeOf(RULE_STATES, 'toString'), undefined, 'no prototype keys');
  t.equal(nameOfCode(DID_TYPES, 'X'), 'DELETED_FILE');
  t.equal(nameOfCode(REPLICA_STATES, 'Q'), undefined);
  // every code is unique within its table
  for (const table of [REPLICA_STATES, DID_TYPES, RULE_STATES])
    t.equal(new Set(Object.values(table)).size, Object.values(table).length);
});
