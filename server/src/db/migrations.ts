/**
 * Versioned schema migrations, written once with kysely's schema builder so the same steps run
 * on SQLite and PostgreSQL. Append new migrations; never edit one that has shipped.
 */
import { type Kysely, type Migration, type MigrationProvider, sql } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the evolving row types
type AnyDb = Kysely<any>;

const ts = 'text';

const m0001: Migration = {
  async up(db: AnyDb) {
    await db.schema
      .createTable('accounts')
      .addColumn('account', 'text', (c) => c.primaryKey())
      .addColumn('account_type', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('email', 'text')
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull())
      .addColumn('suspended_at', ts)
      .addColumn('deleted_at', ts)
      .execute();
    await db.schema
      .createTable('identities')
      .addColumn('identity', 'text', (c) => c.notNull())
      .addColumn('identity_type', 'text', (c) => c.notNull())
      .addColumn('password', 'text')
      .addColumn('email', 'text')
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull())
      .addPrimaryKeyConstraint('identities_pk', ['identity', 'identity_type'])
      .execute();
    await db.schema
      .createTable('account_map')
      .addColumn('identity', 'text', (c) => c.notNull())
      .addColumn('identity_type', 'text', (c) => c.notNull())
      .addColumn('account', 'text', (c) => c.notNull().references('accounts.account'))
      .addColumn('is_default', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', ts, (c) => c.notNull())
      .addPrimaryKeyConstraint('account_map_pk', ['identity', 'identity_type', 'account'])
      .execute();
    await db.schema.createIndex('account_map_account_idx').on('account_map').column('account').execute();
    await db.schema
      .createTable('account_attrs')
      .addColumn('account', 'text', (c) => c.notNull().references('accounts.account'))
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('account_attrs_pk', ['account', 'key'])
      .execute();
    await db.schema
      .createTable('tokens')
      .addColumn('token_hash', 'text', (c) => c.primaryKey())
      .addColumn('account', 'text', (c) => c.notNull())
      .addColumn('identity', 'text')
      .addColumn('auth_type', 'text', (c) => c.notNull())
      .addColumn('expired_at', ts, (c) => c.notNull())
      .addColumn('ip', 'text')
      .addColumn('created_at', ts, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('tokens_expired_idx').on('tokens').column('expired_at').execute();
    await db.schema
      .createTable('scopes')
      .addColumn('scope', 'text', (c) => c.primaryKey())
      .addColumn('account', 'text', (c) => c.notNull().references('accounts.account'))
      .addColumn('is_default', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('scopes_account_idx').on('scopes').column('account').execute();

    let dids = db.schema
      .createTable('dids')
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('account', 'text', (c) => c.notNull())
      .addColumn('did_type', 'text', (c) => c.notNull())
      .addColumn('is_open', 'integer')
      .addColumn('monotonic', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('hidden', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('obsolete', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('suppressed', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('complete', 'integer')
      .addColumn('availability', 'text', (c) => c.notNull().defaultTo('A'))
      .addColumn('bytes', 'bigint')
      .addColumn('length', 'bigint')
      .addColumn('events', 'bigint')
      .addColumn('md5', 'text')
      .addColumn('adler32', 'text')
      .addColumn('guid', 'text')
      .addColumn('purge_replicas', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('expired_at', ts)
      .addColumn('closed_at', ts)
      .addColumn('accessed_at', ts)
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull());
    for (const col of [
      'datatype',
      'project',
      'stream_name',
      'prod_step',
      'version',
      'campaign',
      'provenance',
      'phys_group',
    ]) {
      dids = dids.addColumn(col, 'text');
    }
    for (const col of ['run_number', 'task_id', 'panda_id', 'lumiblocknr']) {
      dids = dids.addColumn(col, 'bigint');
    }
    await dids.addPrimaryKeyConstraint('dids_pk', ['scope', 'name']).execute();
    await db.schema.createIndex('dids_expired_idx').on('dids').column('expired_at').execute();
    await db.schema.createIndex('dids_guid_idx').on('dids').column('guid').execute();

    await db.schema
      .createTable('did_meta')
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('value_json', 'text', (c) => c.notNull())
      .addColumn('value_num', 'double precision')
      .addPrimaryKeyConstraint('did_meta_pk', ['scope', 'name', 'key'])
      .execute();
    await db.schema.createIndex('did_meta_key_idx').on('did_meta').columns(['key', 'value_json']).execute();

    await db.schema
      .createTable('contents')
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('child_scope', 'text', (c) => c.notNull())
      .addColumn('child_name', 'text', (c) => c.notNull())
      .addColumn('did_type', 'text', (c) => c.notNull())
      .addColumn('child_type', 'text', (c) => c.notNull())
      .addColumn('bytes', 'bigint')
      .addColumn('adler32', 'text')
      .addColumn('md5', 'text')
      .addColumn('guid', 'text')
      .addColumn('events', 'bigint')
      .addColumn('created_at', ts, (c) => c.notNull())
      .addPrimaryKeyConstraint('contents_pk', ['scope', 'name', 'child_scope', 'child_name'])
      .execute();
    await db.schema
      .createIndex('contents_child_idx')
      .on('contents')
      .columns(['child_scope', 'child_name'])
      .execute();

    await db.schema
      .createTable('rses')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('rse', 'text', (c) => c.notNull().unique())
      .addColumn('vo', 'text', (c) => c.notNull().defaultTo('def'))
      .addColumn('rse_type', 'text', (c) => c.notNull())
      .addColumn('deterministic', 'integer', (c) => c.notNull())
      .addColumn('volatile', 'integer', (c) => c.notNull())
      .addColumn('staging_area', 'integer', (c) => c.notNull())
      .addColumn('city', 'text')
      .addColumn('region_code', 'text')
      .addColumn('country_name', 'text')
      .addColumn('continent', 'text')
      .addColumn('time_zone', 'text')
      .addColumn('isp', 'text')
      .addColumn('asn', 'text')
      .addColumn('longitude', 'double precision')
      .addColumn('latitude', 'double precision')
      .addColumn('availability_read', 'integer', (c) => c.notNull())
      .addColumn('availability_write', 'integer', (c) => c.notNull())
      .addColumn('availability_delete', 'integer', (c) => c.notNull())
      .addColumn('qos_class', 'text')
      .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('deleted_at', ts)
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('rse_attrs')
      .addColumn('rse_id', 'text', (c) => c.notNull().references('rses.id'))
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('value_json', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('rse_attrs_pk', ['rse_id', 'key'])
      .execute();
    await db.schema
      .createTable('rse_protocols')
      .addColumn('rse_id', 'text', (c) => c.notNull().references('rses.id'))
      .addColumn('scheme', 'text', (c) => c.notNull())
      .addColumn('hostname', 'text', (c) => c.notNull())
      .addColumn('port', 'integer', (c) => c.notNull())
      .addColumn('prefix', 'text', (c) => c.notNull())
      .addColumn('impl', 'text', (c) => c.notNull())
      .addColumn('read_lan', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('write_lan', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('delete_lan', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('read_wan', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('write_wan', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('delete_wan', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('third_party_copy_read', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('third_party_copy_write', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('extended_attributes', 'text')
      .addColumn('created_at', ts, (c) => c.notNull())
      .addPrimaryKeyConstraint('rse_protocols_pk', ['rse_id', 'scheme', 'hostname', 'port'])
      .execute();
    await db.schema
      .createTable('replicas')
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('rse_id', 'text', (c) => c.notNull().references('rses.id'))
      .addColumn('bytes', 'bigint', (c) => c.notNull())
      .addColumn('md5', 'text')
      .addColumn('adler32', 'text')
      .addColumn('path', 'text')
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('lock_cnt', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('tombstone', ts)
      .addColumn('accessed_at', ts)
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull())
      .addPrimaryKeyConstraint('replicas_pk', ['scope', 'name', 'rse_id'])
      .execute();
    await db.schema
      .createIndex('replicas_rse_state_idx')
      .on('replicas')
      .columns(['rse_id', 'state'])
      .execute();
    await db.schema
      .createIndex('replicas_tombstone_idx')
      .on('replicas')
      .columns(['rse_id', 'tombstone'])
      .execute();
    await db.schema
      .createTable('account_limits')
      .addColumn('account', 'text', (c) => c.notNull().references('accounts.account'))
      .addColumn('rse_id', 'text', (c) => c.notNull().references('rses.id'))
      .addColumn('bytes', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('account_limits_pk', ['account', 'rse_id'])
      .execute();
    await sql`select 1`.execute(db);
  },
};

/** Replication rules, their replica locks, dataset locks, the transfer queue and its history (Rucio's model). */
const m0002: Migration = {
  async up(db: AnyDb) {
    await db.schema
      .createTable('rules')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('subscription_id', 'text')
      .addColumn('account', 'text', (c) => c.notNull())
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('did_type', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('error', 'text')
      .addColumn('rse_expression', 'text', (c) => c.notNull())
      .addColumn('copies', 'integer', (c) => c.notNull())
      .addColumn('expires_at', ts)
      .addColumn('weight', 'text')
      .addColumn('locked', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('locks_ok_cnt', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('locks_replicating_cnt', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('locks_stuck_cnt', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('source_replica_expression', 'text')
      .addColumn('activity', 'text', (c) => c.notNull())
      .addColumn('grouping', 'text', (c) => c.notNull())
      .addColumn('notification', 'text', (c) => c.notNull())
      .addColumn('stuck_at', ts)
      .addColumn('purge_replicas', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('ignore_availability', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('ignore_account_limit', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(3))
      .addColumn('comments', 'text')
      .addColumn('child_rule_id', 'text')
      .addColumn('eol_at', ts)
      .addColumn('split_container', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('meta', 'text')
      .addColumn('rse_ids', 'text')
      .addColumn('evaluated_at', ts)
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('rules_did_idx').on('rules').columns(['scope', 'name']).execute();
    await db.schema.createIndex('rules_state_idx').on('rules').column('state').execute();
    await db.schema.createIndex('rules_expires_idx').on('rules').column('expires_at').execute();
    await db.schema.createIndex('rules_account_idx').on('rules').column('account').execute();
    await db.schema
      .createTable('locks')
      .addColumn('rule_id', 'text', (c) => c.notNull().references('rules.id').onDelete('cascade'))
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('rse_id', 'text', (c) => c.notNull().references('rses.id'))
      .addColumn('account', 'text', (c) => c.notNull())
      .addColumn('bytes', 'bigint', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('repair_cnt', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull())
      .addPrimaryKeyConstraint('locks_pk', ['rule_id', 'scope', 'name', 'rse_id'])
      .execute();
    await db.schema
      .createIndex('locks_replica_idx')
      .on('locks')
      .columns(['scope', 'name', 'rse_id'])
      .execute();
    await db.schema.createIndex('locks_account_rse_idx').on('locks').columns(['account', 'rse_id']).execute();
    await db.schema.createIndex('locks_rule_state_idx').on('locks').columns(['rule_id', 'state']).execute();
    await db.schema
      .createTable('dataset_locks')
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('rule_id', 'text', (c) => c.notNull().references('rules.id').onDelete('cascade'))
      .addColumn('rse_id', 'text', (c) => c.notNull().references('rses.id'))
      .addColumn('account', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('length', 'bigint')
      .addColumn('bytes', 'bigint')
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull())
      .addPrimaryKeyConstraint('dataset_locks_pk', ['scope', 'name', 'rule_id', 'rse_id'])
      .execute();
    await db.schema.createIndex('dataset_locks_rule_idx').on('dataset_locks').column('rule_id').execute();
    await db.schema
      .createTable('requests')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('request_type', 'text', (c) => c.notNull().defaultTo('T'))
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('dest_rse_id', 'text', (c) => c.notNull().references('rses.id'))
      .addColumn('source_rse_id', 'text')
      .addColumn('rule_id', 'text')
      .addColumn('account', 'text', (c) => c.notNull())
      .addColumn('activity', 'text', (c) => c.notNull())
      .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(3))
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('bytes', 'bigint', (c) => c.notNull())
      .addColumn('adler32', 'text')
      .addColumn('md5', 'text')
      .addColumn('source_replica_expression', 'text')
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('max_attempts', 'integer', (c) => c.notNull().defaultTo(3))
      .addColumn('next_attempt_at', ts, (c) => c.notNull())
      .addColumn('claimed_by', 'text')
      .addColumn('claimed_until', ts)
      .addColumn('err_msg', 'text')
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('requests_replica_uq')
      .on('requests')
      .columns(['scope', 'name', 'dest_rse_id'])
      .unique()
      .execute();
    await db.schema
      .createIndex('requests_queue_idx')
      .on('requests')
      .columns(['state', 'next_attempt_at'])
      .execute();
    await db.schema.createIndex('requests_rule_idx').on('requests').column('rule_id').execute();
    await db.schema
      .createTable('requests_history')
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('rule_id', 'text')
      .addColumn('source_rse_id', 'text')
      .addColumn('dest_rse_id', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('bytes', 'bigint', (c) => c.notNull())
      .addColumn('seconds', 'double precision')
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('method', 'text')
      .addColumn('err_msg', 'text')
      .addColumn('created_at', ts, (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('requests_history_rule_idx')
      .on('requests_history')
      .column('rule_id')
      .execute();
  },
};

/** Space per RSE as the reaper sees it: usage reported per source, and limits such as MinFreeSpace. */
const m0003: Migration = {
  async up(db: AnyDb) {
    await db.schema
      .createTable('rse_usage')
      .addColumn('rse_id', 'text', (c) => c.notNull().references('rses.id'))
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('used', 'bigint')
      .addColumn('free', 'bigint')
      .addColumn('files', 'bigint')
      .addColumn('updated_at', ts, (c) => c.notNull())
      .addPrimaryKeyConstraint('rse_usage_pk', ['rse_id', 'source'])
      .execute();
    await db.schema
      .createTable('rse_limits')
      .addColumn('rse_id', 'text', (c) => c.notNull().references('rses.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('value', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull())
      .addPrimaryKeyConstraint('rse_limits_pk', ['rse_id', 'name'])
      .execute();
  },
};

/** Rucio's transfer limits: at most max_transfers active transfers into an RSE expression (per activity). */
const m0004: Migration = {
  async up(db: AnyDb) {
    await db.schema
      .createTable('transfer_limits')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('rse_expression', 'text', (c) => c.notNull())
      .addColumn('activity', 'text', (c) => c.notNull())
      .addColumn('direction', 'text', (c) => c.notNull())
      .addColumn('max_transfers', 'bigint', (c) => c.notNull())
      .addColumn('volume', 'bigint', (c) => c.notNull())
      .addColumn('deadline', 'bigint', (c) => c.notNull())
      .addColumn('strategy', 'text', (c) => c.notNull())
      .addColumn('transfers', 'bigint')
      .addColumn('waitings', 'bigint')
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull())
      .addUniqueConstraint('transfer_limits_key', ['rse_expression', 'activity', 'direction'])
      .execute();
  },
};

/**
 * Requests taken over from a writer that died (or lost its lease) are marked, so that only they pay
 * for looking for orphan temporaries at the destination.
 */
const m0005: Migration = {
  async up(db: AnyDb) {
    await db.schema
      .alterTable('requests')
      .addColumn('orphan_check', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
  },
};

/** All migrations in order; kysely records applied ones in its own table. */
export const migrations: Record<string, Migration> = {
  '0001_catalog': m0001,
  '0002_rules': m0002,
  '0003_rse_space': m0003,
  '0004_transfer_limits': m0004,
  '0005_request_orphan_check': m0005,
};

/** Provider that hands kysely's Migrator the in-code migrations (no files read at run time). */
export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return migrations;
  },
};
