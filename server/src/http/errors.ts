/** Turns every failure into Rucio's error format: JSON body and headers ExceptionClass/ExceptionMessage. */

import { RucioError as CommonRucioError } from '@oxbow/common/rucio/index';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { RucioError } from '../errors.js';

/** HTTP status of the Rucio-named errors raised by the shared pure functions in `@oxbow/common`. */
const COMMON_STATUS: Record<string, number> = {
  InvalidObject: 400,
  InvalidRSEExpression: 400,
  RSEWriteBlocked: 400,
  DIDFilterSyntaxError: 400,
  DuplicateCriteriaInDIDFilter: 400,
  InvalidType: 400,
  UnsupportedOperation: 409,
  DataIdentifierNotFound: 404,
  ScopeNotFound: 404,
};

/** Header-safe copy of a message, truncated as Rucio does (125 characters). */
function headerMessage(msg: string): string {
  const flat = msg.replace(/[\r\n]/g, ' ').replace(/[^\x20-\x7e]/g, '?');
  return flat.length > 125 ? `${flat.slice(0, 125)}...` : flat;
}

/** Sends a Rucio-style error response. */
export function sendError(
  reply: FastifyReply,
  status: number,
  exceptionClass: string,
  message: string,
): FastifyReply {
  return reply
    .code(status)
    .header('ExceptionClass', exceptionClass)
    .header('ExceptionMessage', headerMessage(message))
    .header('Content-Type', 'application/octet-stream')
    .send(JSON.stringify({ ExceptionClass: exceptionClass, ExceptionMessage: message }));
}

/** Explains an ajv validation failure in words a person can act on. */
function describeValidation(err: FastifyError): string {
  const where = err.validationContext ?? 'request';
  const parts = (err.validation ?? []).slice(0, 5).map((v) => {
    const path = v.instancePath ? v.instancePath.replace(/^\//, '').replace(/\//g, '.') : '';
    const params = v.params as Record<string, unknown>;
    if (v.keyword === 'additionalProperties')
      return `unknown field '${params.additionalProperty}'${path ? ` in ${path}` : ''}`;
    if (v.keyword === 'required')
      return `missing required field '${params.missingProperty}'${path ? ` in ${path}` : ''}`;
    return `${path || where} ${v.message}`;
  });
  return `Invalid ${where}: ${parts.join('; ')}`;
}

/** Fastify error handler: typed errors keep their class and status; nothing surfaces as a bare 500. */
export function errorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err instanceof RucioError) return sendError(reply, err.status, err.name, err.message);
  if ((err as unknown) instanceof CommonRucioError) {
    return sendError(reply, COMMON_STATUS[err.name] ?? 400, err.name, err.message);
  }
  if (err.validation) return sendError(reply, 400, 'InputValidationError', describeValidation(err));
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return sendError(
        reply,
        413,
        'InputValidationError',
        `Request body is larger than the limit of ${request.routeOptions.bodyLimit ?? ''} bytes; split it into several requests.`,
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return sendError(reply, 415, 'UnsupportedMediaType', err.message);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return sendError(reply, 400, 'ValueError', 'cannot decode json parameter: the body is empty');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return sendError(reply, 400, 'ValueError', err.message);
  }
  if (err instanceof SyntaxError || err.statusCode === 400) {
    return sendError(reply, 400, 'ValueError', `cannot decode json parameter: ${err.message}`);
  }
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
    return sendError(reply, err.statusCode, 'InvalidRequest', err.message);
  }
  request.log.error({ err }, 'unexpected error');
  return sendError(
    reply,
    500,
    'RucioException',
    `Internal error while serving ${request.method} ${request.url}: ${err.message}`,
  );
}
