import t from 'tap';
import { forEachDialect, jsonLines } from './support/dialects.js';

forEachDialect(t, 'auth, accounts, scopes, identities', async (t, s) => {
  const app = s.app;
  const H = s.headers;

  // userpass login
  const bad = await app.inject({
    url: '/auth/userpass',
    headers: { 'x-rucio-account': 'root', 'x-rucio-username': 'root', 'x-rucio-password': 'wrong' },
  });
  t.equal(bad.statusCode, 401);
  t.equal(bad.headers.exceptionclass, 'IdentityNotFound');
  t.equal(JSON.parse(bad.body).ExceptionClass, 'IdentityNotFound');
  const missing = await app.inject({ url: '/auth/userpass', headers: { 'x-rucio-username': 'root' } });
  t.equal(missing.statusCode, 401);
  t.equal(missing.headers.exceptionclass, 'CannotAuthenticate');

  const validate = await app.inject({ url: '/auth/validate', headers: H });
  t.equal(validate.statusCode, 200);
  t.equal(JSON.parse(validate.body).account, 'root');

  // token checks
  t.equal((await app.inject({ url: '/accounts/root' })).statusCode, 400, 'no token → 400 like Rucio');
  const badTok = await app.inject({ url: '/accounts/root', headers: { 'x-rucio-auth-token': 'root-nope' } });
  t.equal(badTok.statusCode, 401);
  t.equal(badTok.headers.exceptionclass, 'CannotAuthenticate');

  // whoami redirect
  const who = await app.inject({ url: '/accounts/whoami', headers: H });
  t.equal(who.statusCode, 303);
  t.equal(who.headers.location, 'root');
  const root = await app.inject({ url: '/accounts/root', headers: H });
  t.equal(root.statusCode, 200);
  t.match(JSON.parse(root.body), { account: 'root', account_type: 'SERVICE', status: 'ACTIVE' });
  t.match(JSON.parse(root.body).created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);

  // 406 on unsupported Accept
  const n406 = await app.inject({ url: '/accounts/root', headers: { ...H, accept: 'text/html' } });
  t.equal(n406.statusCode, 406);
  t.equal(n406.headers.exceptionclass, 'UnsupportedRequestedContentType');

  // add account, duplicates, bad input
  const add = await app.inject({
    method: 'POST',
    url: '/accounts/jdoe',
    headers: H,
    payload: JSON.stringify({ type: 'USER', email: 'j@x.org' }),
  });
  t.equal(add.statusCode, 201);
  t.equal(add.body, 'Created');
  const dup = await app.inject({
    method: 'POST',
    url: '/accounts/jdoe',
    headers: H,
    payload: { type: 'USER' },
  });
  t.equal(dup.statusCode, 409);
  t.equal(dup.headers.exceptionclass, 'Duplicate');
  const badName = await app.inject({
    method: 'POST',
    url: '/accounts/Bad%20Name',
    headers: H,
    payload: { type: 'USER' },
  });
  t.equal(badName.statusCode, 400);
  const badType = await app.inject({
    method: 'POST',
    url: '/accounts/jane',
    headers: H,
    payload: { type: 'ROBOT' },
  });
  t.equal(badType.statusCode, 400);
  t.equal(badType.headers.exceptionclass, 'InvalidAccountType');
  const badJson = await app.inject({
    method: 'POST',
    url: '/accounts/jane',
    headers: H,
    payload: '{"type": ',
  });
  t.equal(badJson.statusCode, 400);
  t.equal(badJson.headers.exceptionclass, 'ValueError');
  const wrongType = await app.inject({
    method: 'POST',
    url: '/accounts/jane',
    headers: H,
    payload: { type: 7 },
  });
  t.equal(wrongType.statusCode, 400);
  const extra = await app.inject({
    method: 'POST',
    url: '/accounts/jane',
    headers: H,
    payload: { type: 'USER', colour: 'red' },
  });
  t.equal(extra.statusCode, 400);
  t.match(JSON.parse(extra.body).ExceptionMessage, /colour/);
  t.equal((await app.inject({ url: '/accounts/nobody', headers: H })).statusCode, 404);

  // list accounts (json stream) with filters
  const list = await app.inject({ url: '/accounts/', headers: H });
  t.equal(list.headers['content-type'], 'application/x-json-stream');
  t.same(jsonLines(list.body), [
    { account: 'jdoe', type: 'USER', email: 'j@x.org' },
    { account: 'root', type: 'SERVICE', email: null },
  ]);
  t.same(jsonLines((await app.inject({ url: '/accounts/?account_type=USER', headers: H })).body).length, 1);
  t.same(jsonLines((await app.inject({ url: '/accounts/?account=j*', headers: H })).body).length, 1);

  // identities and login as jdoe
  const ident = await app.inject({
    method: 'PUT',
    url: '/identities/jdoe/userpass',
    headers: {
      ...H,
      'x-rucio-username': 'jdoe',
      'x-rucio-password': 'pw-of-jdoe',
      'x-rucio-email': 'j@x.org',
    },
  });
  t.equal(ident.statusCode, 201);
  const login = await app.inject({
    url: '/auth/userpass',
    headers: { 'x-rucio-username': 'jdoe', 'x-rucio-password': 'pw-of-jdoe' },
  });
  t.equal(login.statusCode, 200);
  t.equal(login.headers['x-rucio-auth-account'], 'jdoe');
  t.match(login.headers['x-rucio-auth-token-expires'], /^\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d UTC$/);
  const J = { 'x-rucio-auth-token': login.headers['x-rucio-auth-token'] as string };
  const idents = jsonLines((await app.inject({ url: '/accounts/jdoe/identities', headers: H })).body);
  t.same(idents, [{ type: 'USERPASS', identity: 'jdoe', email: 'j@x.org' }]);
  t.same(JSON.parse((await app.inject({ url: '/identities/jdoe/userpass/accounts', headers: H })).body), [
    'jdoe',
  ]);

  // permissions: jdoe is no admin
  const denied = await app.inject({
    method: 'POST',
    url: '/accounts/evil',
    headers: J,
    payload: { type: 'USER' },
  });
  t.equal(denied.statusCode, 401);
  t.equal(denied.headers.exceptionclass, 'AccessDenied');

  // attributes; admin attribute grants admin rights
  t.equal(
    (
      await app.inject({
        method: 'POST',
        url: '/accounts/jdoe/attr/admin',
        headers: H,
        payload: { key: 'admin', value: true },
      })
    ).statusCode,
    201,
  );
  t.same(JSON.parse((await app.inject({ url: '/accounts/jdoe/attr/', headers: H })).body), [
    { key: 'admin', value: true },
  ]);

  // scopes
  t.equal(
    (await app.inject({ method: 'POST', url: '/accounts/jdoe/scopes/user.jdoe', headers: H })).statusCode,
    201,
  );
  t.equal((await app.inject({ method: 'POST', url: '/scopes/root/tests', headers: H })).statusCode, 201);
  t.equal((await app.inject({ method: 'POST', url: '/scopes/root/tests', headers: H })).statusCode, 409);
  const badScope = await app.inject({ method: 'POST', url: '/scopes/root/bad%20scope', headers: H });
  t.equal(badScope.statusCode, 400);
  t.same(JSON.parse((await app.inject({ url: '/scopes/', headers: H })).body), ['tests', 'user.jdoe']);
  t.same(JSON.parse((await app.inject({ url: '/scopes/owner', headers: H })).body), [
    { scope: 'tests', account: 'root' },
    { scope: 'user.jdoe', account: 'jdoe' },
  ]);
  t.same(JSON.parse((await app.inject({ url: '/accounts/jdoe/scopes/', headers: H })).body), ['user.jdoe']);

  // update and delete account
  t.equal(
    (await app.inject({ method: 'PUT', url: '/accounts/jdoe', headers: H, payload: { email: 'new@x.org' } }))
      .statusCode,
    200,
  );
  t.equal(
    (await app.inject({ method: 'PUT', url: '/accounts/jdoe', headers: H, payload: { colour: 'x' } }))
      .statusCode,
    400,
  );

  // unknown route is a Rucio-style 404, never a crash
  const nf = await app.inject({ url: '/nothing/here', headers: H });
  t.equal(nf.statusCode, 404);
  t.ok(JSON.parse(nf.body).ExceptionClass);
  // API documentation is public: the OpenAPI document and the Swagger UI page
  const openapi = await app.inject({ url: '/api/openapi.json' });
  t.equal(openapi.statusCode, 200);
  t.ok(JSON.parse(openapi.body).paths['/accounts/{account}'], 'OpenAPI lists the account routes');
  const docs = await app.inject({ url: '/api/docs/' });
  t.equal(docs.statusCode, 200);
  t.match(docs.body, /swagger/i);
  // ping is public
  t.match(JSON.parse((await app.inject({ url: '/ping' })).body), { version: String });
});
